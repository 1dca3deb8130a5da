import DPLREPL
import Foundation
import Testing

@Suite("History location")
struct REPLConfigurationTests {
    @Test("explicit file and none")
    func explicit() {
        #expect(HistoryLocation.file("/tmp/h").resolvedPath() == "/tmp/h")
        #expect(HistoryLocation.none.resolvedPath() == nil)
    }

    @Test("standard is DPL_HISTORY when set, else ~/.dpl_history")
    func standard() {
        let path = HistoryLocation.standard.resolvedPath()
        if let override = ProcessInfo.processInfo.environment["DPL_HISTORY"] {
            #expect(path == (override.isEmpty ? nil : override))
        } else if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            #expect(path?.hasSuffix("/.dpl_history") == true)
            #expect(path?.hasPrefix(home) == true)
        }
    }
}
