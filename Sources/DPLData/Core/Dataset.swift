import DPLTensor

/// A labelled image dataset held in memory: images `[N, C, H, W]` float32 in [0, 1], one label
/// and one stable `SampleID` per image, the class names, and the files it was read from.
///
/// Subsets, batches and gathers keep each sample's original `SampleID`, so anything keyed by
/// it (random noise in particular) is the same whichever way the data is cut.
public struct Dataset {
    /// The dataset name, e.g. `fashion-mnist`.
    public let name: String
    /// The images, `[N, C, H, W]`, values in [0, 1].
    public let images: Tensor
    /// The class index of each image, each in `0..<classNames.count`.
    public let labels: [Int]
    /// The identity of each image in its original file.
    public let ids: [SampleID]
    /// The class names, indexed by label.
    public let classNames: [String]
    /// The path of every file read to build this dataset, in reading order, so that
    /// provenance records can hash them.
    public let sourceFiles: [String]

    /// A dataset from parts that must agree: images of rank 4, one label and one id per image,
    /// labels within the class names.
    /// - Throws: `DataError` naming the dataset and the disagreement.
    public init(
        name: String, images: Tensor, labels: [Int], ids: [SampleID],
        classNames: [String], sourceFiles: [String]
    ) throws {
        guard images.rank == 4 else {
            throw DataError("dataset \(name): images must have shape [N, C, H, W] but have shape \(shapeString(images.shape))")
        }
        let count = images.shape[0]
        guard labels.count == count, ids.count == count else {
            throw DataError("dataset \(name): \(count) images but \(labels.count) labels and \(ids.count) sample ids; give one of each per image")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError("dataset \(name): label \(labels[bad]) of sample \(bad) is outside 0..<\(classNames.count) (the number of class names)")
        }
        self.name = name
        self.images = images
        self.labels = labels
        self.ids = ids
        self.classNames = classNames
        self.sourceFiles = sourceFiles
    }

    // MARK: - Shape

    /// The number of samples.
    public var count: Int { images.shape[0] }
    /// Channels, height and width of one image.
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    // MARK: - Cutting

    /// The `count` samples starting at `offset`, keeping their original ids.
    /// - Throws: `DataError` when the range is not inside the dataset, naming its size.
    public func subset(offset: Int, count subsetCount: Int) throws -> Dataset {
        guard offset >= 0, subsetCount >= 0, offset <= count - subsetCount else {
            throw DataError("dataset \(name) has \(count) samples, so offset \(offset) with count \(subsetCount) is out of range; choose offset + count <= \(count)")
        }
        return try gathering(indices: Array(offset..<(offset + subsetCount)))
    }

    /// Consecutive batches of `size` samples; the last one is smaller when `size` does not
    /// divide the count. An empty dataset has no batches.
    /// - Throws: `DataError` when `size` is not positive.
    public func batches(of size: Int) throws -> [Dataset] {
        guard size > 0 else {
            throw DataError("dataset \(name): batch size must be positive but is \(size)")
        }
        return try stride(from: 0, to: count, by: size).map { start in
            try subset(offset: start, count: min(size, count - start))
        }
    }

    /// The samples at `indices`, in that order (repeats allowed), keeping their original ids.
    /// - Throws: `DataError` naming the first index outside the dataset.
    public func gathering(indices: [Int]) throws -> Dataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DataError("dataset \(name) has \(count) samples, so index \(bad) is out of range")
        }
        let sampleSize = imageShape.reduce(1, *)
        let gathered = images.withUnsafeScalars { source in
            Tensor.uninitialized(shape: [indices.count] + imageShape) { target in
                guard sampleSize > 0, let sourceBase = source.baseAddress, let targetBase = target.baseAddress else { return }
                for (row, index) in indices.enumerated() {
                    (targetBase + row * sampleSize).update(from: sourceBase + index * sampleSize, count: sampleSize)
                }
            }
        }
        return try Dataset(
            name: name, images: gathered, labels: indices.map { labels[$0] }, ids: indices.map { ids[$0] },
            classNames: classNames, sourceFiles: sourceFiles)
    }

    /// How many samples carry each label, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }
}
