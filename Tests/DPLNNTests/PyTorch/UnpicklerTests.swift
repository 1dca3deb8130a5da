import Foundation
import Testing
@testable import DPLNN

/// The restricted unpickler on hand-built pickles: the opcodes torch.save uses build the right
/// values, and everything a malicious or broken pickle could do is refused with a message that
/// names the opcode and its byte offset.
@Suite("restricted unpickler")
struct UnpicklerTests {
    func load(_ pickle: PickleBytes) throws -> PickleValue {
        var unpickler = Unpickler(data: pickle.data, file: "test.pt", context: "`test/data.pkl`") { _, offset in
            throw PyTorchError(file: "test.pt", "persistent id at \(offset)")
        }
        return try unpickler.load()
    }

    func error(_ pickle: PickleBytes) -> String {
        do {
            _ = try load(pickle)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func buildsNumbersStringsAndContainers() throws {
        var p = PickleBytes()
        p.op(0x7D)                         // EMPTY_DICT
        p.op(0x71, [0])                    // BINPUT 0
        p.op(0x28)                         // MARK
        p.string("i"); p.op(0x4A, [0xFE, 0xFF, 0xFF, 0xFF])                       // BININT -2
        p.string("m"); p.op(0x4D, [0x34, 0x12])                                   // BININT2 0x1234
        p.string("l"); p.op(0x8A, [2, 0x00, 0x80])                                // LONG1 -32768
        p.string("f"); p.op(0x47, [0x3F, 0xF8, 0, 0, 0, 0, 0, 0])                 // BINFLOAT 1.5
        p.string("t"); p.int(1); p.int(2); p.op(0x86)                             // TUPLE2
        p.string("x"); p.op(0x5D); p.op(0x71, [1]); p.op(0x28); p.op(0x88); p.op(0x4E); p.op(0x65) // [True, None], memo 1
        p.string("g"); p.op(0x68, [1])                                            // BINGET 1: the same list
        p.op(0x75)                         // SETITEMS
        p.stop()
        guard case .dict(let dict) = try load(p) else { Issue.record("not a dict"); return }
        #expect(dict.stringKeys == ["i", "m", "l", "f", "t", "x", "g"])
        #expect(dict["i"]?.intValue == -2)
        #expect(dict["m"]?.intValue == 0x1234)
        #expect(dict["l"]?.intValue == -32768)
        if case .float(let value)? = dict["f"] { #expect(value == 1.5) } else { Issue.record("f") }
        #expect(dict["t"]?.elements?.compactMap(\.intValue) == [1, 2])
        #expect(dict["x"]?.elements?.count == 2)
        // The memo shares the list, as Python does: the recalled value is the filled list.
        if case .list(let shared)? = dict["g"], case .list(let original)? = dict["x"] {
            #expect(shared === original && shared.items.count == 2)
        } else { Issue.record("g") }
    }

    /// `d[k] = d` through the memo: reference counting would never free it, and no state_dict
    /// holds itself (LeakSanitizer found the leak while fuzzing the pytorch target).
    @Test func refusesAContainerThatContainsItself() {
        var p = PickleBytes()
        p.op(0x7D)                         // EMPTY_DICT
        p.op(0x71, [0])                    // BINPUT 0
        p.string("self"); p.op(0x68, [0])  // BINGET 0
        p.op(0x73)                         // SETITEM: d["self"] = d
        p.stop()
        #expect(error(p).contains("contains itself"), "\(error(p))")
        // Also when the cycle is dropped from the stack and the memo before STOP.
        var hidden = PickleBytes()
        hidden.op(0x5D)                    // EMPTY_LIST
        hidden.op(0x71, [0])               // BINPUT 0
        hidden.op(0x68, [0]); hidden.op(0x61)   // APPEND itself: l.append(l)
        hidden.op(0x30)                    // POP
        hidden.int(1); hidden.op(0x71, [0])     // memo 0 now holds 1: the list is unreachable
        hidden.stop()
        #expect(error(hidden).contains("contains itself"), "\(error(hidden))")
    }

    @Test func wideIntegersKeepTheirBytes() {
        #expect(Unpickler.integer(fromLittleEndian: [0xFF]).intValue == -1)
        #expect(Unpickler.integer(fromLittleEndian: []).intValue == 0)
        #expect(Unpickler.integer(fromLittleEndian: [1, 0, 0, 0, 0, 0, 0, 0, 0]).intValue == 1)
        if case .largeInt(let bytes) = Unpickler.integer(fromLittleEndian: TorchCheckpoint.legacyMagic) {
            #expect(bytes == TorchCheckpoint.legacyMagic)
        } else {
            Issue.record("the legacy magic number is wider than 64 bits")
        }
    }

    @Test(arguments: [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("builtins", "exec"),
                      ("torch.storage", "_load_from_bytes"), ("subprocess", "Popen"), ("torch", "load")])
    func refusesGlobalsOutsideTheAllowlist(module: String, name: String) {
        var p = PickleBytes()
        p.global(module, name)
        p.string("echo pwned"); p.op(0x85); p.op(0x52)   // TUPLE1, REDUCE
        p.stop()
        let message = error(p)
        #expect(message.contains("`\(module).\(name)`"), "\(message)")
        #expect(message.contains("executes nothing"))
        #expect(message.contains("byte 2"))
    }

    @Test func refusesDisallowedStackGlobals() {
        var p = PickleBytes()
        p.string("builtins"); p.string("eval"); p.op(0x93)   // STACK_GLOBAL
        p.stop()
        #expect(error(p).contains("`builtins.eval` (opcode STACK_GLOBAL)"))
    }

    @Test func refusesCallingAStorageTypeOrANonGlobal() {
        var p = PickleBytes()
        p.global("torch", "FloatStorage"); p.op(0x29); p.op(0x52)
        p.stop()
        #expect(error(p).contains("storages are only referenced through persistent ids"))
        var q = PickleBytes()
        q.string("x"); q.op(0x29); q.op(0x52)
        q.stop()
        #expect(error(q).contains("calls a str"))
    }

    @Test func refusesDeepNesting() {
        var p = PickleBytes()
        p.int(1)
        for _ in 0..<(Unpickler.Limits.depth + 5) { p.op(0x85) }   // TUPLE1, nested
        p.stop()
        #expect(error(p).contains("nests containers more than \(Unpickler.Limits.depth) deep"))
        var lists = PickleBytes()
        for _ in 0..<(Unpickler.Limits.depth + 5) { lists.op(0x28) }   // MARK …
        lists.int(1)
        for _ in 0..<(Unpickler.Limits.depth + 5) { lists.op(0x6C) }   // LIST …: [[[…[1]…]]]
        lists.stop()
        #expect(error(lists).contains("nests containers more than \(Unpickler.Limits.depth) deep"))
    }

    @Test func refusesLengthsPastTheEnd() {
        var p = PickleBytes()
        p.op(0x58, [0xFF, 0xFF, 0xFF, 0x7F])   // BINUNICODE of 2 GB
        #expect(error(p).contains("declaring 2147483647 bytes, but only 0 remain"))
        var q = PickleBytes()
        q.op(0x8D, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])   // BINUNICODE8 of 2⁶⁴ − 1
        #expect(error(q).contains("more than any file holds"))
        var r = PickleBytes()
        r.op(0x8B, [0, 0, 0, 1])   // LONG4 of 16 MB
        #expect(error(r).contains("16777216-byte integer"))
    }

    @Test func refusesTruncationAndStackMisuse() {
        var p = PickleBytes()
        p.op(0x7D)
        #expect(error(p).contains("ends before its STOP opcode"))
        var q = PickleBytes()
        q.op(0x75)   // SETITEMS without MARK
        #expect(error(q).contains("without a MARK"))
        var r = PickleBytes()
        r.op(0x28); r.op(0x30)   // MARK, POP
        #expect(error(r).contains("pops an empty stack") || error(r).contains("pops past a MARK"))
        var s = PickleBytes()
        s.op(0x69)   // INST (protocol 0), which can call anything
        #expect(error(s).contains("opcode 0x69"))
        var t = PickleBytes()
        t.bytes = [0x80, 6, 0x2E]
        #expect(error(t).contains("pickle protocol 6"))
    }
}
