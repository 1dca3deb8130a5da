import Testing
@testable import DPLLang

/// Every token and syntax-tree node carries a span, so its size is most of a long script's
/// memory: 32-bit numbers make it 32 bytes (48 before), and `dpl check` of a 50 MB script
/// peaks at 1.1–1.2 GB instead of 1.3–1.5 GB.
@Suite struct SourceSpanTests {
    @Test func aSpanIsAFileNameAndFourThirtyTwoBitNumbers() {
        #expect(MemoryLayout<SourceSpan>.stride == 32)
    }

    @Test func numbersRoundTripAndOutOfRangeOnesAreClampedNotTrapped() {
        var span = SourceSpan(file: "a.dpl", line: 3, column: 7, length: 2)
        #expect((span.line, span.column, span.length, span.endLine) == (3, 7, 2, 3))
        span.column = Int.max
        span.endLine = Int.min
        #expect(span.column == Int(Int32.max))
        #expect(span.endLine == Int(Int32.min))
        let far = SourceSpan(file: "a.dpl", line: 1 << 40, column: 1, length: 1 << 33)
        #expect(far.line == Int(Int32.max) && far.length == Int(Int32.max))
        #expect(far.description == "a.dpl:\(Int32.max):1")
    }
}
