// MARK: - Completion candidates

/// The names completion draws on: the REPL fills it from its session (the registry plus the
/// variables and `def`s that ran), the language server from the registry plus the names the
/// open document declares (nothing is run there). One rule set serves both, so TAB in the
/// REPL and completion in an editor offer the same things.
public struct CompletionVocabulary {
    /// The stages, with their parameters' types for value completion.
    public var registry: StageRegistry
    /// Stage names: the registry's and the `def`s in scope, sorted.
    public var stageNames: [String]
    /// Variable names in scope, sorted.
    public var variableNames: [String]
    /// The names `set` accepts.
    public var settingNames: [String]
    /// Parameter names of the stage or `def` with the given name.
    public var parameterNames: (String) -> [String]

    /// A vocabulary of the given names.
    public init(registry: StageRegistry, stageNames: [String], variableNames: [String], settingNames: [String],
                parameterNames: @escaping (String) -> [String]) {
        self.registry = registry
        self.stageNames = stageNames
        self.variableNames = variableNames
        self.settingNames = settingNames
        self.parameterNames = parameterNames
    }

    /// What completion offers for `word` at the end of `before` (the line up to the cursor,
    /// outside a string — the REPL completes paths there itself): a statement's first word
    /// (stages, variables, keywords), a setting after `set`, and within a stage call its
    /// parameters not given yet (`eps=`), the values of a parameter being written
    /// (`sampler=d` → `sampler=ddim`, `sampler=ddpm`, or `ddim`, `ddpm` when the word starts
    /// after the `=`, as in the REPL, which breaks words there; `true`/`false`), a choice for
    /// the next positional argument (`attack p` → `pgd`), and variables.
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
            candidates += parameterNames(stage).filter { !given.contains($0) }.map { $0 + "=" } + variableNames
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

extension Session {
    /// The registry and what ran in this session: its variables and `def`s.
    public var completionVocabulary: CompletionVocabulary {
        CompletionVocabulary(registry: registry, stageNames: stageNames, variableNames: variableNames,
                             settingNames: settingNames, parameterNames: { [self] in parameterNames(ofStage: $0) })
    }

    /// What TAB offers for `word` at the end of `before` (`CompletionVocabulary.completions`).
    public func completions(before: String, word: String) -> [String] {
        completionVocabulary.completions(before: before, word: word)
    }
}
