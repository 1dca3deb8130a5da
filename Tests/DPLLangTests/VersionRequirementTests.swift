import Testing
@testable import DPLLang

/// Version parsing and comparison, and requirement parsing, satisfaction and refusal messages.
@Suite struct VersionRequirementTests {
    private func version(_ text: String) throws -> SemanticVersion {
        try #require(SemanticVersion(text))
    }

    // MARK: Versions

    @Test func parsesOneToThreeNumericParts() throws {
        #expect(try version("2").parts == [2])
        #expect(try version("0.3").parts == [0, 3])
        #expect(try version("1.12.0").parts == [1, 12, 0])
        #expect(try version("0.3").description == "0.3")
    }

    @Test(arguments: ["", "1.", ".1", "1..2", "1.2.3.4", "v1", "1.2-beta", "-1", "1.x", " 1", "١.٢"])
    func rejectsMalformedVersions(_ text: String) {
        #expect(SemanticVersion(text) == nil)
    }

    @Test func missingPartsCountAsZero() throws {
        #expect(try version("0.3") == version("0.3.0"))
        #expect(try version("1") == version("1.0.0"))
        #expect(try version("0.2.0") < version("0.3"))
        #expect(try version("0.10") > version("0.9.9"))
        #expect(try version("1.0.1") > version("1"))
        #expect(!(try version("0.3") < version("0.3.0")))
    }

    @Test func theRunningVersionIsASemanticVersion() {
        #expect(SemanticVersion(DPLVersion.current) != nil)
    }

    // MARK: Requirements

    @Test func everyOperator() throws {
        let running = try version("0.2.0")
        let expectations: [(String, Bool)] = [
            (">= 0.2", true), (">= 0.3", false), ("> 0.2", false), ("> 0.1.9", true),
            ("<= 0.2.0", true), ("<= 0.1", false), ("< 0.3", true), ("< 0.2", false),
            ("== 0.2", true), ("== 0.2.1", false), ("!= 0.2.0", false), ("!= 1", true),
        ]
        for (text, satisfied) in expectations {
            #expect(try VersionRequirement(parsing: text).isSatisfied(by: running) == satisfied, "\(text)")
        }
    }

    @Test func commaSeparatedClausesAllMustHold() throws {
        let range = try VersionRequirement(parsing: ">= 0.2, < 1.0")
        #expect(range.isSatisfied(by: try version("0.2.0")))
        #expect(range.isSatisfied(by: try version("0.9.9")))
        #expect(!range.isSatisfied(by: try version("1.0")))
        #expect(!range.isSatisfied(by: try version("0.1.9")))
        #expect(range.failedClauses(for: try version("1.0")).map(\.description) == ["< 1.0"])
    }

    @Test func spacingIsOptionalAndCanonicalFormSpacesIt() throws {
        #expect(try VersionRequirement(parsing: ">=0.2,<1.0").description == ">= 0.2, < 1.0")
        #expect(try VersionRequirement(parsing: "  ==  1.2.3 ").description == "== 1.2.3")
    }

    @Test(arguments: ["", "0.3", ">= ", "=> 0.3", ">= 0.3,", ">= 0.3 < 1.0", "~> 1.2", ">= 0.3.1.4", "= 1"])
    func malformedRequirementNamesTheAcceptedForms(_ text: String) {
        #expect(throws: VersionRequirementError.self) { try VersionRequirement(parsing: text) }
        do {
            _ = try VersionRequirement(parsing: text)
        } catch {
            #expect("\(error)".contains("each one of >=, >, <=, <, ==, != followed by a version of 1 to 3 numbers"))
        }
    }

    @Test func malformedClauseIsNamed() {
        #expect(throws: VersionRequirementError(clause: "=> 0.3")) { try VersionRequirement(parsing: ">= 0.1, => 0.3") }
        #expect(throws: VersionRequirementError(clause: "")) { try VersionRequirement(parsing: "") }
    }

    // MARK: Refusals

    private func refusals(_ text: String, running: String) -> [String] {
        let program = Parser.parse(SourceFile(name: "script.dpl", text: text)).program
        return Checker.versionRefusals(in: program, runningVersion: running).map(\.description)
    }

    @Test func refusalNamesBothVersionsThePlaceAndTheFix() {
        #expect(refusals("require dpl \">= 0.3\"\nload d", running: "0.2.0") == [
            "script.dpl:1:1 this script requires dpl >= 0.3, but this is dpl 0.2.0; install a newer DPL",
        ])
        #expect(refusals("require dpl \">= 0.3\"", running: "0.3.0") == [])
        #expect(refusals("require dpl \">=0.1, <0.2\"", running: "0.2.0") == [
            "script.dpl:1:1 this script requires dpl >= 0.1, < 0.2, but this is dpl 0.2.0; install an older DPL",
        ])
        #expect(refusals("require dpl \"!= 0.2\"", running: "0.2.0") == [
            "script.dpl:1:1 this script requires dpl != 0.2, but this is dpl 0.2.0; install a DPL that satisfies it",
        ])
        #expect(refusals("require dpl \"== 1\"", running: "0.2.0").first?.hasSuffix("install a newer DPL") == true)
    }
}
