import Testing
@testable import DPLTensor

/// The choice of OpenBLAS kernels (BLASKernel.swift): which family the CPU flags allow, when
/// the tools re-execute with a better one, and the self-check that guards the choice.
@Suite struct BLASKernelTests {
    @Test func theBestFamilyFollowsTheCPUFlags() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        #expect(BLASKernel.bestCore(forFlags: avx512)?.name == "SkylakeX")
        #expect(BLASKernel.bestCore(forFlags: ["avx", "avx2", "fma", "avx512f"])?.name == "Haswell",
                "AVX-512 foundation alone is not enough for the SkylakeX kernels")
        #expect(BLASKernel.bestCore(forFlags: ["avx"])?.name == "Sandybridge")
        #expect(BLASKernel.bestCore(forFlags: ["sse2", "sse3"]) == nil)
    }

    @Test func ranksOrderTheFamiliesAndUnknownNamesAreLeftAlone() {
        #expect(BLASKernel.rank(ofCore: "Prescott") == 0)
        #expect(BLASKernel.rank(ofCore: "Haswell") == 2)
        #expect(BLASKernel.rank(ofCore: "SKYLAKEX") == 3)
        #expect(BLASKernel.rank(ofCore: "SapphireRapids") == 3)
        #expect(BLASKernel.rank(ofCore: "SomeFutureCore") == nil)
    }

    @Test func theKernelsInUsePassTheSelfCheck() {
        #expect(!BLASKernel.coreName.isEmpty)
        #expect(BLASKernel.selfCheck())
    }
}
