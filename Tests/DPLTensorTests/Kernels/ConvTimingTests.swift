import Testing
import Foundation
@testable import DPLTensor

@Suite("ConvTiming") struct ConvTimingTests {
    @Test func compare() throws {
        var random = TestRandom(seed: 1)
        let x = random.tensor([128, 32, 28, 28]), w = random.tensor([64, 32, 3, 3]), b = random.tensor([64])
        let problem = ConvProblem(batch: 128, outChannels: 64, geometry: ConvGeometry(channels: 32, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        var out = [Float](repeating: 0, count: 128 * 64 * 784)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: 64)
        let dy = random.tensor([128, 64, 28, 28])
        func time(_ label: String, _ body: () -> Void) {
            body()
            var ts: [Double] = []
            for _ in 0..<3 { let t = Date(); body(); ts.append(Date().timeIntervalSince(t)) }
            print("TIMING \(label): \(ts.sorted()[1])")
        }
        x.withUnsafeScalars { xp in w.withUnsafeScalars { wp in b.withUnsafeScalars { bp in dy.withUnsafeScalars { dyp in
            out.withUnsafeMutableBufferPointer { op in dx.withUnsafeMutableBufferPointer { dxp in dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                for threads in [1, 2] {
                    EngineThreads.with(threads) {
                        time("perSample fwd t\(threads)") { convolutionForward(problem, input: xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!, output: op.baseAddress!) }
                        time("batched fwd t\(threads)") { convolutionForwardBatched(problem, input: xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!, output: op.baseAddress!) }
                        time("perSample bwd t\(threads)") { convolutionBackward(problem, input: xp.baseAddress!, weight: wp.baseAddress!, gradOutput: dyp.baseAddress!, gradInput: dxp.baseAddress!, gradWeight: dwp.baseAddress!, gradBias: dbp.baseAddress!) }
                        time("batched bwd t\(threads)") { convolutionBackwardBatched(problem, input: xp.baseAddress!, weight: wp.baseAddress!, gradOutput: dyp.baseAddress!, gradInput: dxp.baseAddress!, gradWeight: dwp.baseAddress!, gradBias: dbp.baseAddress!) }
                    }
                }
            } } } }
        } } } }
    }
}
