// swift-tools-version: 6.0
// DPL's fuzz harnesses (docs/security.md, "Fuzzing"). A package of its own so the sanitized,
// coverage-instrumented build never touches the main one: scripts/fuzz.sh builds it with
// `-sanitize=fuzzer,address` and runs each harness for a bounded time.
//
// Each harness is an executable whose top-level code hands its per-input function to
// libFuzzer through CFuzzDriver's `dpl_fuzz_run`, which calls `LLVMFuzzerRunDriver`: SwiftPM
// renames an executable's `main`, so libFuzzer's own `main` cannot be the entry point.
import PackageDescription

let dpl: Target.Dependency = .product(name: "DPLFuzzing", package: "DPL")

let package = Package(
    name: "DPLFuzz",
    dependencies: [.package(name: "DPL", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        // Helpers every harness shares (reading the input as text, as Data, a bounded model builder).
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        .executableTarget(name: "fuzz-lang", dependencies: ["FuzzSupport", dpl]),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["FuzzSupport", dpl]),
        .executableTarget(name: "fuzz-modelfile", dependencies: ["FuzzSupport", dpl]),
        .executableTarget(name: "fuzz-pytorch", dependencies: ["FuzzSupport", dpl]),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzSupport", dpl]),
        .executableTarget(name: "fuzz-idx", dependencies: ["FuzzSupport", dpl]),
    ],
    swiftLanguageModes: [.v5]
)
