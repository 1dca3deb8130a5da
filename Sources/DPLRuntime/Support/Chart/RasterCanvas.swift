import DPLTensor

/// An RGB picture drawn in memory for a chart rendered to PNG: filled rectangles, anti-aliased
/// polylines, polygons and discs, and text in `BitmapFont`. Coordinates are in pixels with
/// pixel (i, j) covering [i, i+1) × [j, j+1).
///
/// Anti-aliasing is by exact or sampled coverage: a pixel takes the colour in proportion to
/// the part of it a shape covers. Each shape builds its coverage first and composites once,
/// so where segments of one line overlap (at a joint) the pixel is not painted twice and the
/// line keeps one colour. Every step is plain Double arithmetic in a fixed order, so the same
/// drawing is the same bytes on every machine.
struct RasterCanvas {
    /// An opaque colour, channels 0…255.
    struct Colour: Equatable {
        var red: Double, green: Double, blue: Double

        /// `#4e79a7`; black for anything unreadable (palettes are constants, so this only guards).
        init(hex: String) {
            let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
            let value = digits.count == 6 ? Int(digits, radix: 16) ?? 0 : 0
            self.init(Double(value >> 16 & 0xFF), Double(value >> 8 & 0xFF), Double(value & 0xFF))
        }

        init(_ red: Double, _ green: Double, _ blue: Double) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        static let white = Colour(255, 255, 255)
    }

    let width: Int
    let height: Int
    /// Channel-major (all red, then green, then blue), 0…255, as `PNGEncoder` takes it after scaling.
    private(set) var planes: [Double]

    /// A canvas of `width` × `height` pixels filled with `background`.
    init(width: Int, height: Int, background: Colour = .white) {
        self.width = width
        self.height = height
        let plane = width * height
        planes = [Double](repeating: background.red, count: plane) + [Double](repeating: background.green, count: plane)
            + [Double](repeating: background.blue, count: plane)
    }

    /// The colour of pixel (x, y), rounded to 8 bits as the PNG stores it.
    func pixel(_ x: Int, _ y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = y * width + x, plane = width * height
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v, 0), 255).rounded()) }
        return (byte(planes[i]), byte(planes[plane + i]), byte(planes[2 * plane + i]))
    }

    /// The picture as a `[3, H, W]` tensor of values in 0…1, for `PNGEncoder`.
    func tensor() throws -> Tensor {
        try Tensor(shape: [3, height, width], scalars: planes.map { Float($0.rounded() / 255) })
    }

    // MARK: - Compositing

    /// Paints pixel (x, y) with `colour` at opacity `alpha` (0…1) over what is there.
    mutating func blend(_ x: Int, _ y: Int, _ colour: Colour, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = min(alpha, 1), i = y * width + x, plane = width * height
        planes[i] = planes[i] * (1 - a) + colour.red * a
        planes[plane + i] = planes[plane + i] * (1 - a) + colour.green * a
        planes[2 * plane + i] = planes[2 * plane + i] * (1 - a) + colour.blue * a
    }

    /// Fills the whole pixels from (x0, y0) up to, not including, (x1, y1).
    mutating func fillRect(x0: Int, y0: Int, x1: Int, y1: Int, _ colour: Colour, alpha: Double = 1) {
        for y in max(0, y0)..<max(max(0, y0), min(height, y1)) {
            for x in max(0, x0)..<max(max(0, x0), min(width, x1)) { blend(x, y, colour, alpha: alpha) }
        }
    }

    // MARK: - Shapes

    /// A coverage mask over a rectangle of pixels: built by one shape, composited once.
    private struct Coverage {
        let x0: Int, y0: Int, x1: Int, y1: Int
        var values: [Double]

        init(x0: Int, y0: Int, x1: Int, y1: Int) {
            (self.x0, self.y0, self.x1, self.y1) = (x0, y0, max(x0, x1), max(y0, y1))
            values = [Double](repeating: 0, count: (self.x1 - x0) * (self.y1 - y0))
        }

        subscript(x: Int, y: Int) -> Double {
            get { values[(y - y0) * (x1 - x0) + (x - x0)] }
            set { values[(y - y0) * (x1 - x0) + (x - x0)] = newValue }
        }
    }

    /// The pixel bounds around `points` grown by `margin`, clipped to the canvas; nil when
    /// nothing of them lies on it or a coordinate is not finite.
    private func bounds(_ points: [(x: Double, y: Double)], margin: Double) -> Coverage? {
        guard points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }), margin.isFinite,
              let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(),
              let minY = points.map(\.y).min(), let maxY = points.map(\.y).max() else { return nil }
        let x0 = Self.pixelIndex(minX - margin, .down, within: width), x1 = Self.pixelIndex(maxX + margin, .up, within: width)
        let y0 = Self.pixelIndex(minY - margin, .down, within: height), y1 = Self.pixelIndex(maxY + margin, .up, within: height)
        guard x0 < x1, y0 < y1 else { return nil }
        return Coverage(x0: x0, y0: y0, x1: x1, y1: y1)
    }

    /// `value` rounded to a pixel index in 0…`limit`; clamped first, because `Int(_:)` traps
    /// on a coordinate far off the canvas.
    static func pixelIndex(_ value: Double, _ rule: FloatingPointRoundingRule, within limit: Int) -> Int {
        guard !value.isNaN else { return 0 }
        return Int(min(max(value, 0), Double(limit)).rounded(rule))
    }

    private mutating func composite(_ coverage: Coverage, _ colour: Colour, alpha: Double) {
        for y in coverage.y0..<coverage.y1 {
            for x in coverage.x0..<coverage.x1 { blend(x, y, colour, alpha: alpha * min(1, coverage[x, y])) }
        }
    }

    /// A line through `points` of width `lineWidth`, with round joins and ends: a pixel is
    /// covered by how far its centre lies inside the stroke, which gives a one-pixel soft edge.
    mutating func strokePolyline(_ points: [(x: Double, y: Double)], lineWidth: Double, _ colour: Colour, alpha: Double = 1) {
        let half = lineWidth / 2
        guard var mask = bounds(points, margin: half + 1) else { return }
        let segments = points.count == 1 ? [(points[0], points[0])] : Array(zip(points, points.dropFirst()))
        let reach = half + 1
        for (start, end) in segments {
            // Clipped to the canvas first: the distance arithmetic below overflows for a
            // segment thousands of canvas widths long.
            guard let clipped = Self.clip(start, end, x0: -reach, y0: -reach, x1: Double(width) + reach, y1: Double(height) + reach) else { continue }
            let (a, b) = clipped
            let x0 = max(mask.x0, Self.pixelIndex(min(a.x, b.x) - half - 1, .down, within: width))
            let x1 = min(mask.x1, Self.pixelIndex(max(a.x, b.x) + half + 1, .up, within: width))
            let y0 = max(mask.y0, Self.pixelIndex(min(a.y, b.y) - half - 1, .down, within: height))
            let y1 = min(mask.y1, Self.pixelIndex(max(a.y, b.y) + half + 1, .up, within: height))
            guard x0 < x1, y0 < y1 else { continue }
            let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let cx = Double(x) + 0.5, cy = Double(y) + 0.5
                    let t = length2 == 0 ? 0 : min(1, max(0, ((cx - a.x) * dx + (cy - a.y) * dy) / length2))
                    let ex = cx - (a.x + t * dx), ey = cy - (a.y + t * dy)
                    let cover = min(1, max(0, half + 0.5 - (ex * ex + ey * ey).squareRoot()))
                    if cover > mask[x, y] { mask[x, y] = cover }
                }
            }
        }
        composite(mask, colour, alpha: alpha)
    }

    /// The part of the segment a→b inside the rectangle [x0, x1] × [y0, y1], or nil when none
    /// of it is or its extent is not finite. Cut edge by edge at the intersection computed
    /// from the edge itself (y at x = x0, …), which stays exact for a horizontal or vertical
    /// segment however long; an end inside stays exactly where it was.
    static func clip(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double), x0: Double, y0: Double,
                     x1: Double, y1: Double) -> ((x: Double, y: Double), (x: Double, y: Double))? {
        guard (b.x - a.x).isFinite, (b.y - a.y).isFinite else { return nil }
        var a = a, b = b
        // x = edge: both ends on one side have the same x when the segment is vertical, so a
        // crossing is never computed with dx = 0 (and likewise for y).
        func atX(_ edge: Double) -> (x: Double, y: Double) { (edge, a.y + (edge - a.x) * ((b.y - a.y) / (b.x - a.x))) }
        func atY(_ edge: Double) -> (x: Double, y: Double) { (a.x + (edge - a.y) * ((b.x - a.x) / (b.y - a.y)), edge) }
        let edges: [(inside: ((x: Double, y: Double)) -> Bool, cross: () -> (x: Double, y: Double))] = [
            ({ $0.x >= x0 }, { atX(x0) }), ({ $0.x <= x1 }, { atX(x1) }),
            ({ $0.y >= y0 }, { atY(y0) }), ({ $0.y <= y1 }, { atY(y1) }),
        ]
        for edge in edges {
            switch (edge.inside(a), edge.inside(b)) {
            case (false, false): return nil
            case (false, true): a = edge.cross()
            case (true, false): b = edge.cross()
            case (true, true): break
            }
        }
        return (a, b)
    }

    /// A filled disc.
    mutating func fillCircle(x: Double, y: Double, radius: Double, _ colour: Colour, alpha: Double = 1) {
        guard var mask = bounds([(x, y)], margin: radius + 1) else { return }
        for py in mask.y0..<mask.y1 {
            for px in mask.x0..<mask.x1 {
                let dx = Double(px) + 0.5 - x, dy = Double(py) + 0.5 - y
                mask[px, py] = min(1, max(0, radius + 0.5 - (dx * dx + dy * dy).squareRoot()))
            }
        }
        composite(mask, colour, alpha: alpha)
    }

    /// The polygon through `vertices` (even-odd rule), filled. Coverage is sampled on four
    /// lines per pixel row and is exact along each line, which smooths every edge.
    mutating func fillPolygon(_ vertices: [(x: Double, y: Double)], _ colour: Colour, alpha: Double = 1) {
        guard vertices.count >= 3, var mask = bounds(vertices, margin: 1) else { return }
        let samples = 4
        let edges = zip(vertices, vertices.dropFirst() + [vertices[0]]).filter { $0.0.y != $0.1.y }
        for y in mask.y0..<mask.y1 {
            for sample in 0..<samples {
                let sy = Double(y) + (Double(sample) + 0.5) / Double(samples)
                var crossings: [Double] = []
                for (a, b) in edges where (a.y <= sy && sy < b.y) || (b.y <= sy && sy < a.y) {
                    crossings.append(a.x + (sy - a.y) * (b.x - a.x) / (b.y - a.y))
                }
                crossings.sort()
                var index = 0
                while index + 1 < crossings.count {
                    addSpan(from: crossings[index], to: crossings[index + 1], row: y, weight: 1 / Double(samples), into: &mask)
                    index += 2
                }
            }
        }
        composite(mask, colour, alpha: alpha)
    }

    /// Adds `weight` times the part of each pixel of `row` that [from, to) covers.
    private func addSpan(from: Double, to: Double, row: Int, weight: Double, into mask: inout Coverage) {
        let start = max(Double(mask.x0), from), end = min(Double(mask.x1), to)
        guard start < end else { return }
        for x in Int(start.rounded(.down))..<min(mask.x1, Int(end.rounded(.up))) {
            let overlap = min(end, Double(x + 1)) - max(start, Double(x))
            if overlap > 0 { mask[x, row] += weight * overlap }
        }
    }

    // MARK: - Text

    /// How text is placed relative to its anchor point.
    enum Anchor { case start, middle, end }

    /// `text` in `BitmapFont` with each font pixel a `scale` × `scale` block, its baseline at
    /// `y` and its start, middle or end at `x`; `vertical` turns it a quarter anticlockwise
    /// (reading upwards, as a y-axis label), with (x, y) then the baseline's position along x.
    mutating func drawText(_ text: String, x: Double, y: Double, scale: Int, _ colour: Colour,
                           anchor: Anchor = .start, vertical: Bool = false) {
        let length = Double(BitmapFont.width(of: text) * scale)
        let shift = anchor == .start ? 0 : anchor == .middle ? length / 2 : length
        // Whole pixels keep the glyphs crisp.
        let along = vertical ? y + shift : x - shift, across = vertical ? x : y
        guard along.isFinite, across.isFinite, abs(along) < 1e9, abs(across) < 1e9 else { return }
        let originAlong = Int(along.rounded()), baseline = Int(across.rounded())
        var pen = 0
        for character in text {
            let glyph = BitmapFont.glyph(character)
            for (row, bits) in glyph.rows.enumerated() {
                for (column, set) in bits.enumerated() where set {
                    let along = pen + column * scale, across = (row - BitmapFont.ascent) * scale
                    if vertical {
                        fillRect(x0: baseline + across, y0: originAlong - along - scale, x1: baseline + across + scale, y1: originAlong - along, colour)
                    } else {
                        fillRect(x0: originAlong + along, y0: baseline + across, x1: originAlong + along + scale, y1: baseline + across + scale, colour)
                    }
                }
            }
            pen += (glyph.width + BitmapFont.spacing) * scale
        }
    }
}
