import DPLData

/// The chart as a PNG: the SVG's layout drawn at twice its size by `RasterCanvas` in
/// `BitmapFont`, and encoded by DPL's own PNG encoder — no system graphics library, so the
/// picture is the same bytes on every machine.
extension LineChart {
    /// Image pixels per layout unit: twice the SVG's size, so that 1-unit strokes and a
    /// 5×7 font stay readable.
    static let pixelScale = 2.0

    /// The chart's picture, `Layout.width × Layout.height` scaled by `pixelScale`.
    func raster() -> RasterCanvas {
        typealias L = Layout
        let s = Self.pixelScale
        let layout = Layout(series)
        var canvas = RasterCanvas(width: Int(L.width * s), height: Int(L.height * s))
        let ink = RasterCanvas.Colour(51, 51, 51), grid = RasterCanvas.Colour(229, 229, 229)
        let plotLeft = Int(L.left * s), plotRight = Int((L.left + L.plotWidth) * s)
        let plotTop = Int(L.top * s), plotBottom = Int((L.top + L.plotHeight) * s)

        // Title (larger), grid lines and tick labels.
        // Centred over the plot (as in the SVG), so it may take twice the room on its shorter side.
        let titleX = (L.left + L.plotWidth / 2) * s
        canvas.drawText(fitted(title, pixels: Int(2 * min(titleX, L.width * s - titleX)) - 16, scale: 3), x: titleX, y: 28 * s,
                        scale: 3, ink, anchor: .middle)
        for tick in layout.xAxis.ticks {
            let x = Int((layout.px(tick) * s).rounded())
            canvas.fillRect(x0: x - 1, y0: plotTop, x1: x + 1, y1: plotBottom, grid)
            canvas.fillRect(x0: x - 1, y0: plotBottom, x1: x + 1, y1: plotBottom + 8, ink)
            canvas.drawText(layout.xAxis.label(tick), x: Double(x), y: Double(plotBottom) + 28, scale: 2, ink, anchor: .middle)
        }
        for tick in layout.yAxis.ticks {
            let y = Int((layout.py(tick) * s).rounded())
            canvas.fillRect(x0: plotLeft, y0: y - 1, x1: plotRight, y1: y + 1, grid)
            canvas.fillRect(x0: plotLeft - 8, y0: y - 1, x1: plotLeft, y1: y + 1, ink)
            canvas.drawText(layout.yAxis.label(tick), x: Double(plotLeft) - 14, y: Double(y) + 7, scale: 2, ink, anchor: .end)
        }
        // Axis labels: x centred under the plot, y reading upwards along the left edge.
        canvas.drawText(fitted(xLabel, pixels: plotRight - plotLeft, scale: 2), x: (L.left + L.plotWidth / 2) * s,
                        y: (L.height - 16) * s, scale: 2, ink, anchor: .middle)
        canvas.drawText(fitted(yLabel, pixels: plotBottom - plotTop, scale: 2), x: 22 * s, y: (L.top + L.plotHeight / 2) * s,
                        scale: 2, ink, anchor: .middle, vertical: true)

        // The frame before the data, as in the SVG: a line at the edge of the range (an
        // accuracy of 1.0) stays in its colour instead of disappearing into the frame.
        canvas.fillRect(x0: plotLeft - 1, y0: plotTop - 1, x1: plotRight + 1, y1: plotTop + 1, ink)
        canvas.fillRect(x0: plotLeft - 1, y0: plotBottom - 1, x1: plotRight + 1, y1: plotBottom + 1, ink)
        canvas.fillRect(x0: plotLeft - 1, y0: plotTop - 1, x1: plotLeft + 1, y1: plotBottom + 1, ink)
        canvas.fillRect(x0: plotRight - 1, y0: plotTop - 1, x1: plotRight + 1, y1: plotBottom + 1, ink)

        // Bands under every line, then each series' line, error bar and markers.
        for (index, line) in series.enumerated() {
            if let band = layout.band(line) {
                canvas.fillPolygon(band.map { ($0.x * s, $0.y * s) }, RasterCanvas.Colour(hex: Self.colour(index)), alpha: Self.bandOpacity)
            }
        }
        for (index, line) in series.enumerated() {
            let colour = RasterCanvas.Colour(hex: Self.colour(index))
            if let bar = layout.errorBar(line) {
                let x = bar.x * s, top = bar.top * s, bottom = bar.bottom * s
                canvas.strokePolyline([(x, top), (x, bottom)], lineWidth: 3, colour)
                canvas.strokePolyline([(x - 8, top), (x + 8, top)], lineWidth: 3, colour)
                canvas.strokePolyline([(x - 8, bottom), (x + 8, bottom)], lineWidth: 3, colour)
            }
            let points = line.points.map { (x: layout.px($0.x) * s, y: layout.py($0.y) * s) }
            if points.count > 1 { canvas.strokePolyline(points, lineWidth: 2 * s, colour) }
            for point in points { canvas.fillCircle(x: point.x, y: point.y, radius: 3.5 * s, colour) }
        }

        // Legend: a band swatch where the series has intervals, its line, its name.
        let legendRoom = Int((L.width - L.legendX - 26 - 6) * s)
        for (index, line) in series.enumerated() {
            let colour = RasterCanvas.Colour(hex: Self.colour(index))
            let x = L.legendX * s, y = layout.legendEntryY(index) * s
            if line.intervals != nil {
                canvas.fillRect(x0: Int(x), y0: Int(y - 6 * s), x1: Int(x + 20 * s), y1: Int(y + 6 * s), colour, alpha: Self.bandOpacity)
            }
            canvas.strokePolyline([(x, y), (x + 20 * s, y)], lineWidth: 2 * s, colour)
            canvas.drawText(fitted(line.name, pixels: legendRoom, scale: 2), x: x + 26 * s, y: y + 7, scale: 2, ink)
        }
        if let note = bandNote {
            canvas.drawText(fitted(note, pixels: legendRoom + Int(26 * s), scale: 2), x: L.legendX * s,
                            y: layout.legendEntryY(series.count) * s + 7, scale: 2, RasterCanvas.Colour(85, 85, 85))
        }
        return canvas
    }

    /// The PNG file of `raster()`.
    func png() throws -> [UInt8] {
        try PNGEncoder.encode(try raster().tensor())
    }

    /// `text` cut to fit `pixels` at `scale`, ending in `..` when cut.
    private func fitted(_ text: String, pixels: Int, scale: Int) -> String {
        guard BitmapFont.width(of: text) * scale > pixels else { return text }
        // One pass over the characters, so a very long title costs no more than its length.
        let budget = pixels / max(1, scale) - BitmapFont.width(of: "..") - BitmapFont.spacing
        var kept = "", used = 0
        for character in text {
            let next = used + (kept.isEmpty ? 0 : BitmapFont.spacing) + BitmapFont.glyph(character).width
            guard next <= budget else { break }
            kept.append(character)
            used = next
        }
        return kept + ".."
    }
}
