import Foundation
import Testing
import DPLData
import DPLLang
import DPLNN
import DPLTensor
@testable import DPLRuntime

/// A classifier that cannot take the source's images is a `dpl check` error naming the place,
/// which model expects what, and `classify model=…` — read from the model file's header, not
/// after an hour of attacks.
@Suite("classify shapes checked before running", .serialized)
struct ClassifyShapeCheckTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-shapecheck-\(UUID().uuidString)").path

    func checkError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.check(SourceFile(name: folder + "/s.dpl", text: source + "\n")).errorText ?? ""
    }

    /// A 3×8×8 CNN classifier file in the folder, and an empty `cifar` folder for `path=`.
    func prepare() throws {
        try FileManager.default.createDirectory(atPath: folder + "/cifar", withIntermediateDirectories: true)
        let model = try CNNClassifier(CNNClassifier.Configuration(inputChannels: 3, imageSize: 8, widths: [4], poolAfter: [true], hidden: 8, classes: 10),
                                      key: RandomKey(seed: 1, purpose: "test"))
        try ModelFile.write(model, to: folder + "/rgb8.safetensors")
    }

    @Test func cifarImagesThroughTheDefaultClassifier() throws {
        try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = try checkError("load cifar10 path=\"cifar\" n=4 | attack pgd | purify t=10 | classify | report")
        #expect(text.contains("s.dpl:1:60: error: `load cifar10` gives 3×32×32 images, but with no model= the shipped Fashion-MNIST classifier `fmnist-cnn-small.safetensors` takes 1×28×28 images"), "\(text)")
        #expect(text.contains("give a classifier for cifar10 images: `classify model=\"file.safetensors\"`"), "\(text)")
        #expect(try checkError("load cifar10 path=\"cifar\" | classify").contains("`load cifar10` gives 3×32×32 images"))
        // Through a variable, as scripts usually load their data, and as the default source.
        let viaVariable = try checkError("let data = load cifar10 path=\"cifar\" n=4\ndata | attack pgd | classify\nattack pgd | classify")
        #expect(viaVariable.contains("s.dpl:2:21: error: `load cifar10` gives 3×32×32 images"), "\(viaVariable)")
        #expect(viaVariable.contains("s.dpl:3:14: error: `load cifar10` gives 3×32×32 images"), "\(viaVariable)")
        #expect(try checkError("let data = load cifar10 path=\"cifar\"\nfor t in [1, 2] { let data = load fashion-mnist\n data | classify }").isEmpty,
                "an inner `let` hides the outer one's history")
        #expect(try checkError("load fashion-mnist n=4 | attack pgd | classify").isEmpty)
        #expect(try checkError("classify").isEmpty, "the default source fits the default classifier")
    }

    @Test func aModelFileWhoseArchitectureTakesOtherImages() throws {
        try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = try checkError("load fashion-mnist n=4 | classify model=\"rgb8.safetensors\"")
        #expect(text.contains("s.dpl:1:41: error: `load fashion-mnist` gives 1×28×28 images, but `rgb8.safetensors` (cnn) takes 3×8×8 images"), "\(text)")
        let setting = try checkError("set classifier = \"rgb8.safetensors\"\nload cifar10 path=\"cifar\" | classify")
        #expect(setting.contains("s.dpl:2:29: error: `load cifar10` gives 3×32×32 images, but the `classifier` setting's `rgb8.safetensors` (cnn) takes 3×8×8 images"), "\(setting)")
        // What is not known before running is left to the run: an empty image folder, a model value.
        #expect(try checkError("load images path=\"cifar\" | classify model=\"rgb8.safetensors\"").isEmpty)
        // A model value in a variable is traced to the `model` call that made it: its file, or its `arch=`.
        let value = try checkError("let m = model \"rgb8.safetensors\"\nload fashion-mnist n=4 | classify model=m")
        #expect(value.contains("s.dpl:2:41: error: `load fashion-mnist` gives 1×28×28 images, but `rgb8.safetensors` (cnn) takes 3×8×8 images"), "\(value)")
        #expect(FileManager.default.createFile(atPath: folder + "/r50.pt", contents: Data([0x50, 0x4B])))
        let pytorch = try checkError("let r = model \"r50.pt\" arch=resnet50\nload fashion-mnist n=4 | classify model=r")
        #expect(pytorch.contains("`load fashion-mnist` gives 1×28×28 images, but `r50.pt` (resnet) takes 3×H×W images"), "\(pytorch)")
        #expect(try checkError("let r = model \"r50.pt\" arch=resnet50\nload cifar10 path=\"cifar\" | classify model=r").isEmpty)
        #expect(try checkError("let m = model \"rgb8.safetensors\"\nlet n = m\nload fashion-mnist | classify model=n").contains("takes 3×8×8"))
    }
    /// An image folder's shape is its first PNG's, read from the header (33 bytes).
    @Test func anImageFolderIsCheckedByItsFirstPNG() throws {
        try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, channels) in [("gray", 1), ("rgb", 3)] {
            for label in ["a", "b"] {
                try FileManager.default.createDirectory(atPath: "\(folder)/\(name)/\(label)", withIntermediateDirectories: true)
                try PNGEncoder.write(try Tensor(shape: [channels, 8, 8], scalars: (0..<(channels * 64)).map { Float($0 % 7) / 7 }),
                                     to: "\(folder)/\(name)/\(label)/0.png")
            }
        }
        #expect(ImageFolder.firstImageShape(path: folder + "/gray") == [1, 8, 8])
        #expect(ImageFolder.firstImageShape(path: folder + "/rgb") == [3, 8, 8])
        #expect(ImageFolder.firstImageShape(path: folder + "/cifar") == nil && ImageFolder.firstImageShape(path: folder + "/none") == nil)
        let text = try checkError("load images path=\"gray\" | attack pgd | classify model=\"rgb8.safetensors\"")
        #expect(text.contains("s.dpl:1:55: error: the PNG files of `load images path=\"gray\"` are 1×8×8 images, but `rgb8.safetensors` (cnn) takes 3×8×8 images"), "\(text)")
        #expect(text.contains("give a classifier for these images"), "\(text)")
        #expect(try checkError("load images path=\"rgb\" | attack pgd | classify model=\"rgb8.safetensors\"").isEmpty)
        #expect(try checkError("load images path=\"rgb\" | classify").contains("are 3×8×8 images, but with no model= the shipped Fashion-MNIST classifier"))
    }
}
