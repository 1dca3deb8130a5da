#ifndef DPL_FUZZ_DRIVER_H
#define DPL_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// The function libFuzzer calls with each input; returns 0 (anything else is reserved).
typedef int (*DPLFuzzTestOneInput)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the process's arguments and `test` as the per-input function, and
/// returns its exit status. libFuzzer's own `main` cannot be used: SwiftPM renames the
/// executable's `main`, so the harness's top-level code calls this instead.
int dpl_fuzz_run(int argc, char **argv, DPLFuzzTestOneInput test);

/// Stops (`dpl_fuzz_leak_checks(0)`) and resumes (`1`) LeakSanitizer's accounting: what is
/// allocated while stopped is never reported. Harnesses stop it while they build what lives
/// for the whole run (the stage registry, Swift's lazily made globals), whose pointers Swift
/// may keep with tag bits LeakSanitizer cannot see, so they would read as leaks. Does nothing
/// without LeakSanitizer.
void dpl_fuzz_leak_checks(int enabled);

#endif
