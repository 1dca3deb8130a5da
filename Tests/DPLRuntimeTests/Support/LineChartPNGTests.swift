import Foundation
import Testing
import DPLAttacks
import DPLData
@testable import DPLRuntime

/// `plot "x.png"`: the chart rasterized by DPL's own code and read back with DPL's PNG decoder.
@Suite("line chart as PNG")
struct LineChartPNGTests {
    let chart = LineChart(title: "robust accuracy versus t", xLabel: "t", yLabel: "robust_accuracy", series: [
        .init(name: "fixed", points: [(0, 0.5), (10, 0.5)], intervals: [(0.35, 0.65), (0.35, 0.65)]),
        .init(name: "distance", points: [(0, 0.1), (10, 0.3)]),
    ])

    /// The decoded pixel (x, y) as 0…255 channels.
    func pixel(_ image: PNGImage, _ x: Int, _ y: Int) -> [Int] {
        let plane = image.width * image.height
        return (0..<3).map { Int((image.pixels[$0 * plane + y * image.width + x] * 255).rounded()) }
    }

    func rgb(_ hex: String) -> [Int] {
        let colour = RasterCanvas.Colour(hex: hex)
        return [colour.red, colour.green, colour.blue].map { Int($0) }
    }

    @Test func decodesToTheStatedSize() throws {
        let image = try PNGDecoder.decode(try chart.png(), path: "chart.png")
        #expect(image.width == 1440 && image.height == 880 && image.channels == 3)
    }

    @Test func lineMarkerAndBandPixelsHaveTheSeriesColour() throws {
        let image = try PNGDecoder.decode(try chart.png(), path: "chart.png")
        let layout = LineChart.Layout(chart.series), s = LineChart.pixelScale
        let at = { (x: Double, y: Double) in (Int(layout.px(x) * s), Int(layout.py(y) * s)) }
        let blue = rgb(LineChart.palette[0]), orange = rgb(LineChart.palette[1])
        // Midway between grid lines (ticks every 2 in x, 0.2 in y).
        let (lineX, lineY) = at(5, 0.5)
        #expect(pixel(image, lineX, lineY) == blue, "on the first line")
        let (markerX, markerY) = at(10, 0.3)
        #expect(pixel(image, markerX - 3, markerY + 3) == orange, "inside the second series' last marker")
        let (bandX, bandY) = at(5, 0.58)
        let expected = blue.map { Int((255 * (1 - LineChart.bandOpacity) + Double($0) * LineChart.bandOpacity).rounded()) }
        #expect(zip(pixel(image, bandX, bandY), expected).allSatisfy { abs($0 - $1) <= 1 }, "the band: 20% of the colour over white")
        let (outsideX, outsideY) = at(5, 0.75)
        #expect(pixel(image, outsideX, outsideY) == [255, 255, 255], "above the band the plot is white")
    }

    @Test func theTitleIsDrawnWhereItBelongs() throws {
        func inkInTitle(_ title: String) throws -> Int {
            var untitled = chart
            untitled.title = title
            let image = try PNGDecoder.decode(try untitled.png(), path: "chart.png")
            var count = 0
            for y in 20..<60 { for x in 0..<image.width where pixel(image, x, y) == [51, 51, 51] { count += 1 } }
            return count
        }
        #expect(try inkInTitle(chart.title) > 500)
        #expect(try inkInTitle("") == 0, "the count sees the title, not something else in that strip")
    }

    @Test func sameChartSameBytes() throws {
        let first = try chart.png(), second = try chart.png()
        #expect(first == second)
        var other = chart
        other.series[0].points[1].y = 0.6
        #expect(try other.png() != first)
    }

    @Test func nonASCIIIsDrawnAsAQuestionMark() {
        var accented = RasterCanvas(width: 40, height: 20), question = RasterCanvas(width: 40, height: 20)
        accented.drawText("t=é", x: 2, y: 12, scale: 1, .init(0, 0, 0))
        question.drawText("t=?", x: 2, y: 12, scale: 1, .init(0, 0, 0))
        #expect(accented.planes == question.planes)
        #expect(accented.planes.contains(0), "something was drawn")
    }

    @Test func theFontCoversPrintableASCII() {
        for code in 32..<127 {
            let glyph = BitmapFont.glyph(Character(UnicodeScalar(UInt8(code))))
            #expect((1...5).contains(glyph.width) && glyph.rows.count <= BitmapFont.ascent + BitmapFont.descent, "\(code)")
            #expect(glyph.rows.allSatisfy { $0.count == glyph.width }, "\(code)")
            #expect(code == 32 || glyph.rows.joined().contains(true), "character \(code) draws something")
        }
        // Distinct characters look distinct (one slip in the table would make two alike).
        let drawings = (33..<127).map { code in BitmapFont.glyph(Character(UnicodeScalar(UInt8(code)))).rows }
        #expect(Set(drawings.map { "\($0)" }).count == drawings.count)
    }

    @Test func antiAliasedLinesHaveSoftEdgesAndFullCentres() {
        var canvas = RasterCanvas(width: 20, height: 20)
        canvas.strokePolyline([(2, 10.3), (18, 10.3)], lineWidth: 2, .init(0, 0, 0))
        #expect(canvas.pixel(10, 10).red == 0, "the centre row is fully covered")
        let edge = canvas.pixel(10, 11).red
        #expect(edge > 0 && edge < 255, "the edge is partly covered: \(edge)")
        #expect(canvas.pixel(10, 14).red == 255)
        var square = RasterCanvas(width: 10, height: 10)
        square.fillPolygon([(2, 2), (6.5, 2), (6.5, 6), (2, 6)], .init(0, 0, 0))
        #expect(square.pixel(3, 3).red == 0 && square.pixel(6, 3).red == 128 && square.pixel(8, 3).red == 255,
                "a half-covered pixel is half the colour")
    }

    @Test func coordinatesOffTheCanvasNeverTrap() {
        var canvas = RasterCanvas(width: 20, height: 20)
        canvas.strokePolyline([(-1e300, 10), (1e300, 10)], lineWidth: 2, .init(0, 0, 0))
        #expect(canvas.pixel(0, 10).red == 0 && canvas.pixel(19, 10).red == 0, "the visible part of a huge line is drawn")
        let before = canvas.planes
        canvas.strokePolyline([(.nan, 3), (5, 3)], lineWidth: 2, .init(0, 0, 0))
        canvas.fillPolygon([(1, 1), (.infinity, 1), (5, 5)], .init(0, 0, 0))
        canvas.fillCircle(x: 1e300, y: 3, radius: 4, .init(0, 0, 0))
        canvas.drawText("far", x: 1e300, y: 5, scale: 1, .init(0, 0, 0))
        #expect(canvas.planes == before, "nothing of a shape with a non-finite or far-off coordinate reaches the canvas")
    }

    @Test func aLongTitleIsCutToTheImageWidth() throws {
        var long = chart
        long.title = String(repeating: "robust accuracy ", count: 5_000)
        let image = try PNGDecoder.decode(try long.png(), path: "chart.png")
        #expect(image.width == 1440)
        // Cut to stay on the image, centred over the plot as the SVG's title is.
        var leftmost = image.width, rightmost = 0
        for y in 20..<60 { for x in 0..<image.width where pixel(image, x, y) == [51, 51, 51] {
            leftmost = min(leftmost, x)
            rightmost = max(rightmost, x)
        } }
        let centre = Int(LineChart.Layout.left + LineChart.Layout.plotWidth / 2) * 2
        #expect(leftmost >= 8 && rightmost > 1100 && abs((leftmost + rightmost) / 2 - centre) <= 4, "\(leftmost)…\(rightmost)")
    }
}
