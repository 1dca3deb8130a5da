@testable import DPLREPL
import Testing

@Suite("Line editor helpers")
struct EditLineReaderUnitTests {
    @Test("common prefix of completion candidates")
    func commonPrefix() {
        #expect(EditLineReader.commonPrefix(of: []) == "")
        #expect(EditLineReader.commonPrefix(of: ["purify"]) == "purify")
        #expect(EditLineReader.commonPrefix(of: ["seed=", "steps="]) == "s")
        #expect(EditLineReader.commonPrefix(of: ["attack", "abc"]) == "a")
        #expect(EditLineReader.commonPrefix(of: ["x", "y"]) == "")
    }
}
