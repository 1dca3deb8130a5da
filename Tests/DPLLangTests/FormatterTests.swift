import Foundation
import Testing
@testable import DPLLang

@Suite struct FormatterTests {
    private func format(_ text: String) -> String {
        Formatter.format(Parser.parse(SourceFile(name: "t.dpl", text: text)).program)
    }

    @Test func canonicalLayout() {
        let messy = """
        # header comment


        let   data=load fashion-mnist   split=test n=512   # the data
        set batch=64
        def diffpure( t = 100 , seed=random )=purify t=t seed=seed sampler=sde
        for t in [25,50] {
        data|attack pgd eps=8 / 255|purify t=t - 1 seed=fixed|classify|report as "t={t}"
        }
        load x |
            purify   # defend
            | classify
        import "common.dpl"; 3+4*2
        """
        #expect(format(messy) == """
        # header comment

        let data = load fashion-mnist split=test n=512  # the data
        set batch = 64
        def diffpure(t=100, seed=random) = purify t=t seed=seed sampler=sde
        for t in [25, 50] {
          data | attack pgd eps=8/255 | purify t=t - 1 seed=fixed | classify | report as "t={t}"
        }
        load x
          | purify  # defend
          | classify
        import "common.dpl"
        3 + 4*2

        """)
    }

    @Test func commentsInsideBlocksAndAtTheEnd() {
        let text = "for t in [1] {  # loop\n  # inside\n  load t\n  # last inside\n}  # closing\n# trailing\n"
        #expect(format(text) == text)
    }

    @Test func idempotentAndKeepsEveryComment() {
        let text = "load a | purify  # one\n\n\n# two\nlet x = [1,  # three\n  2]  # four\n"
        let once = format(text)
        #expect(format(once) == once)
        #expect(once.components(separatedBy: "#").count == text.components(separatedBy: "#").count)
    }

    @Test func commentLinesBetweenStagesStay() {
        let text = "let x = load a\n  # between\n  | purify\n  | classify  # end\n"
        #expect(format(text) == text)
    }

    @Test func emptyProgram() {
        #expect(format("") == "")
        #expect(format("\n\n") == "")
    }

    @Test func requireRoundTripsInCanonicalForm() {
        let messy = "# needs the new stage\nrequire   dpl \">=0.2,<1.0\"  # range\nrequire dpl \"!=0.2.1\"\n\nload x | classify\n"
        let canonical = "# needs the new stage\nrequire dpl \">= 0.2, < 1.0\"  # range\nrequire dpl \"!= 0.2.1\"\n\nload x | classify\n"
        #expect(format(messy) == canonical)
        #expect(format(canonical) == canonical)
    }
}
