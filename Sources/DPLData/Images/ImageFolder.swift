import Foundation
import DPLTensor

/// A dataset stored as PNG files in one sub-folder per class:
///
///     root/
///       cat/  001.png 002.png …
///       dog/  001.png …
///
/// Class folders sorted by name give the class indices (so `cat` is 0, `dog` is 1); inside a
/// class, PNG files (`.png`, any case) are taken in name order. Names are compared as Swift
/// strings, so the order does not depend on the locale. Hidden entries (starting with `.`)
/// and other files are ignored. Sample indices count files in that order across classes.
///
/// Images are decoded as `PNGDecoder` does: alpha is dropped and palettes expand to RGB, so
/// gray and gray+alpha files have 1 channel and RGB, RGBA and palette files 3. All images must
/// end up with the same channel count and size.
public enum ImageFolder {
    /// Loads every PNG under `path`.
    /// - Parameters:
    ///   - name: the dataset name in sample ids; defaults to the folder's own name.
    ///   - split: the split name in sample ids.
    /// - Throws: `DataError` naming the folder or file: no class folders, a class without
    ///   PNG files, a PNG that does not decode, or an image whose size or channel count differs
    ///   from the first image's (both are named).
    public static func load(path: String, name: String? = nil, split: String = "all") throws -> Dataset {
        let root = URL(fileURLWithPath: path)
        let datasetName = name ?? root.lastPathComponent
        let classNames = try visibleEntries(of: root.path).filter { isFolder(root.appendingPathComponent($0).path) }
        guard !classNames.isEmpty else {
            throw DataError(path: path, "has no class folders; put the PNG files of each class in a sub-folder named after the class")
        }

        var files: [(path: String, label: Int)] = []
        for (label, className) in classNames.enumerated() {
            let classFolder = root.appendingPathComponent(className)
            let pngs = try visibleEntries(of: classFolder.path).filter {
                $0.lowercased().hasSuffix(".png") && !isFolder(classFolder.appendingPathComponent($0).path)
            }
            guard !pngs.isEmpty else {
                throw DataError(path: classFolder.path, "class folder has no .png files; add images or remove the folder")
            }
            files += pngs.map { (classFolder.appendingPathComponent($0).path, label) }
        }

        let first = try PNGDecoder.read(files[0].path)
        let imageSize = first.pixels.count
        var scalars = [Float]()
        scalars.reserveCapacity(files.count * imageSize)
        for (index, file) in files.enumerated() {
            let image = index == 0 ? first : try PNGDecoder.read(file.path)
            guard image.channels == first.channels, image.width == first.width, image.height == first.height else {
                throw DataError(path: file.path, "has shape \(image.shapeDescription) (channels, height, width) but the first image, \(files[0].path), has shape \(first.shapeDescription); all images of a folder dataset must share size and channel count")
            }
            scalars += image.pixels
        }
        let images = try Tensor(shape: [files.count, first.channels, first.height, first.width], scalars: scalars)
        let ids = files.indices.map { SampleID(dataset: datasetName, split: split, index: $0) }
        return try Dataset(
            name: datasetName, images: images, labels: files.map(\.label), ids: ids,
            classNames: classNames, sourceFiles: files.map(\.path))
    }

    /// The `[channels, height, width]` every image of the folder must have: the first PNG's
    /// (the one `load` reads first), from its header alone — 33 bytes, so `dpl check` can
    /// compare it with a classifier before anything runs. Nil when the folder or the file is
    /// not as `load` needs (the run then reports that).
    public static func firstImageShape(path: String) -> [Int]? {
        let root = URL(fileURLWithPath: path)
        guard let classNames = try? visibleEntries(of: root.path).filter({ isFolder(root.appendingPathComponent($0).path) }),
              let first = classNames.first else { return nil }
        let classFolder = root.appendingPathComponent(first)
        guard let png = (try? visibleEntries(of: classFolder.path))?.first(where: {
                  $0.lowercased().hasSuffix(".png") && !isFolder(classFolder.appendingPathComponent($0).path) }),
              let file = FileHandle(forReadingAtPath: classFolder.appendingPathComponent(png).path) else { return nil }
        defer { try? file.close() }
        guard let header = try? file.read(upToCount: 33), header.count == 33 else { return nil }
        let bytes = [UInt8](header)
        // Signature, then the IHDR chunk: length 13, "IHDR", width, height, depth, color type.
        guard bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        // As `PNGDecoder` decodes: gray (0) and gray+alpha (4) give 1 channel; RGB (2), palette (3), RGBA (6) give 3.
        let channels: Int
        switch bytes[25] {
        case 0, 4: channels = 1
        case 2, 3, 6: channels = 3
        default: return nil
        }
        return [channels, word(20), word(16)]
    }

    // MARK: - Folder helpers

    /// The names in `folder` not starting with `.`, sorted.
    static func visibleEntries(of folder: String) throws -> [String] {
        guard isFolder(folder) else {
            throw DataError(path: folder, "folder not found; pass path= to a folder with one sub-folder of PNG files per class")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DataError(path: folder, "cannot list the folder: \(error.localizedDescription)")
        }
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
