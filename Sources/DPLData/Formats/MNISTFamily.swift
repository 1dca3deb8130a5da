import Foundation
import DPLTensor

/// Loads the MNIST-format pair of IDX files (images and labels) of one split, shared by
/// `MNIST` and `FashionMNIST`, which differ only in names and hints.
enum MNISTFamily {
    /// The file-name prefix of a split: `train` or `t10k`.
    static func prefix(_ split: DatasetSplit) -> String { split == .train ? "train" : "t10k" }

    /// The first existing file among the naming conventions in use: `train-images-idx3-ubyte`
    /// (LeCun's site, Fashion-MNIST) and `train-images.idx3-ubyte` (some mirrors), each plain
    /// or with `.gz`.
    static func locate(
        _ kind: String, rank: Int, split: DatasetSplit, directory: String,
        datasetTitle: String, missingHint: String
    ) throws -> String {
        let base = prefix(split)
        let candidates = ["\(base)-\(kind)-idx\(rank)-ubyte", "\(base)-\(kind).idx\(rank)-ubyte"]
            .flatMap { [$0, $0 + ".gz"] }
        let paths = candidates.map { (directory as NSString).appendingPathComponent($0) }
        if let found = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return found
        }
        throw DataError(path: directory, "\(datasetTitle) \(split.rawValue) \(kind) not found (looked for \(candidates.joined(separator: ", "))); \(missingHint)")
    }

    /// The split as a dataset `[N, 1, H, W]` with sample ids `name/split/index`.
    static func load(
        name: String, title: String, classNames: [String], split: DatasetSplit,
        directory: String, missingHint: String
    ) throws -> Dataset {
        let imagesPath = try locate("images", rank: 3, split: split, directory: directory, datasetTitle: title, missingHint: missingHint)
        let labelsPath = try locate("labels", rank: 1, split: split, directory: directory, datasetTitle: title, missingHint: missingHint)
        let images = try IDX.readImages(imagesPath)
        let labels = try IDX.readLabels(labelsPath, classCount: classNames.count)
        guard labels.count == images.shape[0] else {
            throw DataError(path: labelsPath, "has \(labels.count) labels but \(imagesPath) has \(images.shape[0]) images; the two files must come from the same split")
        }
        let ids = (0..<labels.count).map { SampleID(dataset: name, split: split.rawValue, index: $0) }
        return try Dataset(
            name: name, images: images, labels: labels, ids: ids,
            classNames: classNames, sourceFiles: [imagesPath, labelsPath])
    }
}

// MARK: - Fashion-MNIST

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28×28 grayscale images of clothing in 10
/// classes, 60000 for training and 10000 for testing, in IDX files.
public enum FashionMNIST {
    /// The dataset name in sample ids.
    public static let name = "fashion-mnist"
    /// Where the Debian package `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Loads one split from `directory` (`train-images-idx3-ubyte.gz` and its label file, or
    /// the `t10k-` pair for the test split; gzipped or not).
    /// - Throws: `DataError` naming the file and the problem; when the files are missing, the
    ///   message says how to install them.
    public static func load(split: DatasetSplit, directory: String = defaultDirectory) throws -> Dataset {
        try MNISTFamily.load(
            name: name, title: "Fashion-MNIST", classNames: classNames, split: split, directory: directory,
            missingHint: "install the Debian package `dataset-fashion-mnist` (apt-get install dataset-fashion-mnist) or pass path= to a folder that holds the files")
    }
}

// MARK: - MNIST

/// MNIST (LeCun, Cortes and Burges): 28×28 grayscale handwritten digits 0–9, 60000 for
/// training and 10000 for testing, in IDX files.
public enum MNIST {
    /// The dataset name in sample ids.
    public static let name = "mnist"
    /// The class names, indexed by label: the digits.
    public static let classNames = (0...9).map(String.init)

    /// Loads one split from `directory`, accepting `train-images-idx3-ubyte` and
    /// `train-images.idx3-ubyte` (and the `t10k-` files for the test split), gzipped or not.
    /// - Throws: `DataError` naming the file and the problem.
    public static func load(split: DatasetSplit, directory: String) throws -> Dataset {
        try MNISTFamily.load(
            name: name, title: "MNIST", classNames: classNames, split: split, directory: directory,
            missingHint: "download the four MNIST IDX files into that folder or pass path= to the folder that holds them")
    }
}
