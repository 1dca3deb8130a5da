import Foundation
import Testing
@testable import DPLLang

/// grammar/dpl.ebnf is authoritative: every `(* example: … *)` block in it must parse cleanly,
/// and the TextMate grammar must be valid JSON naming every keyword.
@Suite struct GrammarTests {
    static var examples: [String] {
        let url = packageRoot.appendingPathComponent("grammar/dpl.ebnf")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var found: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "(* example:") {
            guard let end = rest[start.upperBound...].range(of: "*)") else { break }
            found.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    @Test func grammarHasExamples() {
        #expect(Self.examples.count >= 8)
    }

    @Test(arguments: examples)
    func exampleParses(_ example: String) {
        let diagnostics = Parser.parse(SourceFile(name: "dpl.ebnf", text: example)).diagnostics
        #expect(diagnostics.isEmpty, "\(diagnostics) in\n\(example)")
    }

    @Test func textMateGrammarNamesEveryKeyword() throws {
        let url = packageRoot.appendingPathComponent("grammar/dpl.tmLanguage.json")
        let data = try Data(contentsOf: url)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(json?["scopeName"] as? String == "source.dpl")
        let text = String(decoding: data, as: UTF8.self)
        for keyword in TokenKind.keywords.keys { #expect(text.contains(keyword), "\(keyword) missing") }
    }
}
