import CFuzzDriver
import Foundation

// MARK: - Running a harness

/// Hands `test` to libFuzzer with the process's arguments and exits with libFuzzer's status.
/// `test` must return normally for every input: an error it throws is a clean refusal of a
/// malformed input and is ignored; a crash, a hang or a leak is what the fuzzer looks for.
/// `inputs` are run first with leak checks stopped (see `warmUp`).
public func runFuzzer(warmUp inputs: [String] = [], _ test: @escaping DPLFuzzTestOneInput) -> Never {
    warmUp(test, with: inputs)
    let status = dpl_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, test)
    exit(status)
}

/// Runs `body` with leak checks stopped, for what a harness builds once and keeps for the
/// whole run; also the place to run a harness's test on warm-up inputs, so lazily made
/// globals the code under test allocates on first use are not reported as leaks of the first
/// fuzz input that reaches them.
public func withoutLeakChecks<T>(_ body: () throws -> T) rethrows -> T {
    dpl_fuzz_leak_checks(0)
    defer { dpl_fuzz_leak_checks(1) }
    return try body()
}

/// Runs `test` on each of `inputs` with leak checks stopped (see `withoutLeakChecks`).
public func warmUp(_ test: DPLFuzzTestOneInput, with inputs: [String]) {
    withoutLeakChecks {
        for input in inputs {
            var bytes = Array(input.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { test($0.baseAddress, $0.count) }
        }
    }
}

/// The input as `Data` (copied: libFuzzer reuses its buffer after the call).
public func fuzzData(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Data {
    guard let bytes, count > 0 else { return Data() }
    return Data(bytes: bytes, count: count)
}

/// The input as a byte array.
public func fuzzBytes(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let bytes, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: bytes, count: count))
}

/// Stops the process with a message libFuzzer records as a crash: a property every input
/// must have did not hold (not a malformed input, which harnesses ignore).
public func fuzzPropertyFailed(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz property failed: \(message)\n".utf8))
    abort()
}
