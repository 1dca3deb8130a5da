import Testing
import DPLAttacks
@testable import DPLRuntime

/// How result rows print: `report` shows its row as a block, `results` always as a table.
@Suite struct ResultTableTests {
    static let row = ResultRow(label: "clean", dataset: "d", defense: "cnn", rule: .single, cleanAccuracy: Proportion(3, of: 4),
                               robustAccuracy: nil, attackSuccess: nil, threatModel: nil, attack: nil, flags: [], samples: [])

    @Test func oneReportedRowIsABlock() {
        let lines = ResultTable(rows: [Self.row]).description.split(separator: "\n")
        #expect(lines.first == "clean")
        #expect(lines.contains { $0.hasPrefix("  accuracy") })
    }

    @Test func resultsWithOneRowIsStillATable() {
        let lines = ResultTable(rows: [Self.row], alwaysTable: true).description.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].hasPrefix("result") && lines[0].contains("accuracy") && lines[0].hasSuffix("evaluation"))
        #expect(lines[1].allSatisfy { $0 == "-" || $0 == " " })
        #expect(lines[2].hasPrefix("clean") && lines[2].contains("75.0%"))
    }
}
