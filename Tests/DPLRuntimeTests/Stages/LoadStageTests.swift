import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `load`'s checks before anything runs.
@Suite struct LoadStageTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture() }

    /// A dataset folder that does not exist is found by `dpl check`, with the near name beside it.
    @Test func aMissingLiteralDataFolderIsACheckError() {
        let checked = fixture.session.check(SourceFile(name: fixture.folder + "/x.dpl", text: """
        load images path="imags" | classify | report
        """))
        #expect(checked.errorText?.contains("`load` reads `imags`, which does not exist") == true, "\(checked.errorText ?? "no error")")
        #expect(checked.errorText?.contains("did you mean `images`?") == true)
        #expect(fixture.session.check(SourceFile(name: fixture.folder + "/x.dpl", text: "load images path=\"images\" | save \"i.npz\"")).errorText == nil)
    }
}
