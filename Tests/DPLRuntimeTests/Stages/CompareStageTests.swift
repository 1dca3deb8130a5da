import Foundation
import Testing
import DPLCommandLine
import DPLLang
@testable import DPLRuntime

/// `compare` and `attack keep=` end to end on the fixture's two-class dataset and a
/// classifier trained on it.
@Suite("compare stage and keep=", .serialized)
struct CompareStageTests {
    let fixture: ScriptFixture

    init() throws {
        fixture = try ScriptFixture.withClassifier()
    }

    @Test func comparesResultsSampleBySampleAcrossAPrefix() throws {
        let result = fixture.run("""
        let data = load images path="$DIR/images"
        for e in [0.1, 0.2] {
          data | attack fgsm eps=e | classify model="$DIR/cnn.safetensors" | report as "weak {e}"
        }
        data | attack pgd eps=0.6 steps=5 | classify model="$DIR/cnn.safetensors" | report as "strong"
        compare "weak*" "strong" as "strong vs weak"
        results | save "$DIR/c.json"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("strong vs weak"), "\(result.output)")
        let rows = try ResultReader.rows(ofFile: fixture.folder + "/c.json")
        let row = try #require(rows.last)
        let value = { (name: String) in row.measurements.first { $0.name == name }?.value }
        #expect(row.n == 16 && value("a_results") == 2 && value("b_results") == 1)
        let weak = rows.filter { $0.label.hasPrefix("weak") }.compactMap { $0.robustAccuracy?.estimate }
        let strong = try #require(rows.first { $0.label == "strong" }?.robustAccuracy?.estimate)
        #expect(abs((value("a_robust") ?? -1) - weak.reduce(0, +) / 2) < 1e-9)
        #expect(abs((value("difference") ?? -1) - (strong - weak.reduce(0, +) / 2)) < 1e-9)
        let low = try #require(value("difference_low")), high = try #require(value("difference_high"))
        #expect(low <= (value("difference") ?? 0) && (value("difference") ?? 0) <= high)
        #expect((value("mcnemar_p") ?? -1) >= 0 && (value("mcnemar_p") ?? 2) <= 1)
    }

    /// A shard holds part of every result, so `compare` there would be a comparison of a
    /// subset presented as the whole (and `dpl merge` could not recompute it): it is skipped.
    @Test func isSkippedInAShard() throws {
        let path = fixture.folder + "/sharded.dpl"
        try """
        set batch = 4
        load images path="\(fixture.folder)/images" | attack fgsm eps=0.1 | classify model="\(fixture.folder)/cnn.safetensors" | report as "a"
        compare "a" "a"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var printed: [String] = [], errors: [String] = []
        let driver = Driver(registry: try BuiltinStages.makeRegistry(), output: { printed.append($0) }, errors: { errors.append($0) })
        let code = driver.run(path: path, settingAssignments: [], shard: try ShardSpec(parsing: "1/2"))
        #expect(code == ExitStatus.success, "\(errors)")
        #expect(printed.joined(separator: "\n").contains("skipped in shard 1/2"), "\(printed)")
    }

    @Test func anUnknownLabelNamesTheResultsThatExist() throws {
        let result = fixture.run("""
        load images path="$DIR/images" | attack fgsm eps=0.1 | classify model="$DIR/cnn.safetensors" | report as "only"
        compare "only" "missing"
        """)
        let error = try #require(result.error)
        #expect(error.contains("no attacked result labelled \"missing\"") && error.contains("\"only\""), "\(error)")
    }

    @Test func keepLastIsNamedInTheReportAndRefusedForOtherMethods() throws {
        let last = fixture.run("""
        load images path="$DIR/images" | attack pgd eps=0.1 steps=3 keep=last | classify model="$DIR/cnn.safetensors" | report
        """)
        #expect(last.error == nil, "\(last.error ?? "")")
        #expect(last.output.contains("keep=last"), "\(last.output)")
        let refused = fixture.run("""
        load images path="$DIR/images" | attack fgsm eps=0.1 keep=last | classify model="$DIR/cnn.safetensors" | report
        """)
        #expect(refused.error?.contains("keep=last is for pgd only") == true, "\(refused.error ?? "")")
    }
}
