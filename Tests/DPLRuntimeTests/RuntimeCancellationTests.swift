import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// Ctrl-C (the session's cancellation flag, set from another thread as the REPL's handler
/// does) stops a long attack through purification within a step, and the session keeps what
/// earlier statements made.
@Suite("cancellation of running stages", .serialized)
struct RuntimeCancellationTests {
    @Test func cancellingALongAttackKeepsEarlierResultsAndVariables() throws {
        let fixture = try ScriptFixture.trained()
        let before = fixture.run("""
        let data = load images path="$DIR/images"
        data | classify model="$DIR/cnn.safetensors" | report as "before the attack"
        """)
        #expect(before.error == nil, "\(before.error ?? "")")

        // 5000 PGD steps through a 50-step purification would run for many minutes.
        let session = fixture.session
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { session.cancellation.cancel() }
        let started = Date()
        let cancelled = fixture.run("""
        data | attack pgd eps=0.1 steps=5000 | purify t=50 model="$DIR/unet.safetensors" | classify model="$DIR/cnn.safetensors" | report as "cancelled"
        """)
        let seconds = Date().timeIntervalSince(started)
        #expect(cancelled.error?.contains("cancelled") == true, "\(cancelled.error ?? "no error")")
        // The whole attack would take hours; stopping within a step takes seconds on an idle
        // machine, and the bound leaves room for a loaded one (35 s was seen beside 3 builds).
        #expect(seconds < 120, "the attack took \(seconds) s to stop")

        let after = fixture.run("results")
        #expect(after.error == nil)
        #expect(after.output.contains("before the attack"))
        #expect(!after.output.contains("cancelled"))
        #expect(fixture.session.variables["data"] != nil)
    }
}
