import DPLLang

// MARK: - Names a document declares

/// The variables (`let`, `for`) and stages (`def`) a document declares anywhere, read from
/// its syntax tree without running it: what the REPL's session would know after running the
/// script, for completion. Statements the parser could not read declare nothing.
struct DocumentNames {
    private(set) var variables: Set<String> = []
    /// Each `def`'s parameter names.
    private(set) var definitions: [String: [String]] = [:]

    init(_ program: Program) {
        collect(program.statements)
    }

    private mutating func collect(_ statements: [Statement]) {
        for statement in statements {
            switch statement {
            case .letBinding(let node): variables.insert(node.name)
            case .definition(let node): definitions[node.name] = node.parameters.map(\.name)
            case .loop(let node):
                variables.insert(node.variable)
                collect(node.body)
            case .pipeline, .setting, .importFile, .require: break
            }
        }
    }

    /// The completion vocabulary: the registry's stages and settings plus these names.
    func vocabulary(registry: StageRegistry, settings: SettingsRegistry) -> CompletionVocabulary {
        let definitions = self.definitions
        return CompletionVocabulary(registry: registry,
                                    stageNames: Array(Set(registry.stageNames).union(definitions.keys)).sorted(),
                                    variableNames: variables.sorted(), settingNames: settings.names,
                                    parameterNames: { definitions[$0] ?? registry.parameterNames(ofStage: $0) })
    }
}
