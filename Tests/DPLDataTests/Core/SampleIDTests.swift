import Testing
@testable import DPLData

@Suite("SampleID")
struct SampleIDTests {
    @Test("FNV-1a matches the published 64-bit test vectors")
    func fnvVectors() {
        #expect(fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
    }

    @Test("the key is a fixed function of dataset, split and index")
    func keyIsStable() {
        let id = SampleID(dataset: "fashion-mnist", split: "test", index: 0)
        #expect(id.canonicalString == "fashion-mnist/test/0")
        // Changing this literal changes every keyed random draw in DPL: do not.
        #expect(id.key == 0xd0c8_e990_fa1b_3d4f)
        #expect(SampleID(dataset: "fashion-mnist", split: "test", index: 1).key != id.key)
        #expect(SampleID(dataset: "fashion-mnist", split: "train", index: 0).key != id.key)
    }
}
