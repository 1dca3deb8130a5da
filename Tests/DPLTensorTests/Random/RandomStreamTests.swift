import Foundation
import Testing
@testable import DPLTensor

@Suite("keyed random streams")
struct RandomStreamTests {
    static let key = RandomKey(seed: 42, purpose: "test.stream", step: 3, call: 0)

    // MARK: - Distributions

    @Test func uniformHasMeanVarianceAndFlatHistogram() {
        let n = 1_000_000
        var stream = RandomStreamTests.key.stream(sample: 1)
        var sum = 0.0, sumSquares = 0.0
        var bins = [Int](repeating: 0, count: 16)
        var smallest: Float = 1, largest: Float = 0
        for _ in 0..<n {
            let u = stream.nextUniform()
            smallest = min(smallest, u); largest = max(largest, u)
            sum += Double(u); sumSquares += Double(u) * Double(u)
            bins[Int(u * 16)] += 1
        }
        #expect(smallest >= 0 && largest < 1)
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        // Standard errors: sqrt(1/12/n) ≈ 2.9e-4 for the mean, ≈ 7.5e-5 for the variance; allow 5.
        #expect(abs(mean - 0.5) < 5 * 2.9e-4)
        #expect(abs(variance - 1.0 / 12) < 5 * 7.5e-5)
        let expected = Double(n) / 16
        let chiSquare = bins.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        // 15 degrees of freedom: P(χ² > 37.7) = 0.001.
        #expect(chiSquare < 37.7)
    }

    @Test func normalMomentsMatchWithinSamplingError() {
        let n = 1_000_000
        var stream = RandomStreamTests.key.stream(sample: 2)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = Double(stream.nextNormal()) }
        let mean = values.reduce(0, +) / Double(n)
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in values {
            let d = v - mean, d2 = d * d
            m2 += d2; m3 += d2 * d; m4 += d2 * d2
        }
        m2 /= Double(n); m3 /= Double(n); m4 /= Double(n)
        let skew = m3 / pow(m2, 1.5), excessKurtosis = m4 / (m2 * m2) - 3
        // Standard errors for n draws: mean 1/√n, variance √(2/n), skew √(6/n), kurtosis √(24/n).
        let root = Double(n).squareRoot()
        #expect(abs(mean) < 5 / root)
        #expect(abs(m2 - 1) < 5 * 2.0.squareRoot() / root)
        #expect(abs(skew) < 5 * 6.0.squareRoot() / root)
        #expect(abs(excessKurtosis) < 5 * 24.0.squareRoot() / root)
        #expect(values.allSatisfy { $0.isFinite })
    }

    @Test func normalUsesBothBoxMullerOutputs() {
        var single = RandomStreamTests.key.stream(sample: 3)
        var paired = RandomStreamTests.key.stream(sample: 3)
        let (z0, z1) = paired.nextNormalPair()
        #expect(single.nextNormal() == z0)
        #expect(single.nextNormal() == z1)
        // Two normals consumed exactly two words.
        #expect(single.nextUInt32() == paired.nextUInt32())
    }

    @Test func boundedIntegersAreInRangeAndRoughlyUniform() {
        var stream = RandomStreamTests.key.stream(sample: 4)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[stream.nextInt(below: 7)] += 1 }
        // Each count is Binomial(70000, 1/7): mean 10000, sd ≈ 93.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        #expect(stream.nextInt(below: 1) == 0)
        #expect(stream.nextInt(below: 0) == 0)
    }

    // MARK: - Keys

    @Test func purposeHashIsFNV1a() {
        // FNV-1a 64 reference values: "" → offset basis, "a" → af63dc4c8601ec8c.
        #expect(RandomPurpose("").hash == 0xCBF2_9CE4_8422_2325)
        #expect(RandomPurpose("a").hash == 0xAF63_DC4C_8601_EC8C)
    }

    /// The base key changed in exactly one field, and the sample id changed alone.
    static let variants: [(String, RandomKey, UInt64)] = [
        ("seed", RandomKey(seed: 43, purpose: "test.stream", step: 3, call: 0), 1),
        ("purpose", RandomKey(seed: 42, purpose: "test.streams", step: 3, call: 0), 1),
        ("step", RandomKey(seed: 42, purpose: "test.stream", step: 4, call: 0), 1),
        ("call", RandomKey(seed: 42, purpose: "test.stream", step: 3, call: 1), 1),
        ("sample", RandomKey(seed: 42, purpose: "test.stream", step: 3, call: 0), 2),
    ]

    @Test(arguments: 0..<5)
    func changingOneFieldGivesAnUncorrelatedStream(variant: Int) {
        let (field, other, sample) = RandomStreamTests.variants[variant]
        let n = 20_000
        var a = RandomStreamTests.key.stream(sample: 1), b = other.stream(sample: sample)
        var xs = [Double](), ys = [Double]()
        for _ in 0..<n { xs.append(Double(a.nextUniform())); ys.append(Double(b.nextUniform())) }
        let meanX = xs.reduce(0, +) / Double(n), meanY = ys.reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            sxy += (xs[i] - meanX) * (ys[i] - meanY)
            sxx += (xs[i] - meanX) * (xs[i] - meanX)
            syy += (ys[i] - meanY) * (ys[i] - meanY)
        }
        let correlation = sxy / (sxx * syy).squareRoot()
        // Under independence the correlation has standard error 1/√n ≈ 0.007.
        #expect(abs(correlation) < 5 / Double(n).squareRoot(), "changing \(field)")
        let equalCount = zip(xs, ys).filter { $0 == $1 }.count
        #expect(equalCount < 10, "changing \(field)")
    }

    @Test func negativeAndLargeStepsAreDistinct() {
        let a = RandomStreamTests.key.atStep(-1).philoxKey, b = RandomStreamTests.key.atStep(Int.max).philoxKey
        #expect(a != b)
    }

    // MARK: - Batch independence and determinism

    @Test func rowDependsOnlyOnItsSampleID() throws {
        let key = RandomStreamTests.key
        let alone = try Tensor.normal(shape: [1, 3, 4, 4], key: key, sampleIDs: [7])
        let batch = try Tensor.normal(shape: [3, 3, 4, 4], key: key, sampleIDs: [3, 7, 11])
        let reordered = try Tensor.normal(shape: [4, 3, 4, 4], key: key, sampleIDs: [11, 5, 3, 7])
        #expect(Array(batch.scalars[48..<96]) == alone.scalars)
        #expect(Array(reordered.scalars[144..<192]) == alone.scalars)
        #expect(Array(reordered.scalars[0..<48]) == Array(batch.scalars[96..<144]))

        let uniformAlone = try Tensor.uniform(shape: [1, 5], key: key, sampleIDs: [7], low: -2, high: 2)
        let uniformBatch = try Tensor.uniform(shape: [2, 5], key: key, sampleIDs: [9, 7], low: -2, high: 2)
        #expect(Array(uniformBatch.scalars[5..<10]) == uniformAlone.scalars)
        #expect(uniformAlone.scalars.allSatisfy { $0 >= -2 && $0 < 2 })
    }

    /// A batch large enough to be filled in several chunks on the engine's workers: every row
    /// is still its sample's stream from the start, for 1 and 2 threads alike.
    @Test func rowsFilledOnSeveralWorkersAreEachSamplesStream() throws {
        let key = RandomStreamTests.key
        let ids: [UInt64] = (0..<40).map { 1000 + 3 * $0 }
        let shape = [ids.count, 1, 28, 28]
        let one = try EngineThreads.with(1) { try Tensor.normal(shape: shape, key: key, sampleIDs: ids) }
        let two = try EngineThreads.with(2) { try Tensor.normal(shape: shape, key: key, sampleIDs: ids) }
        #expect(one.scalars == two.scalars)
        for row in [0, 17, 39] {
            let alone = try Tensor.normal(shape: [1, 1, 28, 28], key: key, sampleIDs: [ids[row]])
            #expect(Array(two.scalars[(row * 784)..<((row + 1) * 784)]) == alone.scalars)
        }
    }

    @Test func rowIsTheStartOfTheSampleStream() throws {
        let key = RandomStreamTests.key
        let row = try Tensor.uniform(shape: [1, 6], key: key, sampleIDs: [7])
        var stream = key.stream(sample: 7)
        #expect(row.scalars == (0..<6).map { _ in stream.nextUniform() })
    }

    @Test func drawsAreDeterministic() throws {
        let key = RandomKey(seed: 1, purpose: "purify.forward")
        let first = try Tensor.normal(shape: [2, 10], key: key, sampleIDs: [0, 1], mean: 1, standardDeviation: 2)
        let second = try Tensor.normal(shape: [2, 10], key: key, sampleIDs: [0, 1], mean: 1, standardDeviation: 2)
        #expect(first.scalars == second.scalars)
        #expect(key.shuffledIndices(count: 50) == key.shuffledIndices(count: 50))
    }

    @Test func rejectsShapesThatDoNotMatchTheIDs() {
        let key = RandomStreamTests.key
        let error = #expect(throws: TensorError.self) { try Tensor.normal(shape: [3, 2], key: key, sampleIDs: [1, 2]) }
        #expect(error?.description.contains("[3, 2]") == true)
        #expect(throws: TensorError.self) { try Tensor.uniform(shape: [], key: key, sampleIDs: []) }
        #expect(throws: TensorError.self) { try Tensor.uniform(shape: [1, -1], key: key, sampleIDs: [1]) }
    }

    // MARK: - Shuffling

    @Test func shuffledIndicesArePermutationsThatChangeWithTheEpoch() {
        let epoch0 = RandomKey(seed: 5, purpose: "data.shuffle", step: 0)
        let first = epoch0.shuffledIndices(count: 1000)
        let second = epoch0.atStep(1).shuffledIndices(count: 1000)
        #expect(first.sorted() == Array(0..<1000))
        #expect(second.sorted() == Array(0..<1000))
        #expect(first != second)
        #expect(first != Array(0..<1000))
        #expect(epoch0.shuffledIndices(count: 0).isEmpty)
        #expect(epoch0.shuffledIndices(count: 1) == [0])
    }

    @Test func shuffleIsUniformOverPositions() {
        // Where element 0 lands over many keyed shuffles of 4 elements: each position ≈ 1/4.
        var landings = [Int](repeating: 0, count: 4)
        for epoch in 0..<8000 {
            let permutation = RandomKey(seed: 9, purpose: "data.shuffle", step: epoch).shuffledIndices(count: 4)
            landings[permutation.firstIndex(of: 0)!] += 1
        }
        // Binomial(8000, 1/4): sd ≈ 39.
        #expect(landings.allSatisfy { abs($0 - 2000) < 200 })
    }
}
