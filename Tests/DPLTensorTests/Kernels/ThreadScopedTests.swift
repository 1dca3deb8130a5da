import Foundation
import Testing
import DPLTensor

/// A value installed for a block is seen inside it on its own thread only, and nested blocks
/// restore the outer value.
@Suite struct ThreadScopedTests {
    final class Box { let name: String; init(_ name: String) { self.name = name } }

    @Test func blocksNestAndOtherThreadsSeeNothing() {
        let slot = ThreadScoped<Box>()
        #expect(slot.current == nil)
        var seen: [String?] = []
        final class Seen: @unchecked Sendable { var name: String? = "unset" }
        let elsewhere = Seen()
        slot.with(Box("outer")) {
            seen.append(slot.current?.name)
            slot.with(Box("inner")) { seen.append(slot.current?.name) }
            seen.append(slot.current?.name)
            let done = DispatchSemaphore(value: 0)
            Thread { elsewhere.name = slot.current?.name; done.signal() }.start()
            done.wait()
        }
        #expect(seen == ["outer", "inner", "outer"])
        #expect(elsewhere.name == nil)
        #expect(slot.current == nil)
    }
}
