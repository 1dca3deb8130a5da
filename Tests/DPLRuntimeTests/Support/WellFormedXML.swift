import Foundation

/// Whether `text` is well-formed in the subset of XML the SVG writer emits: every element
/// closed in order, attribute values quoted, and `<` and `&` in text escaped. (Foundation's
/// XMLParser lives in FoundationXML on Linux, which the test target does not link.)
func isWellFormedXML(_ text: String) -> Bool {
    var stack: [String] = []
    var rest = Substring(text)
    while let open = rest.firstIndex(of: "<") {
        let between = rest[..<open]
        if !entitiesAreEscaped(between) { return false }
        guard let close = rest[open...].firstIndex(of: ">") else { return false }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("?") { continue }
        if tag.dropFirst().contains("<") || tag.filter({ $0 == "\"" }).count % 2 != 0 { return false }
        if !entitiesAreEscaped(tag) { return false }
        let name = String(tag.drop { $0 == "/" }.prefix { !$0.isWhitespace && $0 != "/" })
        if tag.hasPrefix("/") {
            guard stack.popLast() == name else { return false }
        } else if !tag.hasSuffix("/") {
            stack.append(name)
        }
    }
    return stack.isEmpty && entitiesAreEscaped(rest)
}

private func entitiesAreEscaped(_ text: Substring) -> Bool {
    var index = text.startIndex
    while let amp = text[index...].firstIndex(of: "&") {
        let after = text[text.index(after: amp)...]
        guard ["amp;", "lt;", "gt;", "quot;", "apos;"].contains(where: { after.hasPrefix($0) }) else { return false }
        index = text.index(after: amp)
    }
    return true
}
