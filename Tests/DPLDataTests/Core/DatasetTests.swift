import Testing
import DPLTensor
@testable import DPLData

@Suite("Dataset")
struct DatasetTests {
    /// Ten 1×2×2 images whose pixels all equal the sample index, labels index % 3.
    func tenSamples() throws -> Dataset {
        let images = try Tensor(shape: [10, 1, 2, 2], scalars: (0..<40).map { Float($0 / 4) })
        return try Dataset(
            name: "toy", images: images, labels: (0..<10).map { $0 % 3 },
            ids: (0..<10).map { SampleID(dataset: "toy", split: "train", index: $0) },
            classNames: ["a", "b", "c"], sourceFiles: ["/tmp/toy"])
    }

    @Test("subset keeps original ids, images and labels")
    func subset() throws {
        let part = try tenSamples().subset(offset: 4, count: 3)
        #expect(part.count == 3)
        #expect(part.ids.map(\.index) == [4, 5, 6])
        #expect(part.labels == [1, 2, 0])
        #expect(part.images.shape == [3, 1, 2, 2])
        #expect(part.images.scalars == [4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6])
        #expect(part.sourceFiles == ["/tmp/toy"])
    }

    @Test("subset out of range names the dataset size")
    func subsetOutOfRange() throws {
        let data = try tenSamples()
        let error = dataError { _ = try data.subset(offset: 8, count: 3) }
        #expect(error?.description.contains("has 10 samples") == true)
        #expect(dataError { _ = try data.subset(offset: -1, count: 1) } != nil)
        #expect(try data.subset(offset: 10, count: 0).count == 0)
    }

    @Test("batches cover every sample once, the last one smaller, ids unchanged")
    func batches() throws {
        let batches = try tenSamples().batches(of: 4)
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches.flatMap(\.ids).map(\.index) == Array(0..<10))
        #expect(batches[2].images.scalars == [8, 8, 8, 8, 9, 9, 9, 9])
        #expect(dataError { _ = try tenSamples().batches(of: 0) } != nil)
    }

    @Test("gathering keeps ids, so keys do not depend on order")
    func gathering() throws {
        let data = try tenSamples()
        let gathered = try data.gathering(indices: [7, 2, 7])
        #expect(gathered.ids.map(\.index) == [7, 2, 7])
        #expect(gathered.ids[0].key == data.ids[7].key)
        #expect(gathered.images.scalars == [7, 7, 7, 7, 2, 2, 2, 2, 7, 7, 7, 7])
        #expect(gathered.labels == [1, 2, 1])
        #expect(dataError { _ = try data.gathering(indices: [10]) }?.description.contains("index 10") == true)
    }

    @Test("parts that disagree are rejected")
    func validation() throws {
        let images = Tensor.zeros([2, 1, 1, 1])
        let ids = [0, 1].map { SampleID(dataset: "x", split: "s", index: $0) }
        #expect(dataError { _ = try Dataset(name: "x", images: images, labels: [0], ids: ids, classNames: ["a"], sourceFiles: []) } != nil)
        #expect(dataError { _ = try Dataset(name: "x", images: images, labels: [0, 1], ids: ids, classNames: ["a"], sourceFiles: []) }?.description.contains("label 1") == true)
        #expect(dataError { _ = try Dataset(name: "x", images: Tensor.zeros([2, 1]), labels: [0, 0], ids: ids, classNames: ["a"], sourceFiles: []) } != nil)
    }
}
