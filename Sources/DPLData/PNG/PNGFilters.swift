/// The five PNG scanline filters (PNG specification §9). Each row of image data starts with a
/// filter-type byte; the filter predicts each byte from its left (`a`), upper (`b`) and
/// upper-left (`c`) neighbours `bytesPerPixel` apart, and stores the difference.
enum PNGFilter: UInt8, CaseIterable {
    case none = 0, sub = 1, up = 2, average = 3, paeth = 4

    /// The Paeth predictor: whichever of a, b, c is closest to a + b − c (ties: a, then b).
    @inline(__always)
    static func paethPredictor(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let estimate = a + b - c
        let distanceA = abs(estimate - a), distanceB = abs(estimate - b), distanceC = abs(estimate - c)
        if distanceA <= distanceB && distanceA <= distanceC { return a }
        return distanceB <= distanceC ? b : c
    }

    /// Undoes this filter on `row` in place, given the already reconstructed `previous` row
    /// (all zeros for the first row of a pass).
    func reconstruct(_ row: UnsafeMutableBufferPointer<UInt8>, previous: UnsafeBufferPointer<UInt8>, bytesPerPixel: Int) {
        let count = row.count
        switch self {
        case .none:
            return
        case .sub:
            for i in bytesPerPixel..<max(bytesPerPixel, count) { row[i] = row[i] &+ row[i - bytesPerPixel] }
        case .up:
            for i in 0..<count { row[i] = row[i] &+ previous[i] }
        case .average:
            for i in 0..<count {
                let left = i >= bytesPerPixel ? Int(row[i - bytesPerPixel]) : 0
                row[i] = row[i] &+ UInt8((left + Int(previous[i])) / 2)
            }
        case .paeth:
            for i in 0..<count {
                let left = i >= bytesPerPixel ? Int(row[i - bytesPerPixel]) : 0
                let upperLeft = i >= bytesPerPixel ? Int(previous[i - bytesPerPixel]) : 0
                row[i] = row[i] &+ UInt8(Self.paethPredictor(left, Int(previous[i]), upperLeft))
            }
        }
    }

    /// Applies this filter to `row` given the unfiltered `previous` row, writing into `output`.
    func apply(_ row: UnsafeBufferPointer<UInt8>, previous: UnsafeBufferPointer<UInt8>, bytesPerPixel: Int, into output: UnsafeMutableBufferPointer<UInt8>) {
        for i in 0..<row.count {
            let left = i >= bytesPerPixel ? Int(row[i - bytesPerPixel]) : 0
            let up = Int(previous[i])
            let upperLeft = i >= bytesPerPixel ? Int(previous[i - bytesPerPixel]) : 0
            let prediction: Int
            switch self {
            case .none: prediction = 0
            case .sub: prediction = left
            case .up: prediction = up
            case .average: prediction = (left + up) / 2
            case .paeth: prediction = Self.paethPredictor(left, up, upperLeft)
            }
            output[i] = row[i] &- UInt8(truncatingIfNeeded: prediction)
        }
    }
}
