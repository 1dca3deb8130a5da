// MARK: - Help and the generated reference

/// Renders the registry as `dpl help` text and as docs/builtins.md, so both always match it.
public enum Help {
    /// `dpl help`: every stage with its doc line, then every setting.
    public static func overview(registry: StageRegistry, settings: SettingsRegistry = .standard) -> String {
        var lines = ["Stages:"]
        let width = (registry.stageNames.map(\.count).max() ?? 0) + 2
        if registry.signatures.isEmpty { lines.append("  (no stages are registered)") }
        for signature in registry.signatures {
            lines.append("  " + signature.name.padding(toLength: width, withPad: " ", startingAt: 0) + signature.doc)
        }
        lines.append("")
        lines.append("Settings (set key = value):")
        let settingWidth = (settings.names.map(\.count).max() ?? 0) + 2
        for setting in settings.definitions {
            lines.append("  " + setting.name.padding(toLength: settingWidth, withPad: " ", startingAt: 0) + setting.doc)
        }
        lines.append("")
        lines.append("`dpl help STAGE` describes one stage.")
        return lines.joined(separator: "\n")
    }

    /// `dpl help STAGE`: synopsis, input and output, and every parameter.
    public static func stage(_ signature: StageSignature) -> String {
        var lines = [signature.synopsis, "  \(signature.doc)", ""]
        lines.append("  input:  \(signature.input.description)")
        lines.append("  output: \(signature.output.name)")
        if signature.attacksDownstream {
            lines.append("  receives the stages after it and attacks their composition")
        }
        if !signature.parameters.isEmpty {
            lines.append("")
            lines.append("Parameters:")
            for parameter in signature.parameters {
                lines.append("  " + self.parameter(parameter, positional: signature.positional).replacingOccurrences(of: "\n", with: "\n  "))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Help for the stage called `name`, or a sentence with a suggestion when there is none.
    public static func stage(named name: String, registry: StageRegistry) -> (text: String, found: Bool) {
        if let signature = registry.signature(named: name) { return (stage(signature), true) }
        let fix = Suggestion.didYouMean(name, among: registry.stageNames).map { "; \($0)" } ?? ""
        return ("unknown stage `\(name)`\(fix)", false)
    }

    /// One parameter (of a stage whose positional parameters are `positional`) or setting as
    /// `dpl help STAGE` lists it, and as an editor's hover shows it: `name=type  (details)`
    /// and its doc line, indented by four spaces.
    public static func parameter(_ parameter: Parameter, positional: [String] = []) -> String {
        "\(parameter.name)=\(parameter.type)\(details(parameter, positional: positional))\n    \(parameter.doc)"
    }

    private static func details(_ parameter: Parameter, positional: [String]) -> String {
        var parts: [String] = []
        if parameter.required { parts.append("required") }
        if let value = parameter.defaultValue { parts.append("default \(value)") }
        if let range = parameter.rangeDescription { parts.append("range \(range)") }
        if let index = positional.firstIndex(of: parameter.name) { parts.append("positional \(index + 1)") }
        return parts.isEmpty ? "" : "  (" + parts.joined(separator: ", ") + ")"
    }

    // MARK: Markdown

    /// docs/builtins.md: generated from the registry by `dpl help --markdown`; a test fails when
    /// the committed file differs from this.
    public static func markdown(registry: StageRegistry, settings: SettingsRegistry = .standard) -> String {
        var lines = [
            "# DPL built-in stages and settings",
            "",
            "<!-- Generated from the stage registry by `dpl help --markdown > docs/builtins.md`; do not edit by hand. -->",
            "",
            "## Stages",
            "",
        ]
        if registry.signatures.isEmpty { lines += ["No stages are registered yet.", ""] }
        for signature in registry.signatures {
            lines.append("### `\(signature.name)`")
            lines.append("")
            lines.append(signature.doc)
            lines.append("")
            lines.append("    \(signature.synopsis)")
            lines.append("")
            lines.append("- input: \(signature.input.description)")
            lines.append("- output: \(signature.output.name)")
            if signature.attacksDownstream { lines.append("- receives the stages after it and attacks their composition") }
            lines.append("")
            if !signature.parameters.isEmpty {
                lines += parameterTable(signature.parameters, positional: signature.positional)
                lines.append("")
            }
        }
        lines += ["## Settings", "", "Changed with `set key = value` or `dpl run FILE --set key=value`.", ""]
        lines += parameterTable(settings.definitions, positional: [])
        lines.append("")
        return lines.joined(separator: "\n")
    }

    private static func parameterTable(_ parameters: [Parameter], positional: [String]) -> [String] {
        var rows = ["| name | type | default | range | description |", "|---|---|---|---|---|"]
        for parameter in parameters {
            var name = "`\(parameter.name)`"
            if let index = positional.firstIndex(of: parameter.name) { name += " (positional \(index + 1))" }
            let defaultText = parameter.defaultValue.map { "`\($0)`" } ?? (parameter.required ? "required" : "—")
            let type = "\(parameter.type)".replacingOccurrences(of: "|", with: "\\|")
            rows.append("| \(name) | \(type) | \(defaultText) | \(parameter.rangeDescription ?? "—") | \(parameter.doc) |")
        }
        return rows
    }
}
