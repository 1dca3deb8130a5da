import Testing
@testable import DPLTensor

@Suite("Philox4x32-10")
struct PhiloxTests {
    /// Random123's known-answer vectors for philox4x32 with 10 rounds, from the file
    /// `examples/kat_vectors` of the Random123 distribution (D. E. Shaw Research), lines
    /// `philox4x32 10 <counter ×4> <key ×2> <expected ×4>`:
    ///
    ///     philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
    ///     philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
    ///     philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
    static let knownAnswers: [([UInt32], [UInt32], [UInt32])] = [
        ([0, 0, 0, 0], [0, 0], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
        ([.max, .max, .max, .max], [.max, .max], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]),
        ([0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], [0xA409_3822, 0x299F_31D0],
         [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]),
    ]

    @Test(arguments: 0..<3)
    func matchesRandom123KnownAnswers(index: Int) {
        let (c, k, expected) = PhiloxTests.knownAnswers[index]
        let out = Philox4x32.block(counter: (c[0], c[1], c[2], c[3]), key: (k[0], k[1]))
        #expect([out.0, out.1, out.2, out.3] == expected)
    }
}
