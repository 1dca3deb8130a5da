import Foundation
import DPLTensor

/// A `.safetensors` file opened for reading: the header is parsed and validated at once,
/// tensors are converted to Float on request.
///
/// Format: an 8-byte little-endian header length n, n bytes of JSON header
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`,
/// then the data, where each tensor occupies bytes `begin..<end` (relative to the end of
/// the header) in row-major little-endian order.
///
/// Validation at open: the length fits the file, the header is a JSON object, every entry
/// has a known dtype, a shape and offsets, every range lies inside the data, its size equals
/// elements × dtype size, and no two ranges overlap.
public struct SafetensorsFile {
    /// One tensor's entry in the header.
    public struct Entry: Equatable {
        /// The stored element type.
        public let dtype: SafetensorsDType
        /// The tensor's shape.
        public let shape: [Int]
        /// The byte range relative to the start of the data section.
        public let byteRange: Range<Int>
    }

    /// The name used in error messages (the file's last path component).
    public let fileName: String
    /// The string metadata of the header's `__metadata__` entry (empty if absent).
    public let metadata: [String: String]
    /// The header entries by tensor name.
    public let entries: [String: Entry]
    /// The tensor names in the order of their data in the file.
    public let names: [String]

    private let bytes: Data
    private let dataStart: Int

    // MARK: - Opening

    /// Opens and validates the file at `url` (memory-mapped).
    /// - Throws: `SafetensorsError` when the file cannot be read or is malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafetensorsError(file: url.lastPathComponent, "cannot be read (\(error.localizedDescription)); check the path")
        }
        try self.init(data: data, fileName: url.lastPathComponent)
    }

    /// Parses and validates a safetensors file already in memory; `fileName` is for messages.
    /// - Throws: `SafetensorsError` when the bytes are malformed.
    public init(data: Data, fileName: String) throws {
        func fail(_ message: String) -> SafetensorsError { SafetensorsError(file: fileName, message) }
        func fail(tensor: String, _ message: String) -> SafetensorsError {
            SafetensorsError(file: fileName, tensor: tensor, message)
        }
        // Offsets below are from the first byte; rebase a slice (copying) only if it does not start at 0.
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= 8 else {
            throw fail("is \(bytes.count) bytes long, shorter than the 8-byte header length; it is not a safetensors file or is truncated")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("declares a header of \(headerLength) bytes but only \(bytes.count - 8) bytes follow the length; the file is truncated or not a safetensors file")
        }
        let dataStart = 8 + Int(headerLength)
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: bytes.subdata(in: 8..<dataStart))
        } catch {
            throw fail("has a header that is not valid JSON")
        }
        guard case .object(let header) = parsed else {
            throw fail("has a header that is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard case .object(let fields) = raw else { throw fail("has a __metadata__ entry that is not an object of strings") }
            for (key, value) in fields {
                guard case .string(let text) = value else {
                    throw fail("has __metadata__ field \"\(key)\" that is not a string")
                }
                metadata[key] = text
            }
        }

        let dataLength = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        for (name, raw) in header where name != "__metadata__" {
            guard case .object(let fields) = raw else { throw fail(tensor: name, "has a header entry that is not an object") }
            guard let dtypeValue = fields["dtype"] else { throw fail(tensor: name, "has no dtype in the header") }
            guard case .string(let dtypeName) = dtypeValue, let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail(tensor: name, "has an unknown dtype \(dtypeValue); known types are \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let shapeValue = fields["shape"] else { throw fail(tensor: name, "has no shape in the header") }
            guard let shape = shapeValue.nonNegativeIntegers else {
                throw fail(tensor: name, "has a shape that is not a list of non-negative integers")
            }
            guard let offsetsValue = fields["data_offsets"] else { throw fail(tensor: name, "has no data_offsets in the header") }
            guard let offsets = offsetsValue.nonNegativeIntegers, offsets.count == 2 else {
                throw fail(tensor: name, "has data_offsets that are not two non-negative integers [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end, end <= dataLength else {
                throw fail(tensor: name, "has data_offsets [\(begin), \(end)] outside the \(dataLength) data bytes of the file")
            }
            var expectedBytes = dtype.byteSize
            for extent in shape {
                let (product, overflow) = expectedBytes.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw fail(tensor: name, "has a shape \(shapeString(shape)) too large to address") }
                expectedBytes = product
            }
            guard end - begin == expectedBytes else {
                throw fail(tensor: name, "has data_offsets [\(begin), \(end)] spanning \(end - begin) bytes but shape \(shapeString(shape)) of \(dtype.rawValue) needs \(expectedBytes) bytes")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: begin..<end)
        }

        let ordered = entries.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound, $0.key)
                < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound, $1.key)
        }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw fail(tensor: next.key, "has data_offsets [\(next.value.byteRange.lowerBound), \(next.value.byteRange.upperBound)] overlapping those of tensor \"\(previous.key)\" [\(previous.value.byteRange.lowerBound), \(previous.value.byteRange.upperBound)]")
        }

        self.fileName = fileName
        self.metadata = metadata
        self.entries = entries
        self.names = ordered.map(\.key)
        self.bytes = bytes
        self.dataStart = dataStart
    }

    // MARK: - Reading tensors

    /// The tensor called `name`, converted to Float.
    /// - Throws: `SafetensorsError` when the file has no such tensor or its dtype is not a
    ///   floating-point type DPL reads.
    public func tensor(named name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw SafetensorsError(file: fileName, tensor: name, "is not in the file, which has \(names.count) tensors")
        }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.byteRange.lowerBound
        return try bytes.withUnsafeBytes { raw -> Tensor in
            switch entry.dtype {
            case .f32:
                return Tensor.uninitialized(shape: entry.shape) { out in
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                }
            case .f16:
                return Tensor.uninitialized(shape: entry.shape) { out in
                    for i in 0..<count {
                        out[i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)))
                    }
                }
            case .bf16:
                return Tensor.uninitialized(shape: entry.shape) { out in
                    for i in 0..<count {
                        out[i] = floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)))
                    }
                }
            case .f64:
                return Tensor.uninitialized(shape: entry.shape) { out in
                    for i in 0..<count {
                        out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
                    }
                }
            case .i64:
                // Counters such as BatchNorm's `num_batches_tracked`; exact up to 2²⁴.
                return Tensor.uninitialized(shape: entry.shape) { out in
                    for i in 0..<count {
                        out[i] = Float(Int64(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
                    }
                }
            default:
                throw SafetensorsError(file: fileName, tensor: name, "has dtype \(entry.dtype.rawValue), which DPL does not read; store it as F32, F16, BF16, F64 or I64")
            }
        }
    }

    /// The tensor called `name`, checked to have `shape`.
    /// - Throws: `SafetensorsError` as `tensor(named:)`, or when the shape differs (both shapes named).
    public func tensor(named name: String, shape: [Int]) throws -> Tensor {
        if let entry = entries[name], entry.shape != shape {
            throw SafetensorsError(file: fileName, tensor: name, "has shape \(shapeString(entry.shape)) but \(shapeString(shape)) is needed")
        }
        return try tensor(named: name)
    }

    /// Every tensor, in file order, as a state dict for `Module.loadStateDict(_:)`.
    /// - Throws: `SafetensorsError` when a tensor's dtype is not readable.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try names.map { ($0, try tensor(named: $0)) }
    }
}
