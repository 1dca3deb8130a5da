import Foundation
import Testing
import DPLTensor
@testable import DPLData

@Suite("ImageFolder")
struct ImageFolderTests {
    func png(_ value: Float, channels: Int = 1, size: Int = 2) -> [UInt8] {
        try! PNGEncoder.encode(Tensor(repeating: value, shape: [channels, size, size]))
    }

    @Test("sorted class folders give labels, files in name order, ids across classes")
    func load() throws {
        let folder = try TemporaryFolder()
        try folder.write("dog/b.png", png(0.2))
        try folder.write("dog/a.png", png(0.4))
        try folder.write("cat/z.PNG", png(0.6))
        try folder.write("cat/notes.txt", [1, 2])
        try folder.write(".hidden/x.png", png(1))
        let data = try ImageFolder.load(path: folder.path, name: "pets")
        #expect(data.classNames == ["cat", "dog"])
        #expect(data.labels == [0, 1, 1])
        #expect(data.images.shape == [3, 1, 2, 2])
        #expect(data.images.scalars.enumerated().allSatisfy { abs($0.element - [0.6, 0.4, 0.2][$0.offset / 4]) < 0.003 })
        #expect(data.ids.map(\.description) == ["pets/all/0", "pets/all/1", "pets/all/2"])
        #expect(data.sourceFiles.map { ($0 as NSString).lastPathComponent } == ["z.PNG", "a.png", "b.png"])
    }

    @Test("RGBA files load as 3 channels")
    func alpha() throws {
        let folder = try TemporaryFolder()
        try folder.write("a/1.png", pngFixture(width: 1, height: 1, colorType: 6, bitDepth: 8, samples: [255, 0, 0, 3], samplesPerPixel: 4))
        let data = try ImageFolder.load(path: folder.path)
        #expect(data.images.shape == [1, 3, 1, 1])
        #expect(data.images.scalars == [1, 0, 0])
    }

    @Test("an image of another size or channel count names both files and shapes")
    func mismatch() throws {
        let folder = try TemporaryFolder()
        try folder.write("a/1.png", png(0.5))
        let odd = try folder.write("b/1.png", png(0.5, channels: 3, size: 3))
        let error = dataError { _ = try ImageFolder.load(path: folder.path) }
        #expect(describes(error, path: odd, "[3, 3, 3]", "[1, 2, 2]", "a/1.png"))
    }

    @Test("empty folders and broken PNGs are reported")
    func errors() throws {
        let folder = try TemporaryFolder()
        #expect(describes(dataError { _ = try ImageFolder.load(path: folder.path) }, path: folder.path, "no class folders"))
        try folder.write("a/readme.txt", [1])
        #expect(describes(dataError { _ = try ImageFolder.load(path: folder.path) }, path: "/a", "no .png files"))
        let broken = try folder.write("a/1.png", Array(png(0.5).prefix(30)))
        #expect(describes(dataError { _ = try ImageFolder.load(path: folder.path) }, path: broken, "truncated"))
    }
}
