import DPLREPL
import Testing

@Suite("Completion context")
struct REPLSessionTests {
    @Test("the word is what follows the last break character")
    func trailingWord() {
        #expect(CompletionContext.trailingWord(of: "") == "")
        #expect(CompletionContext.trailingWord(of: "pur") == "pur")
        #expect(CompletionContext.trailingWord(of: "attack pgd | puri") == "puri")
        #expect(CompletionContext.trailingWord(of: "attack eps=8/2") == "8/2")
        #expect(CompletionContext.trailingWord(of: "load \"data/fash") == "data/fash")
        #expect(CompletionContext.trailingWord(of: "for t in [25, 5") == "5")
        #expect(CompletionContext.trailingWord(of: "purify ") == "")
        #expect(CompletionContext.trailingWord(of: "load fashion-mni") == "fashion-mni")
    }

    @Test("the word defaults to the end of the text before the cursor")
    func defaultWord() {
        let context = CompletionContext(line: "attack pgd | pur x", textBeforeCursor: "attack pgd | pur")
        #expect(context.word == "pur")
        #expect(context.pendingStatement == "")
    }
}
