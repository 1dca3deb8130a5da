import Testing
@testable import DPLData

/// The `.npy` bytes, checked against NEP 1 by hand: these are the bytes `numpy.save` writes
/// for the same arrays (checked with NumPy 2.4 when the format was written).
@Suite("NPY arrays")
struct NPYArrayTests {
    @Test("a float32 matrix: magic, version 1.0, header length, header, newline, data")
    func float32Matrix() throws {
        let array = try NPYArray(shape: [2, 3], elements: .float32([0, 1, -2, 0.5, 3, 4]))
        let bytes = try array.encoded()
        let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        // 10 fixed bytes + 60 + padding + newline = 128.
        let headerLength = 128 - 10
        var expected: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(headerLength), 0]
        expected += Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: headerLength - dictionary.utf8.count - 1) + [0x0A]
        expected += [0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40]
        #expect(bytes == expected)
    }

    @Test("one dimension keeps Python's trailing comma; no dimensions is ()")
    func shapeTuples() throws {
        #expect(try NPYArray(shape: [5], elements: .int64([1, 2, 3, 4, 5])).headerDictionary
                == "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }")
        #expect(try NPYArray(shape: [], elements: .uint64([7])).headerDictionary
                == "{'descr': '<u8', 'fortran_order': False, 'shape': (), }")
        #expect(try NPYArray(shape: [4, 1, 28, 28], elements: .float32([Float](repeating: 0, count: 3136))).headerDictionary
                == "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 1, 28, 28), }")
    }

    @Test("the data starts at a multiple of 64 bytes for every shape, after a newline")
    func alignment() throws {
        for rank in 0...40 {
            let shape = [Int](repeating: 1, count: rank)
            let bytes = try NPYArray(shape: shape, elements: .float32([9])).encoded()
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            #expect((10 + headerLength) % 64 == 0, "rank \(rank)")
            #expect(bytes[10 + headerLength - 1] == 0x0A)
            #expect(bytes.count == 10 + headerLength + 4)
        }
        for width in [1, 99, 12_345, 1_234_567_890] {
            let bytes = try NPYArray(shape: [width, 0], elements: .float32([])).encoded()
            #expect(bytes.count % 64 == 0, "shape (\(width), 0) has no data, so the file ends at the aligned header")
        }
    }

    @Test("int64 and uint64 elements are little-endian two's complement and unsigned")
    func integers() throws {
        let signed = try NPYArray(shape: [2], elements: .int64([-2, 258])).encoded()
        #expect(Array(signed.suffix(16)) == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0, 0, 0, 0, 0, 0])
        let unsigned = try NPYArray(shape: [1], elements: .uint64([0xF000_0000_0000_0001])).encoded()
        #expect(Array(unsigned.suffix(8)) == [0x01, 0, 0, 0, 0, 0, 0, 0xF0])
    }

    @Test("an element count that is not the shape's product is refused")
    func countMismatch() {
        #expect(throws: DataError("an array of shape [2, 3] needs 6 elements, but 5 were given")) {
            try NPYArray(shape: [2, 3], elements: .float32([1, 2, 3, 4, 5]))
        }
        #expect(throws: DataError.self) { try NPYArray(shape: [-1], elements: .float32([])) }
    }

    @Test("a header over version 1.0's 65535 bytes is refused, not truncated")
    func headerTooLong() throws {
        let array = try NPYArray(shape: [Int](repeating: 1, count: 30_000), elements: .float32([1]))
        #expect(throws: DataError.self) { try array.encoded() }
    }
}

/// The provenance string of an `.npz`.
@Suite("NPY strings")
struct NPYStringTests {
    @Test("a string is a zero-dimensional '<U<length>' array of UTF-32LE code points")
    func unicode() throws {
        let bytes = try NPYArray(shape: [], elements: .unicode("aé€")).encoded()
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect(String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self).hasPrefix("{'descr': '<U3', 'fortran_order': False, 'shape': (), } "))
        #expect(Array(bytes[(10 + headerLength)...]) == [0x61, 0, 0, 0, 0xE9, 0, 0, 0, 0xAC, 0x20, 0, 0])
        #expect(try NPYArray(shape: [], elements: .unicode("")).headerDictionary.contains("'<U1'"))
    }
}
