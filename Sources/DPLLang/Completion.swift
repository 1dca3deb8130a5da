// MARK: - Completion candidates

extension Session {
    /// What TAB offers for `word` at the end of `before` (the line up to the cursor, outside a
    /// string — the REPL completes paths there itself): a statement's first word (stages,
    /// variables, keywords), a setting after `set`, and within a stage call its parameters not
    /// given yet (`eps=`), the values of a parameter being written (`sampler=d` → `sampler=ddim`,
    /// `sampler=ddpm`, or `ddim`, `ddpm` when the word starts after the `=`, as in the REPL,
    /// which breaks words there; `true`/`false`), a choice for the next positional argument
    /// (`attack p` → `pgd`), and variables.
    public func completions(before: String, word: String) -> [String] {
        let segment = before.split(separator: "|", omittingEmptySubsequences: false).last.map(String.init) ?? before
        let words = segment.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let typingFirstWord = words.isEmpty || (words.count == 1 && !segment.hasSuffix(" "))
        var candidates: [String] = []
        if typingFirstWord || (words.first == "let" && words.count <= 3) {
            candidates = stageNames + variableNames + ["let", "set", "def", "for", "import", "require"]
        } else if words.first == "set" {
            candidates = settingNames
        } else if let stage = words.first {
            let parameters = registry.signature(named: stage)?.parameters ?? []
            func values(of key: String) -> [String] {
                (parameters.first { $0.name == key }.map { Self.literalChoices(of: $0.type) } ?? []) + variableNames
            }
            if let equals = word.firstIndex(of: "=") {
                let key = String(word[..<equals])
                return values(of: key).map { key + "=" + $0 }.filter { $0.hasPrefix(word) }.sorted()
            }
            // The REPL breaks words at `=`, so `sampler=d` arrives as the word `d` after `sampler=`.
            let lead = before.dropLast(word.count)
            if lead.hasSuffix("="), let key = lead.dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" }).last {
                return values(of: String(key)).filter { $0.hasPrefix(word) }.sorted()
            }
            // Words already written before the one being completed name what is given.
            let written = typingFirstWord ? [] : Array(words.dropFirst().dropLast(segment.hasSuffix(" ") ? 0 : 1))
            let positional = registry.signature(named: stage)?.positional ?? []
            let positionalWritten = written.filter { !$0.contains("=") }.count
            let given = Set(written.compactMap { text in text.firstIndex(of: "=").map { String(text[..<$0]) } }
                            + positional.prefix(positionalWritten))
            if positionalWritten < positional.count,
               let next = parameters.first(where: { $0.name == positional[positionalWritten] }), !given.contains(next.name) {
                candidates += Self.literalChoices(of: next.type)
            }
            candidates += parameterNames(ofStage: stage).filter { !given.contains($0) }.map { $0 + "=" } + variableNames
        }
        return candidates.filter { $0.hasPrefix(word) }.sorted()
    }

    /// The literal values a parameter of `type` names: its choices, `true`/`false`.
    static func literalChoices(of type: ParameterType) -> [String] {
        switch type {
        case .choice(let names): return names
        case .bool: return ["true", "false"]
        case .oneOf(let types): return types.flatMap(literalChoices(of:))
        default: return []
        }
    }
}
