import Testing
@testable import DPLTensor

@Suite struct SplitMix64Tests {
    @Test func matchesTheReferenceSequenceFromSeedZero() {
        // Vigna's splitmix64.c from state 0.
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func uniformValuesStayInTheirRangeAndTensorsHaveTheirShape() throws {
        var generator = SplitMix64(seed: 42)
        let tensor = try generator.tensor([3, 5], 2, 3)
        #expect(tensor.shape == [3, 5])
        #expect(tensor.scalars.allSatisfy { $0 >= 2 && $0 < 3 })
        #expect(Set(tensor.scalars).count == 15)
    }
}
