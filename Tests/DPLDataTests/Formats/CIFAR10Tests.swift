import Testing
@testable import DPLData

@Suite("CIFAR-10")
struct CIFAR10Tests {
    func record(label: UInt8, seed: UInt32) -> [UInt8] { [label] + patternBytes(3072, seed: seed) }

    @Test("records become [N, 3, 32, 32] with labels, numbered across batch files")
    func load() throws {
        let folder = try TemporaryFolder()
        for batch in 1...5 {
            try folder.write("data_batch_\(batch).bin", record(label: UInt8(batch), seed: UInt32(batch)) + record(label: 0, seed: 99))
        }
        let data = try CIFAR10.load(split: .train, directory: folder.path)
        #expect(data.count == 10)
        #expect(data.imageShape == [3, 32, 32])
        #expect(data.labels == [1, 0, 2, 0, 3, 0, 4, 0, 5, 0])
        #expect(data.ids[2] == SampleID(dataset: "cifar10", split: "train", index: 2))
        #expect(Array(data.images.scalars[(2 * 3072)..<(2 * 3072 + 5)]) == patternBytes(5, seed: 2).map { Float($0) / 255 })
        #expect(data.classNames[0] == "airplane")
        #expect(data.sourceFiles.count == 5)
    }

    @Test("class names come from batches.meta.txt when present")
    func meta() throws {
        let folder = try TemporaryFolder()
        try folder.write("test_batch.bin", record(label: 3, seed: 1))
        try folder.write("batches.meta.txt", Array(((0..<10).map { "c\($0)" }.joined(separator: "\n") + "\n\n").utf8))
        let data = try CIFAR10.load(split: .test, directory: folder.path)
        #expect(data.classNames[3] == "c3")
        try folder.write("batches.meta.txt", Array("a\nb\n".utf8))
        #expect(describes(dataError { _ = try CIFAR10.load(split: .test, directory: folder.path) }, path: "batches.meta.txt", "2 class names"))
    }

    @Test("broken files name the file and the problem")
    func errors() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("test_batch.bin", record(label: 1, seed: 1) + [7, 7])
        #expect(describes(dataError { _ = try CIFAR10.load(split: .test, directory: folder.path) }, path: path, "not a whole number", "3073"))
        try folder.write("test_batch.bin", record(label: 1, seed: 1) + record(label: 10, seed: 2))
        #expect(describes(dataError { _ = try CIFAR10.load(split: .test, directory: folder.path) }, path: path, "label 10", "byte offset 3073"))
        #expect(describes(dataError { _ = try CIFAR10.load(split: .train, directory: folder.path) }, path: "data_batch_1.bin", "not found"))
    }
}
