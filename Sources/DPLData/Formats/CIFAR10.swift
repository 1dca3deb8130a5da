import Foundation
import DPLTensor

/// CIFAR-10 (Krizhevsky, 2009), binary version: 32×32 colour images in 10 classes. Each file
/// is a sequence of 3073-byte records: one label byte, then 1024 red, 1024 green and 1024 blue
/// bytes (channel-major, rows top to bottom), which is already NCHW.
public enum CIFAR10 {
    /// The dataset name in sample ids.
    public static let name = "cifar10"
    /// The class names, indexed by label, used when the folder has no `batches.meta.txt`.
    public static let defaultClassNames = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]
    /// Bytes per record: a label and a 3×32×32 image.
    public static let recordSize = 1 + 3 * 32 * 32

    /// The files of a split, in the order their records are numbered.
    public static func fileNames(_ split: DatasetSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// Loads one split from `directory` (the `cifar-10-batches-bin` folder of the binary
    /// release): `data_batch_1.bin` ... `data_batch_5.bin` for training, `test_batch.bin` for
    /// testing. Sample indices count records across the split's files in that order, so
    /// `data_batch_2.bin`'s first record has index 10000. Files may be gzipped.
    /// - Throws: `DataError` naming the file when it is missing, its size is not a whole number
    ///   of records, a label is out of range (with its byte offset), or `batches.meta.txt`
    ///   does not list 10 class names.
    public static func load(split: DatasetSplit, directory: String) throws -> Dataset {
        let classNames = try readClassNames(directory: directory)
        let paths = fileNames(split).map { (directory as NSString).appendingPathComponent($0) }
        if let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            throw DataError(path: missing, "CIFAR-10 \(split.rawValue) file not found; download the binary version (cifar-10-binary.tar.gz) and pass path= to its cifar-10-batches-bin folder")
        }
        let files = try paths.map { path -> [UInt8] in
            let bytes = try readPossiblyGzipped(path)
            guard bytes.count % recordSize == 0 else {
                throw DataError(path: path, "has \(bytes.count) bytes, which is not a whole number of \(recordSize)-byte CIFAR-10 records (\(bytes.count / recordSize) records and \(bytes.count % recordSize) bytes left over); the file is truncated or not a CIFAR-10 binary batch")
            }
            return bytes
        }
        let total = files.reduce(0) { $0 + $1.count / recordSize }
        let pixelsPerImage = recordSize - 1
        var labels = [Int]()
        labels.reserveCapacity(total)
        var labelError: DataError?
        let images = Tensor.uninitialized(shape: [total, 3, 32, 32]) { pixels in
            var sample = 0
            for (path, bytes) in zip(paths, files) {
                bytes.withUnsafeBufferPointer { bytes in
                    for record in 0..<(bytes.count / recordSize) {
                        let start = record * recordSize
                        let label = Int(bytes[start])
                        if label >= classNames.count, labelError == nil {
                            labelError = DataError(path: path, "label \(label) at byte offset \(start) (record \(record)) is outside 0...\(classNames.count - 1)")
                        }
                        labels.append(label)
                        for index in 0..<pixelsPerImage {
                            pixels[sample * pixelsPerImage + index] = unitFloatOfByte[Int(bytes[start + 1 + index])]
                        }
                        sample += 1
                    }
                }
            }
        }
        if let labelError { throw labelError }
        let ids = (0..<total).map { SampleID(dataset: name, split: split.rawValue, index: $0) }
        let metaPath = (directory as NSString).appendingPathComponent("batches.meta.txt")
        let metaFiles = FileManager.default.fileExists(atPath: metaPath) ? [metaPath] : []
        return try Dataset(
            name: name, images: images, labels: labels, ids: ids,
            classNames: classNames, sourceFiles: paths + metaFiles)
    }

    /// The class names from `batches.meta.txt` (one per non-empty line) when the folder has
    /// it, else `defaultClassNames`.
    static func readClassNames(directory: String) throws -> [String] {
        let metaPath = (directory as NSString).appendingPathComponent("batches.meta.txt")
        guard FileManager.default.fileExists(atPath: metaPath) else { return defaultClassNames }
        let bytes = try readFileBytes(metaPath)
        let names = String(decoding: bytes, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == defaultClassNames.count else {
            throw DataError(path: metaPath, "lists \(names.count) class names but CIFAR-10 has \(defaultClassNames.count); restore the file from the CIFAR-10 archive or delete it to use the standard names")
        }
        return names
    }
}
