// swift-tools-version: 6.0
// A program that embeds DPL: runs an evaluation script and reads its results as Swift values.
// Built by hand (`swift build` here), not by CI; see docs/embedding.md.
import PackageDescription

let package = Package(
    name: "accuracy-report",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The DPL checkout two folders up; a released DPL would be `.package(url: …, from: "0.2.0")`.
        .package(name: "DPL", path: "../.."),
    ],
    targets: [
        // "DPL" names the library product; its module is `DPLKit`.
        .executableTarget(name: "accuracy-report", dependencies: [.product(name: "DPL", package: "DPL")]),
    ],
    swiftLanguageModes: [.v5]
)
