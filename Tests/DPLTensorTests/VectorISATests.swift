import Foundation
import Testing
@testable import DPLTensor

@Suite struct VectorISATests {
    @Test func withLimitsTheKernelsOnThisThreadOnly() {
        let outer = VectorISA.current
        VectorISA.with(.portable) {
            #expect(VectorISA.current == .portable)
            VectorISA.with(.avx512) {
                // Never wider than the CPU supports.
                #expect(VectorISA.current == VectorISA.detected)
            }
            #expect(VectorISA.current == .portable)
        }
        #expect(VectorISA.current == outer)
    }

    @Test func detectionAgreesWithTheCPUFlags() {
        let flags = BLASKernel.cpuFlags()
        let hasAVX512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if ProcessInfo.processInfo.environment["DPL_VECTOR_ISA"] == nil, !flags.isEmpty {
            #expect((VectorISA.detected == .avx512) == hasAVX512)
        }
    }
}
