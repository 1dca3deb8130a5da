import DPLLang

/// Typed access to a stage's arguments. The checker has already validated types and ranges
/// against the signature, so a failure here means a value that only exists at run time
/// (a variable) does not fit; the error names the parameter and what it needs.
struct ArgumentReader {
    let stage: String
    let arguments: [String: Value]

    func number(_ name: String) throws -> Double {
        guard let value = arguments[name]?.numberValue else { throw missing(name, "a number") }
        return value
    }

    func optionalNumber(_ name: String) -> Double? { arguments[name]?.numberValue }

    func integer(_ name: String) throws -> Int {
        guard let value = arguments[name]?.integerValue else { throw missing(name, "a whole number from \(Int.min) to \(Int.max)") }
        return value
    }

    /// Nil only when the argument is absent: a value that is not a whole number in range is an
    /// error, never read as absent (which silently ran the default, e.g. `n=99999999999999999999`).
    func optionalInteger(_ name: String) throws -> Int? {
        guard let value = arguments[name], !value.isNone else { return nil }
        guard let integer = value.integerValue else { throw missing(name, "a whole number from \(Int.min) to \(Int.max)") }
        return integer
    }

    func text(_ name: String) throws -> String {
        guard let value = optionalText(name) else { throw missing(name, "a name or a string") }
        return value
    }

    /// The text of a name or string argument; the keyword `none` reads as the name "none"
    /// (as in `grad=none`).
    func optionalText(_ name: String) -> String? {
        if case .none? = arguments[name] { return "none" }
        return arguments[name]?.textValue
    }

    func bool(_ name: String) throws -> Bool {
        guard let value = arguments[name]?.boolValue else { throw missing(name, "true or false") }
        return value
    }

    func value(_ name: String) -> Value? { arguments[name] }

    private func missing(_ name: String, _ needed: String) -> RuntimeError {
        let got = arguments[name].map { "`\($0.literal)`" } ?? "nothing"
        return RuntimeError("`\(stage)` needs \(needed) for `\(name)`, but got \(got)")
    }
}

/// A failure of a built-in stage that is not an engine error: one plain sentence saying what
/// is wrong and, where there is one, the fix. The interpreter adds the script location.
public struct RuntimeError: Error, CustomStringConvertible {
    /// The sentence.
    public let description: String

    /// An error with the given message.
    public init(_ description: String) { self.description = description }
}
