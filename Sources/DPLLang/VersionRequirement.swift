import Foundation

// MARK: - Semantic versions

/// A version of 1 to 3 numeric parts (`1`, `0.3`, `0.2.0`); missing parts count as 0,
/// so `0.3` and `0.3.0` are the same version.
public struct SemanticVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// The parts as written (1 to 3 of them), kept so a requirement prints the way it was written.
    public let parts: [Int]

    /// Parses `0.3`, `1.2.0` or `2`; nil for anything else (a sign, a suffix, empty parts, more than 3 parts).
    public init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(pieces.count) else { return nil }
        var parts: [Int] = []
        for piece in pieces {
            guard !piece.isEmpty, piece.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(piece) else { return nil }
            parts.append(number)
        }
        self.parts = parts
    }

    /// Major, minor and patch with missing parts as 0.
    public var padded: [Int] { parts + Array(repeating: 0, count: 3 - parts.count) }

    /// The version as written: `0.3`, `0.2.0`.
    public var description: String { parts.map(String.init).joined(separator: ".") }

    /// Equal when every part is equal after padding, so `0.3 == 0.3.0`.
    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool { lhs.padded == rhs.padded }

    /// Compares major, then minor, then patch.
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.padded.lexicographicallyPrecedes(rhs.padded)
    }
}

// MARK: - Requirements

/// What `require dpl ">= 0.2, < 1.0"` asks of the running DPL: every comparison must hold.
public struct VersionRequirement: Sendable, Equatable, CustomStringConvertible {
    /// A comparison operator of a requirement clause.
    public enum Comparison: String, Sendable, CaseIterable {
        // Two-character operators come first so `>=` is never read as `>` followed by `=`.
        case atLeast = ">=", atMost = "<=", equal = "==", notEqual = "!=", greater = ">", less = "<"

        /// Whether `version` stands in this relation to `bound`.
        func holds(_ version: SemanticVersion, _ bound: SemanticVersion) -> Bool {
            switch self {
            case .atLeast: return version >= bound
            case .atMost: return version <= bound
            case .equal: return version == bound
            case .notEqual: return version != bound
            case .greater: return version > bound
            case .less: return version < bound
            }
        }
    }

    /// One comparison: `>= 0.3`.
    public struct Clause: Sendable, Equatable, CustomStringConvertible {
        /// The operator.
        public let comparison: Comparison
        /// The version compared against.
        public let version: SemanticVersion

        /// The clause in canonical form: operator, one space, version.
        public var description: String { "\(comparison.rawValue) \(version)" }
    }

    /// The comparisons, all of which must hold.
    public let clauses: [Clause]

    /// The accepted forms, for the error message of a malformed requirement.
    public static let acceptedForms =
        "a requirement is one or more comparisons separated by commas, each one of >=, >, <=, <, ==, != followed by a version of 1 to 3 numbers, such as \">= 0.3\" or \">= 0.2, < 1.0\""

    /// Parses `">= 0.2, < 1.0"` (the text inside the quotes); spaces around operators and commas are optional.
    /// - Throws: `VersionRequirementError` naming the offending clause and the accepted forms.
    public init(parsing text: String) throws {
        var clauses: [Clause] = []
        for rawClause in text.split(separator: ",", omittingEmptySubsequences: false) {
            let clause = rawClause.trimmingCharacters(in: .whitespaces)
            guard let comparison = Comparison.allCases.first(where: { clause.hasPrefix($0.rawValue) }) else {
                throw VersionRequirementError(clause: clause)
            }
            let versionText = clause.dropFirst(comparison.rawValue.count).trimmingCharacters(in: .whitespaces)
            guard let version = SemanticVersion(versionText) else { throw VersionRequirementError(clause: clause) }
            clauses.append(Clause(comparison: comparison, version: version))
        }
        self.clauses = clauses
    }

    /// Whether `version` satisfies every clause.
    public func isSatisfied(by version: SemanticVersion) -> Bool {
        clauses.allSatisfy { $0.comparison.holds(version, $0.version) }
    }

    /// The clauses `version` fails, in order.
    public func failedClauses(for version: SemanticVersion) -> [Clause] {
        clauses.filter { !$0.comparison.holds(version, $0.version) }
    }

    /// The canonical form the formatter writes: clauses as `op version`, joined by `, `.
    public var description: String { clauses.map(\.description).joined(separator: ", ") }
}

/// A requirement that is not a comma-separated list of comparisons.
public struct VersionRequirementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The clause that did not parse, trimmed (empty for an empty requirement or a stray comma).
    public let clause: String

    /// One sentence naming the clause and the accepted forms.
    public var description: String {
        let what = clause.isEmpty ? "an empty version requirement" : "`\(clause)` is not a version requirement"
        return "\(what); \(VersionRequirement.acceptedForms)"
    }
}

// MARK: - This DPL's version

/// The version of the language this build implements: what `require dpl ">= …"` is checked
/// against, what results files record, and what `dpl --version` prints.
public enum DPLVersion {
    /// The version, e.g. `0.2.0`.
    public static let current = "0.2.0"
}
