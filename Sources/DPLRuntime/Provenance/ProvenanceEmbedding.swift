import Foundation

// MARK: - Provenance inside images and charts

/// Puts a result's provenance inside the files that have no room for a JSON section: a PNG
/// `tEXt` chunk (keyword `dpl:provenance`, value one line of JSON) right after the header, and
/// an SVG `<metadata>` element right after the opening `<svg>` tag.
enum ProvenanceEmbedding {
    /// The keyword of the PNG text chunks DPL writes.
    static let provenanceKeyword = "dpl:provenance"
    /// The keyword of the run chunk.
    static let runKeyword = "dpl:run"

    /// `png` with one `tEXt` chunk per (keyword, text) inserted after IHDR; nil when `png` does
    /// not start with a PNG signature and an IHDR chunk.
    static func png(_ png: [UInt8], texts: [(keyword: String, text: String)]) -> [UInt8]? {
        let signatureLength = 8, ihdrEnd = signatureLength + 4 + 4 + 13 + 4
        guard png.count >= ihdrEnd, png[0] == 0x89, png[1] == 0x50, Array(png[12..<16]) == Array("IHDR".utf8) else { return nil }
        var chunks: [UInt8] = []
        for (keyword, text) in texts {
            // tEXt is Latin-1: anything else is escaped so the chunk stays valid.
            let latin1 = text.unicodeScalars.map { $0.value < 256 ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
            let data = Array("tEXt".utf8) + Array(keyword.utf8) + [0] + latin1.unicodeScalars.map { UInt8($0.value) }
            let length = UInt32(data.count - 4)
            chunks += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> UInt32($0)) }
            chunks += data
            let crc = CRC32.checksum(data)
            chunks += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
        }
        return Array(png[0..<ihdrEnd]) + chunks + Array(png[ihdrEnd...])
    }

    /// `svg` with a `<metadata>` element holding the JSON of `sections` after the `<svg …>` tag.
    static func svg(_ svg: String, sections: EmbeddedProvenance) throws -> String {
        guard let open = svg.range(of: "<svg"), let close = svg.range(of: ">", range: open.upperBound..<svg.endIndex) else { return svg }
        let json = try JSONCoding.line(sections)
            .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        var result = svg
        result.insert(contentsOf: "\n<metadata id=\"dpl-provenance\">\(json)</metadata>", at: close.upperBound)
        return result
    }
}

/// The CRC-32 PNG chunks end with (ISO 3309, reflected polynomial 0xEDB88320).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
