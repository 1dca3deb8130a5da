// MARK: - Session settings

/// The settings `set key = value` may change, each described like a stage parameter
/// (type, default, range, doc line) so the checker validates `set` exactly as it validates arguments.
public struct SettingsRegistry: Sendable {
    /// The settings, in the order help lists them.
    public private(set) var definitions: [Parameter]

    /// A registry holding `definitions`.
    public init(_ definitions: [Parameter]) { self.definitions = definitions }

    /// The settings every session has.
    public static let standard = SettingsRegistry([
        Parameter("batch", .integer, default: .number(64), minimum: 1,
                  doc: "Images processed together in one batch."),
        Parameter("threads", .integer, minimum: 1,
                  doc: "Worker threads; when unset the runtime uses every core."),
        Parameter("seed", .integer, default: .number(0), minimum: 0,
                  doc: "Base key of every random draw in the session."),
        Parameter("out", .string, default: .string("out"),
                  doc: "Folder where reports, tables and images are written."),
        Parameter("classifier", .any,
                  doc: "Default classifier: a model name or a loaded model."),
        Parameter("diffusion", .any,
                  doc: "Default diffusion model: a model name or a loaded model."),
        Parameter("data", .any,
                  doc: "Default source piped into a pipeline that starts with a stage needing input."),
        Parameter("smoke", .bool, default: .bool(false),
                  doc: "Smoke mode (`dpl run FILE --smoke`): every stage runs on shrunken sizes and writes under <out>/smoke; the numbers are not results (docs/language.md)."),
    ])

    /// The setting called `name`, if any.
    public func definition(_ name: String) -> Parameter? { definitions.first { $0.name == name } }

    /// Every setting name, for completion and suggestions.
    public var names: [String] { definitions.map(\.name) }

    /// Adds or replaces a setting; the runtime may add its own.
    public mutating func register(_ definition: Parameter) {
        definitions.removeAll { $0.name == definition.name }
        definitions.append(definition)
    }

    /// The defaults of every setting that has one.
    public var defaults: [String: Value] {
        var values: [String: Value] = [:]
        for definition in definitions { if let value = definition.defaultValue { values[definition.name] = value.value } }
        return values
    }
}
