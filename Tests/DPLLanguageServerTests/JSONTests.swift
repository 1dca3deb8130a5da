import Foundation
import Testing
@testable import DPLLanguageServer

@Suite struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSON.parse(Array(#"{"a":[1,2.5,"x",true,null,{"b":-3}],"c":"é\n🎉"}"#.utf8))
        #expect(value == ["a": [1, .number(2.5), "x", true, nil, ["b": -3]], "c": "é\n🎉"])
        #expect(value["a"]?.arrayValue?.first?.integerValue == 1)
        #expect(value["c"]?.stringValue == "é\n🎉")
        #expect(value["missing"] == nil)
        #expect(JSON.string("x")["a"] == nil)
    }

    @Test func serializesCompactlyWithSortedKeysAndEscapes() {
        let value: JSON = ["b": 1, "a": ["q\"\\\n\u{01}é", true, nil, .number(0.5)]]
        #expect(value.serialized == #"{"a":["q\"\\\n\u0001é",true,null,0.5],"b":1}"#)
    }

    @Test func roundTrips() throws {
        let value: JSON = ["id": 7, "params": ["text": "let x = 1\n# ü🎉", "list": [1, 2, ["deep": false]]]]
        #expect(try JSON.parse(Array(value.serialized.utf8)) == value)
    }

    @Test func refusesWhatIsNotJSON() {
        for text in ["", "{", "{\"a\":}", "[1 2]", "nul", "{\"a\":1}}", "\"\\x\""] {
            #expect(throws: (any Error).self, "\(text)") { try JSON.parse(Array(text.utf8)) }
        }
    }

    @Test func refusesNestingDeeperThanTheParserAllowsWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: (any Error).self) { try JSON.parse(Array(deep.utf8)) }
    }
}
