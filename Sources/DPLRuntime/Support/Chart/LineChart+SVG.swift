import Foundation

/// The chart as a self-contained SVG document.
extension LineChart {
    /// The SVG text.
    func svg() -> String {
        typealias L = Layout
        let layout = Layout(series)
        var out: [String] = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(L.width))" height="\#(f(L.height))" viewBox="0 0 \#(f(L.width)) \#(f(L.height))" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(f(L.left + L.plotWidth / 2))" y="24" text-anchor="middle" font-size="15">\#(escape(title))</text>"#,
        ]
        // Grid lines and ticks.
        for tick in layout.xAxis.ticks {
            let x = layout.px(tick)
            out.append(#"<line x1="\#(f(x))" y1="\#(f(L.top))" x2="\#(f(x))" y2="\#(f(L.top + L.plotHeight))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text x="\#(f(x))" y="\#(f(L.top + L.plotHeight + 18))" text-anchor="middle">\#(layout.xAxis.label(tick))</text>"#)
        }
        for tick in layout.yAxis.ticks {
            let y = layout.py(tick)
            out.append(#"<line x1="\#(f(L.left))" y1="\#(f(y))" x2="\#(f(L.left + L.plotWidth))" y2="\#(f(y))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text x="\#(f(L.left - 8))" y="\#(f(y + 4))" text-anchor="end">\#(layout.yAxis.label(tick))</text>"#)
        }
        out.append(#"<rect x="\#(f(L.left))" y="\#(f(L.top))" width="\#(f(L.plotWidth))" height="\#(f(L.plotHeight))" fill="none" stroke="rgb(51,51,51)"/>"#)
        out.append(#"<text x="\#(f(L.left + L.plotWidth / 2))" y="\#(f(L.height - 18))" text-anchor="middle">\#(escape(xLabel))</text>"#)
        out.append(#"<text transform="translate(20 \#(f(L.top + L.plotHeight / 2))) rotate(-90)" text-anchor="middle">\#(escape(yLabel))</text>"#)
        // Bands first, so that no band covers another series' line; then lines, markers and the legend.
        for (index, line) in series.enumerated() {
            if let band = layout.band(line) {
                let outline = band.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
                out.append(#"<polygon class="band" points="\#(outline)" fill="\#(Self.colour(index))" fill-opacity="\#(Self.bandOpacity)" stroke="none"/>"#)
            }
        }
        for (index, line) in series.enumerated() {
            let colour = Self.colour(index)
            let coordinates = line.points.map { "\(f(layout.px($0.x))),\(f(layout.py($0.y)))" }.joined(separator: " ")
            out.append(#"<g class="series"><title>\#(escape(line.name))</title>"#)
            if let bar = layout.errorBar(line) {
                out.append(#"<path class="interval" d="M\#(f(bar.x)),\#(f(bar.top)) V\#(f(bar.bottom)) M\#(f(bar.x - 4)),\#(f(bar.top)) H\#(f(bar.x + 4)) M\#(f(bar.x - 4)),\#(f(bar.bottom)) H\#(f(bar.x + 4))" stroke="\#(colour)" stroke-width="1.5" fill="none"/>"#)
            }
            out.append(#"<polyline points="\#(coordinates)" fill="none" stroke="\#(colour)" stroke-width="2"/>"#)
            for point in line.points {
                out.append(#"<circle cx="\#(f(layout.px(point.x)))" cy="\#(f(layout.py(point.y)))" r="3" fill="\#(colour)"/>"#)
            }
            out.append("</g>")
            let y = layout.legendEntryY(index), x = L.legendX
            if line.intervals != nil {
                out.append(#"<rect x="\#(f(x))" y="\#(f(y - 6))" width="20" height="12" fill="\#(colour)" fill-opacity="\#(Self.bandOpacity)"/>"#)
            }
            out.append(#"<line x1="\#(f(x))" y1="\#(f(y))" x2="\#(f(x + 20))" y2="\#(f(y))" stroke="\#(colour)" stroke-width="2"/>"#)
            out.append(#"<text x="\#(f(x + 26))" y="\#(f(y + 4))">\#(escape(line.name))</text>"#)
        }
        if let note = bandNote {
            out.append(#"<text x="\#(f(L.legendX))" y="\#(f(layout.legendEntryY(series.count) + 4))" font-size="11" fill="rgb(85,85,85)">\#(escape(note))</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
