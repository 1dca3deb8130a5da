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

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent(path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
    }

    /// Every `match` rule of the grammar with the scope it gives, the repository's included.
    static func matchRules(in node: Any) -> [(scope: String, regex: String)] {
        var rules: [(String, String)] = []
        if let object = node as? [String: Any] {
            if let regex = object["match"] as? String, let scope = object["name"] as? String { rules.append((scope, regex)) }
            for value in object.values { rules += matchRules(in: value) }
        } else if let array = node as? [Any] {
            for value in array { rules += matchRules(in: value) }
        }
        return rules
    }

    /// Each of the lexer's keywords is matched whole by a rule that highlights it as a keyword,
    /// a storage word or a language constant: a keyword added to the lexer without a rule fails.
    @Test func textMateGrammarHighlightsEveryKeyword() throws {
        let grammar = try Self.json("grammar/dpl.tmLanguage.json")
        #expect(grammar["scopeName"] as? String == "source.dpl")
        let rules = Self.matchRules(in: grammar).filter { rule in
            ["keyword.", "storage.", "constant.language."].contains { rule.scope.hasPrefix($0) }
        }
        for keyword in TokenKind.keywords.keys {
            let text = "x \(keyword) y"
            let highlighted = try rules.contains { rule in
                let regex = try NSRegularExpression(pattern: rule.regex)
                return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).contains {
                    Range($0.range, in: text).map { String(text[$0]) } == keyword
                }
            }
            #expect(highlighted, "the keyword `\(keyword)` has no keyword rule in grammar/dpl.tmLanguage.json")
        }
    }

    /// grammar/vscode is a VS Code extension once the grammar is copied into its syntaxes/
    /// folder (docs/editors.md): its manifest names the grammar's file, scope and the .dpl files.
    @Test func vsCodeExtensionContributesTheGrammar() throws {
        let grammar = try Self.json("grammar/dpl.tmLanguage.json")
        let manifest = try Self.json("grammar/vscode/package.json")
        let contributes = try #require(manifest["contributes"] as? [String: Any])
        let languages = try #require(contributes["languages"] as? [[String: Any]])
        let grammars = try #require(contributes["grammars"] as? [[String: Any]])
        #expect(languages.first?["id"] as? String == "dpl")
        #expect(languages.first?["extensions"] as? [String] == ["." + ((grammar["fileTypes"] as? [String])?.first ?? "")])
        let configuration = try #require(languages.first?["configuration"] as? String)
        _ = try Self.json("grammar/vscode/" + configuration)
        #expect(grammars.first?["scopeName"] as? String == grammar["scopeName"] as? String)
        #expect(grammars.first?["language"] as? String == "dpl")
        let path = try #require(grammars.first?["path"] as? String)
        #expect(path == "./syntaxes/dpl.tmLanguage.json", "docs/editors.md copies the grammar to syntaxes/dpl.tmLanguage.json")
        #expect(manifest["engines"] != nil, "VS Code refuses an extension without engines.vscode")
    }
}
