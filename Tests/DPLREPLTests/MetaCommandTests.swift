@testable import DPLREPL
import Foundation
import Testing

@Suite("Meta-command parsing")
struct MetaCommandTests {
    @Test("commands, aliases and arguments")
    func parsing() {
        #expect(MetaCommand.parse(":help") == .help(topic: nil))
        #expect(MetaCommand.parse(":help   purify  ") == .help(topic: "purify"))
        #expect(MetaCommand.parse(":vars") == .variables)
        #expect(MetaCommand.parse(":reset") == .reset)
        #expect(MetaCommand.parse(":quit") == .quit)
        #expect(MetaCommand.parse(":q") == .quit)
        #expect(MetaCommand.parse(":load runs/a b.dpl") == .load(path: "runs/a b.dpl"))
        #expect(MetaCommand.parse(":load \"with space.dpl\"") == .load(path: "with space.dpl"))
        #expect(MetaCommand.parse(":estimate") == .estimate(source: nil))
        #expect(MetaCommand.parse(":estimate  data | attack pgd | classify ") == .estimate(source: "data | attack pgd | classify"))
    }

    @Test(":load expands ~ like a shell", .enabled(if: getenv("HOME") != nil))
    func tilde() {
        guard case .load(let path) = MetaCommand.parse(":load ~/x.dpl") else {
            Issue.record("not a load")
            return
        }
        #expect(!path.hasPrefix("~"))
        #expect(path.hasSuffix("/x.dpl"))
    }

    @Test("mistakes name the command and the fix")
    func mistakes() {
        guard case .invalid(let unknown) = MetaCommand.parse(":lod x") else {
            Issue.record("accepted :lod")
            return
        }
        #expect(unknown.hasPrefix("unknown command `:lod`."))
        #expect(unknown.contains(":quit"))
        #expect(MetaCommand.parse(":") == .invalid(message: "unknown command `:`.\n" + MetaCommand.summary))
        #expect(MetaCommand.parse(":reset now") == .invalid(message: "`:reset` takes no argument; write `:reset`."))
    }
}
