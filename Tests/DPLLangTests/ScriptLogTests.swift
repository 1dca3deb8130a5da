import Testing
@testable import DPLLang
import DPLLangTestSupport

/// The record of what a session ran, which every saved result's provenance copies: it grows
/// with what differs, not with every stage ever run.
@Suite struct ScriptLogTests {
    @Test func repeatedCallsAreCountedAndDistinctOnesAreBounded() {
        let session = Session(registry: makeTestRegistry()) { _ in }
        let many = (1...1_200).map(String.init).joined(separator: ", ")
        let outcome = session.run(SourceFile(name: "t.dpl", text: """
        for i in [1, 1, 1] { load mnist n=2 }
        for i in [\(many)] { load mnist n=i }
        """))
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")")
        let log = session.log
        #expect(log.invocations.count == ScriptLog.maximumInvocations)
        #expect(log.invocations[0].calls == 3, "three iterations of one call with one argument set")
        #expect(log.invocations[0].arguments.first { $0.name == "n" }?.value == "2")
        // n=2 of the second loop is the first loop's call at another line: distinct.
        #expect(log.invocations.filter { $0.line == 2 }.count == ScriptLog.maximumInvocations - 1)
        #expect(log.omittedInvocations == 1_200 - (ScriptLog.maximumInvocations - 1))
        // Running the same again adds calls, not entries.
        _ = session.run(SourceFile(name: "t.dpl", text: "for i in [1, 1, 1] { load mnist n=2 }"))
        #expect(log.invocations[0].calls == 6 && log.invocations.count == ScriptLog.maximumInvocations)
        #expect(log.omittedInvocations == 201)
    }
}
