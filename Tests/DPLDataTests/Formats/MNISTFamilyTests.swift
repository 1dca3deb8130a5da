import Foundation
import Testing
@testable import DPLData

@Suite("MNIST and Fashion-MNIST")
struct MNISTFamilyTests {
    /// Writes a split of `count` 4×4 images with labels `index % 10`.
    func writeSplit(_ folder: TemporaryFolder, prefix: String, count: Int, dotted: Bool, gzip: Bool, labels: [UInt8]? = nil) throws {
        let images = idxBytes(magic: 0x803, dimensions: [count, 4, 4], payload: patternBytes(count * 16))
        let labelBytes = idxBytes(magic: 0x801, dimensions: [labels?.count ?? count], payload: labels ?? (0..<count).map { UInt8($0 % 10) })
        let separator = dotted ? "." : "-"
        let suffix = gzip ? ".gz" : ""
        try folder.write("\(prefix)-images\(separator)idx3-ubyte\(suffix)", gzip ? deflateStream(images, container: .gzip) : images)
        try folder.write("\(prefix)-labels\(separator)idx1-ubyte\(suffix)", gzip ? deflateStream(labelBytes, container: .gzip) : labelBytes)
    }

    @Test("MNIST loads either naming convention, gzipped or not")
    func conventions() throws {
        for (dotted, gzip) in [(false, false), (true, false), (false, true), (true, true)] {
            let folder = try TemporaryFolder()
            try writeSplit(folder, prefix: "t10k", count: 12, dotted: dotted, gzip: gzip)
            let data = try MNIST.load(split: .test, directory: folder.path)
            #expect(data.count == 12)
            #expect(data.imageShape == [1, 4, 4])
            #expect(data.labels == (0..<12).map { $0 % 10 })
            #expect(data.ids[11] == SampleID(dataset: "mnist", split: "test", index: 11))
            #expect(data.sourceFiles.count == 2 && data.sourceFiles.allSatisfy { $0.hasPrefix(folder.path) })
        }
    }

    @Test("image and label counts must agree")
    func countMismatch() throws {
        let folder = try TemporaryFolder()
        try writeSplit(folder, prefix: "train", count: 5, dotted: false, gzip: false, labels: [1, 2, 3])
        let error = dataError { _ = try MNIST.load(split: .train, directory: folder.path) }
        #expect(describes(error, path: "train-labels-idx1-ubyte", "3 labels", "5 images"))
    }

    @Test("missing files say how to install Fashion-MNIST")
    func missingFiles() throws {
        let folder = try TemporaryFolder()
        let error = dataError { _ = try FashionMNIST.load(split: .train, directory: folder.path) }
        #expect(describes(error, path: folder.path, "train-images-idx3-ubyte.gz", "apt-get install dataset-fashion-mnist", "path="))
    }

    @Test("the installed Fashion-MNIST has its known sizes and class balance",
          .enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz")))
    func installedFashionMNIST() throws {
        for (split, count) in [(DatasetSplit.test, 10_000), (.train, 60_000)] {
            let data = try FashionMNIST.load(split: split)
            #expect(data.count == count)
            #expect(data.imageShape == [1, 28, 28])
            #expect(data.classCounts == [Int](repeating: count / 10, count: 10))
            #expect(data.classNames.count == 10 && data.classNames[9] == "Ankle boot")
            let (low, high) = data.images.withUnsafeScalars { ($0.min() ?? -1, $0.max() ?? -1) }
            #expect(low == 0 && high == 1)
            #expect(data.ids[0].key == SampleID(dataset: "fashion-mnist", split: split.rawValue, index: 0).key)
        }
    }
}
