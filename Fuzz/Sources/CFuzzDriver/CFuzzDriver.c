#include "CFuzzDriver.h"

// Defined by libFuzzer (libclang_rt.fuzzer*, linked by -sanitize=fuzzer).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));

int dpl_fuzz_run(int argc, char **argv, DPLFuzzTestOneInput test) {
    return LLVMFuzzerRunDriver(&argc, &argv, test);
}

// Weak, so the shim links without a sanitizer runtime.
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

void dpl_fuzz_leak_checks(int enabled) {
    if (enabled) {
        if (__lsan_enable) __lsan_enable();
    } else {
        if (__lsan_disable) __lsan_disable();
    }
}
