import Foundation
import Testing
import DPLData
import DPLLang
import DPLTensor
@testable import DPLRuntime

/// A temporary folder with a small two-class image dataset (8×8 PNGs: class `left` is bright
/// on the left, `right` on the right, plus keyed noise), and a session over the built-in
/// stages whose printed output is captured.
final class ScriptFixture {
    let folder: String
    private(set) var printed: [String] = []
    let session: Session

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-runtime-\(UUID().uuidString)").path
        for (label, name) in ["left", "right"].enumerated() {
            let classFolder = folder + "/images/" + name
            try FileManager.default.createDirectory(atPath: classFolder, withIntermediateDirectories: true)
            for i in 0..<8 {
                var stream = RandomKey(seed: 9, purpose: "test.images").stream(sample: UInt64(label * 100 + i))
                var pixels = [Float](repeating: 0, count: 64)
                for y in 0..<8 { for x in 0..<8 {
                    let bright = label == 0 ? x < 4 : x >= 4
                    pixels[y * 8 + x] = min(1, max(0, (bright ? 0.8 : 0.2) + 0.1 * (stream.nextUniform() - 0.5)))
                } }
                try PNGEncoder.write(try Tensor(shape: [1, 8, 8], scalars: pixels), to: classFolder + "/\(i).png")
            }
        }
        let box = LineBox()
        session = Session(registry: try BuiltinStages.makeRegistry()) { box.lines.append($0) }
        self.box = box
    }

    private let box: LineBox
    private final class LineBox { var lines: [String] = [] }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Runs `source` (with `$DIR` replaced by the fixture folder) and returns what it printed
    /// and its error text, if any.
    @discardableResult
    func run(_ source: String) -> (output: String, error: String?) {
        box.lines.removeAll()
        let text = source.replacingOccurrences(of: "$DIR", with: folder)
        let outcome = session.run(SourceFile(name: folder + "/test.dpl", text: text))
        return (box.lines.joined(separator: "\n"), outcome.errorText)
    }

    /// A fixture whose tiny models are trained; a training failure is recorded as a test issue
    /// (the suites' common setup).
    static func trained() throws -> ScriptFixture {
        let fixture = try ScriptFixture()
        if let error = fixture.trainModels() { Issue.record("training the fixture models failed: \(error)") }
        return fixture
    }

    /// A fixture with only its classifier trained (`$DIR/cnn.safetensors`); a training
    /// failure is recorded as a test issue.
    static func withClassifier() throws -> ScriptFixture {
        let fixture = try ScriptFixture()
        let trained = fixture.run("""
        set seed = 1
        load images path="$DIR/images" | train classifier epochs=15 batch=4 lr=3e-3 checkpoint="$DIR/cnn.ckpt.safetensors" | save "$DIR/cnn.safetensors"
        """)
        if let error = trained.error { Issue.record("training the fixture classifier failed: \(error)") }
        return fixture
    }

    /// Trains the fixture's classifier and diffusion model once (a few seconds) into the folder.
    func trainModels() -> String? {
        let result = run("""
        set seed = 1
        load images path="$DIR/images" | train classifier epochs=15 batch=4 lr=3e-3 checkpoint="$DIR/cnn.ckpt.safetensors" | save "$DIR/cnn.safetensors"
        load images path="$DIR/images" | train diffusion steps=6 batch=4 max_t=50 checkpoint="$DIR/unet.ckpt.safetensors" | save "$DIR/unet.safetensors"
        """)
        return result.error
    }
}
