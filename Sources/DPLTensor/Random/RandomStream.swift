import Foundation

/// The random stream of one sample under one `RandomKey`: Philox4x32-10 blocks at counters
/// (sample, 0), (sample, 1), … read four 32-bit words at a time.
///
/// A stream is a cheap value (a key, a sample id, a block index and one buffered block);
/// copying it forks the position, which is never needed in DPL but is harmless.
public struct RandomStream {
    /// The Philox key of the (seed, purpose, step, call) tuple.
    @usableFromInline let philoxKey: Philox4x32.Key
    /// The sample id, the first half of every counter.
    public let sample: UInt64
    /// The index of the next block to generate, the second half of the counter.
    @usableFromInline var nextBlock: UInt64 = 0
    /// The current block and how many of its words have been handed out.
    @usableFromInline var buffer: Philox4x32.Block = (0, 0, 0, 0)
    @usableFromInline var usedWords = 4
    /// The second normal of the last Box–Muller pair, handed out by the next `nextNormal()`.
    @usableFromInline var spareNormal: Float?

    /// The stream of `sample` under a precomputed Philox key (batch fills compute the key once).
    @inlinable
    init(philoxKey: Philox4x32.Key, sample: UInt64) {
        self.philoxKey = philoxKey
        self.sample = sample
    }

    // MARK: - Raw bits

    /// The next 32 random bits.
    @inlinable
    public mutating func nextUInt32() -> UInt32 {
        if usedWords == 4 {
            buffer = Philox4x32.block(
                counter: (UInt32(truncatingIfNeeded: sample), UInt32(truncatingIfNeeded: sample >> 32),
                          UInt32(truncatingIfNeeded: nextBlock), UInt32(truncatingIfNeeded: nextBlock >> 32)),
                key: philoxKey)
            nextBlock &+= 1
            usedWords = 0
        }
        defer { usedWords += 1 }
        switch usedWords {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// The next 64 random bits (two words, high word first).
    @inlinable
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    // MARK: - Distributions

    /// Uniform in [0, 1): the 24 high bits of one word, so every value is an exact float and
    /// 1.0 can never come out (a float has a 24-bit significand).
    @inlinable
    public mutating func nextUniform() -> Float {
        Float(nextUInt32() >> 8) * 0x1p-24
    }

    /// Uniform in [low, high).
    @inlinable
    public mutating func nextUniform(low: Float, high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// A standard normal by Box–Muller: two words give two independent normals, and both are
    /// used (the second is kept for the next call).
    ///
    /// u₁ = (w₁ + 1)·2⁻³² lies in (0, 1], so log u₁ is finite; with 32-bit u₁ the largest
    /// |z| is √(2·32·ln 2) ≈ 6.66, beyond which a true normal has mass 3·10⁻¹¹. The
    /// transform runs in Double so the float result is correctly rounded in practice.
    @inlinable
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let (z0, z1) = nextNormalPair()
        spareNormal = z1
        return z0
    }

    /// Two independent standard normals from two words.
    @inlinable
    public mutating func nextNormalPair() -> (Float, Float) {
        let u1 = (Double(nextUInt32()) + 1) * 0x1p-32
        let u2 = Double(nextUInt32()) * 0x1p-32
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (Float(radius * Foundation.cos(angle)), Float(radius * Foundation.sin(angle)))
    }

    /// A uniform integer in `0..<bound` without modulo bias (Lemire's multiply-and-reject on
    /// 64-bit draws); 0 when `bound <= 1`.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let n = UInt64(bound)
        var product = nextUInt64().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = nextUInt64().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    // MARK: - Bulk

    /// Fills `buffer` with uniforms in [low, high), in order.
    @inlinable
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        let width = high - low
        for i in buffer.indices { buffer[i] = low + width * nextUniform() }
    }

    /// Fills `buffer` with normals of the given mean and standard deviation, in order: the
    /// same values, one by one, as `nextNormal()`.
    @inlinable
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, standardDeviation: Float = 1) {
        for i in buffer.indices { buffer[i] = mean + standardDeviation * nextNormal() }
    }

    /// Shuffles `elements` in place (Fisher–Yates, from the last position down).
    public mutating func shuffle<T>(_ elements: inout [T]) {
        var i = elements.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j { elements.swapAt(i, j) }
            i -= 1
        }
    }
}
