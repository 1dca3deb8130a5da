import Foundation
import Testing
import DPLTensor
@testable import DPLNN

@Suite("safetensors")
struct SafetensorsTests {
    // MARK: - Helpers

    /// A file built byte by byte: the 8-byte little-endian length, the header text, the data.
    static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let headerBytes = Array(header.utf8)
        var bytes = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        bytes.append(contentsOf: data)
        return bytes
    }

    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The error opening `bytes` (named `bad.safetensors`) throws.
    static func openError(_ bytes: Data) -> SafetensorsError? {
        do {
            _ = try SafetensorsFile(data: bytes, fileName: "bad.safetensors")
            return nil
        } catch let error as SafetensorsError {
            return error
        } catch {
            return nil
        }
    }

    // MARK: - Writing and reading back

    @Test func writesAndReadsBackThroughAFile() throws {
        let directory = try SafetensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        let tensors: [(name: String, tensor: Tensor)] = [
            ("layer.weight", try Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .pi, -0.0, 1e-30])),
            ("layer.bias", try Tensor(shape: [2], scalars: [7, 8])),
            ("scalar", Tensor(42)),
            ("empty", .zeros([0, 3])),
        ]
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "note": "quote \" and \\ and\nnewline"], to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ and\nnewline"])
        #expect(Set(file.names) == Set(tensors.map(\.name)))
        for (name, tensor) in tensors {
            let read = try file.tensor(named: name, shape: tensor.shape)
            #expect(read.shape == tensor.shape)
            #expect(read.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
        }
        // Only the final file remains: the temporary file was renamed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }

    @Test func overwritesAnExistingFile() throws {
        let directory = try SafetensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("w.safetensors")
        try SafetensorsWriter.write([("a", Tensor(1))], to: url)
        try SafetensorsWriter.write([("a", Tensor(2))], to: url)
        #expect(try SafetensorsFile(contentsOf: url).tensor(named: "a").scalars == [2])
    }

    @Test func layoutIsDeterministicSortedAndAligned() throws {
        let a = try Tensor(shape: [1], scalars: [1]), b = try Tensor(shape: [2], scalars: [2, 3])
        let first = try SafetensorsWriter.encode([("b", b), ("a", a)], metadata: ["y": "2", "x": "1"])
        let second = try SafetensorsWriter.encode([("a", a), ("b", b)], metadata: ["x": "1", "y": "2"])
        #expect(first == second)
        let headerLength = Int(first.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: first[8..<(8 + headerLength)], as: UTF8.self)
        let expected = #"{"__metadata__":{"x":"1","y":"2"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(header.trimmingCharacters(in: .whitespaces) == expected)
        #expect(header.hasPrefix(expected) && header.dropFirst(expected.count).allSatisfy { $0 == " " })
        #expect(Array(first.suffix(12)) == SafetensorsTests.littleEndianBytes([1, 2, 3]))
    }

    @Test func writerRejectsDuplicateAndReservedNames() {
        let duplicate = #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.encode([("w", Tensor(1)), ("w", Tensor(2))], fileName: "out.safetensors")
        }
        #expect(duplicate?.description.contains("out.safetensors") == true && duplicate?.tensor == "w")
        #expect(throws: SafetensorsError.self) { try SafetensorsWriter.encode([("__metadata__", Tensor(1))]) }
    }

    @Test func writeIntoAMissingDirectoryFailsNamingTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent-dpl-directory/m.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([("a", Tensor(1))], to: url) }
        #expect(error?.file == "m.safetensors")
    }

    // MARK: - Other dtypes

    @Test func readsHalfBFloat16AndDoubleAsFloat() throws {
        // F16: 1.0, −2.0, 65504 (largest), 2⁻²⁴ (smallest subnormal), +∞, 0x3555 ≈ 0.333251953125.
        let halfBits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555]
        // BF16: 1.0, 3.140625, −0.
        let bfloatBits: [UInt16] = [0x3F80, 0x4049, 0x8000]
        let doubles: [Double] = [0.1, -1e10]
        var data: [UInt8] = []
        for bits in halfBits + bfloatBits { withUnsafeBytes(of: bits.littleEndian) { data += $0 } }
        for value in doubles { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        let header = #"{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]},"d":{"dtype":"F64","shape":[2],"data_offsets":[18,34]}}"#
        let file = try SafetensorsFile(data: SafetensorsTests.file(header: header, data: data), fileName: "mixed.safetensors")
        #expect(try file.tensor(named: "h").scalars == [1, -2, 65504, 0x1p-24, .infinity, 0.333251953125])
        let bfloat = try file.tensor(named: "b").scalars
        #expect(bfloat[0] == 1 && bfloat[1] == 3.140625 && bfloat[2] == 0 && bfloat[2].sign == .minus)
        #expect(try file.tensor(named: "d").scalars == [Float(0.1), -1e10])
        #expect(file.names == ["h", "b", "d"])
    }

    @Test func loadsAModuleFromAFile() throws {
        let source = ExampleNet(), target = ExampleNet()
        try source.head.weight.assign(Tensor(shape: [1, 2], scalars: [0.5, -0.5]))
        let bytes = try SafetensorsWriter.encode(source.stateDict())
        try target.loadStateDict(try SafetensorsFile(data: bytes, fileName: "net.safetensors").tensors())
        #expect(target.head.weight.value.scalars == [0.5, -0.5])
    }

    // MARK: - Broken files, byte by byte

    @Test func fileShorterThanTheLengthField() {
        let error = SafetensorsTests.openError(Data([1, 2, 3]))
        #expect(error?.description.hasPrefix("bad.safetensors: is 3 bytes long") == true)
    }

    @Test func headerLengthBeyondTheFile() {
        let error = SafetensorsTests.openError(SafetensorsTests.file(header: "{}", declaredLength: 1000))
        #expect(error?.message.contains("1000") == true)
    }

    @Test func headerNotJSON() {
        #expect(SafetensorsTests.openError(SafetensorsTests.file(header: "{not json"))?.message.contains("not valid JSON") == true)
        #expect(SafetensorsTests.openError(SafetensorsTests.file(header: "[1, 2]"))?.message.contains("not a JSON object") == true)
    }

    @Test(arguments: [
        (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "no dtype"),
        (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "no shape"),
        (#"{"w":{"dtype":"F32","shape":[1]}}"#, "no data_offsets"),
        (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "not a list of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "not two non-negative integers"),
        (#"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, "unknown dtype"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "outside the 4 data bytes"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "outside"),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, "needs 8 bytes"),
        (#"{"w":[1]}"#, "not an object"),
    ])
    func malformedEntryNamesFileAndTensor(header: String, expected: String) {
        let error = SafetensorsTests.openError(SafetensorsTests.file(header: header, data: [0, 0, 0, 0]))
        #expect(error?.tensor == "w")
        #expect(error?.description.hasPrefix("bad.safetensors: tensor \"w\"") == true)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func overlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let error = SafetensorsTests.openError(SafetensorsTests.file(header: header, data: [UInt8](repeating: 0, count: 8)))
        #expect(error?.tensor == "b")
        #expect(error?.message.contains("overlapping") == true && error?.message.contains("\"a\"") == true)
    }

    @Test func metadataMustBeStrings() {
        let error = SafetensorsTests.openError(SafetensorsTests.file(header: #"{"__metadata__":{"epochs":3}}"#))
        #expect(error?.message.contains("epochs") == true)
    }

    @Test func unsupportedDtypeMissingTensorAndWrongShapeOnRead() throws {
        let header = #"{"ids":{"dtype":"U64","shape":[1],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let file = try SafetensorsFile(data: SafetensorsTests.file(header: header, data: [UInt8](repeating: 0, count: 16)),
                                       fileName: "bad.safetensors")
        let unsupported = #expect(throws: SafetensorsError.self) { try file.tensor(named: "ids") }
        #expect(unsupported?.tensor == "ids" && unsupported?.message.contains("U64") == true)
        let missing = #expect(throws: SafetensorsError.self) { try file.tensor(named: "bias") }
        #expect(missing?.description == "bad.safetensors: tensor \"bias\" is not in the file, which has 2 tensors")
        let wrongShape = #expect(throws: SafetensorsError.self) { try file.tensor(named: "w", shape: [3]) }
        #expect(wrongShape?.message.contains("[2]") == true && wrongShape?.message.contains("[3]") == true)
        #expect(try file.tensor(named: "w", shape: [2]).scalars == [0, 0])
    }

    @Test func integerCountersReadAsFloats() throws {
        // PyTorch stores BatchNorm's num_batches_tracked as a scalar I64.
        let header = #"{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"m":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#
        let bytes: [UInt8] = [0x39, 0x30, 0, 0, 0, 0, 0, 0] + [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        let file = try SafetensorsFile(data: SafetensorsTests.file(header: header, data: bytes), fileName: "counts.safetensors")
        #expect(try file.tensor(named: "n").scalars == [12345])
        #expect(try file.tensor(named: "m").scalars == [-2])
    }

    @Test func unreadableFileNamesIt() {
        let error = #expect(throws: SafetensorsError.self) {
            try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent-dpl/missing.safetensors"))
        }
        #expect(error?.file == "missing.safetensors")
    }
}
