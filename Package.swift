// swift-tools-version: 6.0
// DPL — a defense-pipeline language for evaluating diffusion purification against adversarial attacks.
// Layers depend downward only (docs/architecture.md): the `dpl` executable → DPLCommandLine
// (subcommands, exit codes) and DPLREPL → DPLRuntime (stages that bind arguments, results,
// provenance) → DPLLang (the language; knows no tensors) and the engine (DPLAttacks →
// DPLDiffusion → DPLNN → DPLTensor; DPLData → DPLTensor) → C shims. DPLKit embeds the
// language and runtime in other Swift programs.
import PackageDescription

/// Numeric targets. Hot loops use unsafe buffer pointers, so bounds checks are not the cost;
/// `swift test -c release` is the test command (see README) so numeric tests run optimized.
let engineSettings: [SwiftSetting] = []

/// Test targets are compiled without optimization even in `swift test -c release`: the engine
/// they call is optimized in its own modules, while optimizing the tests' own code (assertion
/// macros, fixtures) cost 85 s more compile time than the 9 s of test CPU it saved
/// (docs/performance.md, "The test command").
let testSettings: [SwiftSetting] = [.unsafeFlags(["-Onone"])]

let package = Package(
    name: "DPL",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dpl", targets: ["dpl"]),
        .executable(name: "dpl-bench", targets: ["dpl-bench"]),
        // Run DPL from a Swift program and read the results as values (docs/embedding.md).
        .library(name: "DPL", targets: ["DPLKit"]),
        // For Fuzz/, a separate package so the sanitized fuzz harnesses never enter this build:
        // it feeds untrusted bytes to these modules' readers directly. Not a supported API.
        .library(name: "DPLFuzzing", targets: ["DPLLang", "DPLRuntime", "DPLNN", "DPLData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C shims over system libraries (static inline only)
        .systemLibrary(name: "_CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "_CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "_CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // MARK: - DPL's own C kernels: AVX-512 code paths chosen at run time (cpu_features.h)
        .target(name: "CDPLKernels"),

        // MARK: - Engine
        .target(name: "DPLTensor", dependencies: ["_CBLAS", "CDPLKernels"], swiftSettings: engineSettings),
        .target(name: "DPLNN", dependencies: ["DPLTensor"], swiftSettings: engineSettings),
        .target(name: "DPLData", dependencies: ["DPLTensor", "_CZlib"], swiftSettings: engineSettings),
        .target(name: "DPLDiffusion", dependencies: ["DPLNN"], swiftSettings: engineSettings),
        .target(name: "DPLAttacks", dependencies: ["DPLNN", "DPLDiffusion"], swiftSettings: engineSettings),

        // MARK: - Language, runtime, REPL, command line
        .target(name: "DPLLang"),
        .target(name: "DPLRuntime",
                dependencies: ["DPLLang", "DPLTensor", "DPLNN", "DPLData", "DPLDiffusion", "DPLAttacks"]),
        .target(name: "DPLREPL", dependencies: ["_CEditLine"]),
        // What each `dpl` subcommand does and its exit code, kept out of the executable so tests drive it.
        .target(name: "DPLCommandLine", dependencies: ["DPLLang", "DPLRuntime"]),
        .target(name: "DPLKit", dependencies: ["DPLLang", "DPLRuntime", "DPLAttacks"]),
        // `dpl lsp`: the language server protocol over the language; `dpl` hands it the registry.
        .target(name: "DPLLanguageServer", dependencies: ["DPLLang"]),
        .executableTarget(name: "dpl", dependencies: [
            "DPLLang", "DPLRuntime", "DPLREPL", "DPLTensor", "DPLCommandLine", "DPLLanguageServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dpl-bench", dependencies: [
            "DPLTensor", "DPLNN", "DPLDiffusion", "DPLAttacks",
        ], swiftSettings: engineSettings),

        // MARK: - Tests (mirror the sources)
        .testTarget(name: "DPLTensorTests", dependencies: ["DPLTensor", "DPLTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLNNTests", dependencies: ["DPLNN", "DPLTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLDataTests", dependencies: ["DPLData"], swiftSettings: testSettings),
        .testTarget(name: "DPLDiffusionTests", dependencies: ["DPLDiffusion", "DPLTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLAttacksTests", dependencies: ["DPLAttacks", "DPLData", "DPLTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLLangTests", dependencies: ["DPLLang", "DPLLangTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLCommandLineTests", dependencies: ["DPLCommandLine", "DPLLang", "DPLLangTestSupport"], swiftSettings: testSettings),
        .testTarget(name: "DPLRuntimeTests", dependencies: ["DPLRuntime", "DPLCommandLine"], swiftSettings: testSettings),
        .testTarget(name: "DPLKitTests", dependencies: ["DPLKit"], swiftSettings: testSettings),
        .testTarget(name: "DPLLanguageServerTests",
                    dependencies: ["DPLLanguageServer", "DPLLang", "DPLRuntime", "DPLCommandLine"],
                    swiftSettings: testSettings),
        .testTarget(name: "DPLREPLTests", dependencies: ["DPLREPL", "dpl-repl-fixture"], swiftSettings: testSettings),
        // Test helpers shared by the engine's test targets: the finite-difference gradient check,
        // deterministic inputs and a counting cancellation check.
        .target(name: "DPLTestSupport", dependencies: ["DPLTensor"], path: "Tests/DPLTestSupport"),
        // A registry of fake stages shaped like the runtime's, for the language's and the command line's tests.
        .target(name: "DPLLangTestSupport", dependencies: ["DPLLang"], path: "Tests/DPLLangTestSupport"),
        // The REPL under a pseudo-terminal needs its own process; DPLREPLTests spawns this.
        .executableTarget(name: "dpl-repl-fixture", dependencies: ["DPLREPL"], path: "Tests/DPLREPLFixture"),
    ],
    swiftLanguageModes: [.v5]
)
