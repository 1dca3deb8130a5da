import Testing
import DPLTestSupport
@testable import DPLTensor
@testable import DPLNN

@Suite("BatchNorm2d")
struct BatchNorm2dTests {
    /// A layer with non-default scale, shift and running statistics.
    func makeLayer(channels: Int, random: inout TestRandom) throws -> BatchNorm2d {
        let layer = try BatchNorm2d(channels: channels)
        try layer.weight.assign(random.tensor([channels], 0.5, 1.5))
        try layer.bias.assign(random.tensor([channels], -0.5, 0.5))
        try layer.runningMean.assign(random.tensor([channels], -0.3, 0.3))
        try layer.runningVar.assign(random.tensor([channels], 0.5, 2))
        return layer
    }

    @Test func namesMatchPyTorch() throws {
        let layer = try BatchNorm2d(channels: 3)
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(layer.stateDict().map(\.name) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(layer.stateDict().map(\.tensor.shape) == [[3], [3], [3], [3], []])
        #expect(layer.parameters().count == 2, "optimizers must not see the running statistics")
        #expect(!layer.isTraining, "DPL layers start in evaluation mode")
    }

    @Test func evaluationModeUsesRunningStatistics() throws {
        var random = TestRandom(seed: 3)
        let layer = try makeLayer(channels: 2, random: &random)
        let x = random.tensor([3, 2, 2, 2])
        let y = try layer(x)
        for i in 0..<x.count {
            let c = (i / 4) % 2
            let expected = (x.scalars[i] - layer.runningMean.value.scalars[c])
                / (layer.runningVar.value.scalars[c] + 1e-5).squareRoot()
                * layer.weight.value.scalars[c] + layer.bias.value.scalars[c]
            #expect(abs(y.scalars[i] - expected) < 1e-5)
        }
        #expect(layer.batchesTracked.value.scalars == [0])
    }

    @Test func trainingModeNormalizesByTheBatchAndUpdatesRunningStatistics() throws {
        var random = TestRandom(seed: 4)
        let layer = try makeLayer(channels: 2, random: &random)
        let (oldMean, oldVar) = (layer.runningMean.value.scalars, layer.runningVar.value.scalars)
        layer.setTraining(true)
        let x = random.tensor([3, 2, 2, 2], -2, 3)
        let y = try layer(x)
        for c in 0..<2 {
            let values = (0..<x.count).filter { ($0 / 4) % 2 == c }.map { x.scalars[$0] }
            let mean = values.reduce(0, +) / Float(values.count)
            let sumSquares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            let biased = sumSquares / Float(values.count), unbiased = sumSquares / Float(values.count - 1)
            #expect(abs(layer.runningMean.value.scalars[c] - (0.9 * oldMean[c] + 0.1 * mean)) < 1e-5)
            #expect(abs(layer.runningVar.value.scalars[c] - (0.9 * oldVar[c] + 0.1 * unbiased)) < 1e-5)
            for i in (0..<x.count) where (i / 4) % 2 == c {
                let expected = (x.scalars[i] - mean) / (biased + 1e-5).squareRoot()
                    * layer.weight.value.scalars[c] + layer.bias.value.scalars[c]
                #expect(abs(y.scalars[i] - expected) < 1e-4)
            }
        }
        #expect(layer.batchesTracked.value.scalars == [1])
    }

    @Test func trainingModeInputGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 5)
        let layer = try makeLayer(channels: 3, random: &random)
        layer.setTraining(true)
        try checkGradients([random.tensor([2, 3, 2, 3])]) { xs in try layer(xs[0]) }
    }

    @Test func evaluationModeInputGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 6)
        let layer = try makeLayer(channels: 3, random: &random)
        try checkGradients([random.tensor([2, 3, 2, 2])]) { xs in try layer(xs[0]) }
    }

    @Test(arguments: [true, false])
    func scaleAndShiftGradientsMatchFiniteDifferences(training: Bool) throws {
        var random = TestRandom(seed: 7)
        let layer = try makeLayer(channels: 2, random: &random)
        layer.setTraining(training)
        let x = random.tensor([3, 2, 2, 2])
        let w = random.tensor([3, 2, 2, 2])
        func objective() throws -> Double {
            let y = try withoutGradients { try layer(x) }
            return zip(y.scalars, w.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let y = try withGradients { try layer(x) }
        let analytic = try gradients(of: y, wrt: [layer.weight.value, layer.bias.value], seed: w)
        let h: Float = 1e-2
        for (index, parameter) in [layer.weight, layer.bias].enumerated() {
            for c in 0..<2 {
                parameter.withUnsafeMutableScalars { $0[c] += h }
                let plus = try objective()
                parameter.withUnsafeMutableScalars { $0[c] -= 2 * h }
                let minus = try objective()
                parameter.withUnsafeMutableScalars { $0[c] += h }
                let numeric = (plus - minus) / Double(2 * h)
                #expect(abs(Double(analytic[index].scalars[c]) - numeric) <= 2e-3 + 2e-2 * abs(numeric))
            }
        }
    }

    @Test func badInputsAreClearErrors() throws {
        let layer = try BatchNorm2d(channels: 3)
        let wrongChannels = #expect(throws: TensorError.self) { try layer(.zeros([2, 4, 2, 2])) }
        #expect(wrongChannels?.description.contains("[N, 3, H, W]") == true)
        layer.setTraining(true)
        #expect(throws: TensorError.self) { try layer(.zeros([1, 3, 1, 1])) }
        #expect(throws: TensorError.self) { try BatchNorm2d(channels: 0) }
    }
}
