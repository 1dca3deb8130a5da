import Foundation

/// A restricted reader of Python pickles (protocols 2–5): the opcodes `torch.save` emits for
/// state_dicts and the dicts, lists, tuples, numbers and strings around them, and nothing else.
///
/// It is an interpreter of a stack machine, but one that cannot run code: a global is allowed
/// only if `TorchGlobal` lists it, and `REDUCE` on an allowed global builds the value that
/// global would build (an empty OrderedDict, a tensor view) without importing anything. Any
/// other global — `os.system`, `builtins.eval`, `posix.system` — is refused at the opcode that
/// names it, so a malicious checkpoint stops before its payload is even reached.
///
/// The input is untrusted, so every length is checked against the bytes left, and the stack,
/// the mark stack, the memo and the nesting of containers are bounded (`Limits`). The reader
/// loops over opcodes without recursion.
struct Unpickler {
    /// Bounds on what one pickle may build.
    enum Limits {
        /// Deepest nesting of containers (a state_dict needs 3 or 4; score_sde's EMA 3).
        static let depth = 100
        /// Most values on the stack, and most open marks.
        static let stackSize = 1 << 22
        static let marks = 10_000
        /// Most memo entries.
        static let memoSize = 1 << 22
        /// Longest `module` or `name` of a `GLOBAL`.
        static let globalLine = 256
        /// Widest integer (bytes) of `LONG1`/`LONG4` (the legacy magic number needs 10).
        static let longBytes = 64
    }

    /// Turns a persistent id (the value `BINPERSID` pops) into the value it stands for.
    typealias PersistentLoader = (_ pid: PickleValue, _ offset: Int) throws -> PickleValue

    private let data: Data
    private let file: String
    /// Which pickle of the file this is, for messages (`archive/data.pkl`, `the legacy main pickle`).
    private let context: String
    private let persistentLoad: PersistentLoader
    private var position: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every list and dict built, so a pickle that makes one contain itself leaks nothing.
    private let containers = PickleContainers()

    /// A reader of the pickle starting at `offset` of `data` (rebased to index 0).
    init(data: Data, offset: Int = 0, file: String, context: String, persistentLoad: @escaping PersistentLoader) {
        self.data = data
        self.file = file
        self.context = context
        self.persistentLoad = persistentLoad
        self.position = offset
    }

    /// The byte just after the pickle's `STOP`, once `load()` returned.
    var endOffset: Int { position }

    // MARK: - Errors

    private func fail(_ message: String, at offset: Int) -> PyTorchError {
        PyTorchError(file: file, "\(context) \(message) (byte \(offset))")
    }

    private var truncatedHint: String { "the file is truncated or corrupt; save it again with torch.save" }

    // MARK: - Reading operands

    private mutating func readByte(at opcodeOffset: Int, _ opcode: String) throws -> UInt8 {
        guard position < data.count else { throw fail("ends inside opcode \(opcode); \(truncatedHint)", at: opcodeOffset) }
        let byte = data[position]
        position += 1
        return byte
    }

    private mutating func readInteger(size: Int, at opcodeOffset: Int, _ opcode: String) throws -> UInt64 {
        guard let value = data.littleEndian(at: position, size: size) else {
            throw fail("ends inside opcode \(opcode); \(truncatedHint)", at: opcodeOffset)
        }
        position += size
        return value
    }

    private mutating func readBytes(_ length: Int, at opcodeOffset: Int, _ opcode: String) throws -> Data {
        guard let bytes = data.bytes(at: position, length: length) else {
            throw fail("has opcode \(opcode) declaring \(length) bytes, but only \(max(0, data.count - position)) remain; \(truncatedHint)", at: opcodeOffset)
        }
        position += length
        return bytes
    }

    /// A length operand of `size` bytes, checked to fit in `Int`.
    private mutating func readLength(size: Int, at opcodeOffset: Int, _ opcode: String) throws -> Int {
        let raw = try readInteger(size: size, at: opcodeOffset, opcode)
        guard raw <= UInt64(Int.max) else {
            throw fail("has opcode \(opcode) declaring \(raw) bytes, more than any file holds; \(truncatedHint)", at: opcodeOffset)
        }
        return Int(raw)
    }

    private mutating func readLine(at opcodeOffset: Int, _ opcode: String) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try readByte(at: opcodeOffset, opcode)
            if byte == 0x0A { break }
            bytes.append(byte)
            guard bytes.count <= Limits.globalLine else {
                throw fail("has opcode \(opcode) with a name longer than \(Limits.globalLine) bytes; \(truncatedHint)", at: opcodeOffset)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - The stack

    private mutating func push(_ value: PickleValue, at offset: Int) throws {
        guard value.depth <= Limits.depth else {
            throw fail("nests containers more than \(Limits.depth) deep; a state_dict needs a few levels, so the file is not a checkpoint of weights", at: offset)
        }
        guard stack.count < Limits.stackSize else {
            throw fail("grows the pickle stack past \(Limits.stackSize) values; the file is not a checkpoint of weights", at: offset)
        }
        stack.append(value)
    }

    private mutating func pop(at offset: Int, _ opcode: String) throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail("pops an empty stack at opcode \(opcode); \(truncatedHint)", at: offset) }
        if let mark = marks.last, stack.count < mark {
            throw fail("pops past a MARK at opcode \(opcode); \(truncatedHint)", at: offset)
        }
        return value
    }

    /// The values pushed since the last `MARK`, which is removed.
    private mutating func popToMark(at offset: Int, _ opcode: String) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("has opcode \(opcode) without a MARK; \(truncatedHint)", at: offset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func top(at offset: Int, _ opcode: String) throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else {
            throw fail("has opcode \(opcode) with nothing on the stack; \(truncatedHint)", at: offset)
        }
        return value
    }

    private mutating func memoize(_ index: Int, at offset: Int, _ opcode: String) throws {
        let value = try top(at: offset, opcode)
        guard memo[index] != nil || memo.count < Limits.memoSize else {
            throw fail("memoizes more than \(Limits.memoSize) values; the file is not a checkpoint of weights", at: offset)
        }
        memo[index] = value
    }

    private mutating func recall(_ index: Int, at offset: Int, _ opcode: String) throws {
        guard let value = memo[index] else {
            throw fail("has opcode \(opcode) recalling memo entry \(index), which was never stored; \(truncatedHint)", at: offset)
        }
        try push(value, at: offset)
    }

    // MARK: - Globals and calls

    private func global(module: String, name: String, at offset: Int, _ opcode: String) throws -> PickleValue {
        guard let allowed = TorchGlobal(module: module, name: name) else {
            throw fail("references the global `\(module).\(name)` (opcode \(opcode)), which a checkpoint of weights never needs; DPL refuses it and executes nothing. Only \(TorchGlobal.allowedNames) are allowed; if you trust the file, load it in PyTorch and save the state_dict alone (torch.save(model.state_dict(), path) or safetensors)", at: offset)
        }
        return .global(allowed)
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue, at offset: Int, _ opcode: String) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw fail("calls a \(callable.kindName) with opcode \(opcode); only allowed globals can be called", at: offset)
        }
        guard let args = arguments.elements else {
            throw fail("calls \(global.qualifiedName) with \(arguments.kindName) arguments instead of a tuple; \(truncatedHint)", at: offset)
        }
        switch global {
        case .orderedDict:
            guard args.isEmpty else {
                throw fail("builds collections.OrderedDict from \(args.count) arguments; torch.save builds it empty and fills it with SETITEMS", at: offset)
            }
            return .dict(containers.track(PickleDict()))
        case .rebuildParameter:
            guard let first = args.first, case .tensor = first else {
                throw fail("calls torch._utils._rebuild_parameter without a tensor as its first argument", at: offset)
            }
            return first
        case .rebuildTensor:
            return .tensor(try rebuildTensor(args, at: offset))
        case .storageType(let type):
            throw fail("calls torch.\(type.rawValue) with opcode \(opcode); storages are only referenced through persistent ids by torch.save", at: offset)
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ args: [PickleValue], at offset: Int) throws -> TorchTensorReference {
        let what = "calls torch._utils._rebuild_tensor_v2 with"
        guard args.count >= 4 else { throw fail("\(what) \(args.count) arguments; it needs storage, offset, size and stride", at: offset) }
        guard case .storage(let storage) = args[0] else {
            throw fail("\(what) a \(args[0].kindName) where the storage belongs", at: offset)
        }
        guard let storageOffset = args[1].intValue, storageOffset >= 0 else {
            throw fail("\(what) a storage offset that is not a non-negative integer", at: offset)
        }
        func integers(_ value: PickleValue, _ field: String) throws -> [Int] {
            guard let items = value.elements else { throw fail("\(what) a \(field) that is a \(value.kindName), not a tuple", at: offset) }
            return try items.map { item in
                guard let number = item.intValue, number >= 0 else {
                    throw fail("\(what) a \(field) holding \(item.intValue.map(String.init) ?? item.kindName), not a non-negative integer", at: offset)
                }
                return number
            }
        }
        let shape = try integers(args[2], "size")
        let strides = try integers(args[3], "stride")
        guard shape.count == strides.count else {
            throw fail("\(what) size \(shape) and stride \(strides) of different lengths", at: offset)
        }
        let tensor = TorchTensorReference(storage: storage, storageOffset: storageOffset, shape: shape, strides: strides)
        guard tensor.elementCount != nil, let extent = tensor.storageExtent else {
            throw fail("\(what) size \(shape) too large to address", at: offset)
        }
        if let declared = storage.declaredCount, extent > declared {
            throw fail("\(what) a view (offset \(storageOffset), size \(shape), stride \(strides)) reaching element \(extent - 1) of storage `\(storage.key)`, which holds \(declared); \(truncatedHint)", at: offset)
        }
        return tensor
    }

    // MARK: - The loop

    /// Runs the pickle to its `STOP` and returns the value it built.
    /// - Throws: `PyTorchError` naming the file, this pickle, the opcode and its byte offset;
    ///   also for a pickle whose lists or dicts contain themselves, which no state_dict does.
    mutating func load() throws -> PickleValue {
        do {
            let value = try run()
            guard !containers.containCycle else {
                throw fail("builds a list or dict that contains itself; a state_dict is a tree of dicts, lists and tensors, so the file is not a checkpoint of weights", at: position)
            }
            return value
        } catch {
            // Whatever was built is dropped; emptying every container breaks any cycle in it.
            containers.releaseAll()
            throw error
        }
    }

    private mutating func run() throws -> PickleValue {
        while true {
            let offset = position
            guard position < data.count else {
                throw fail("ends before its STOP opcode; \(truncatedHint)", at: offset)
            }
            let opcode = data[position]
            position += 1
            switch opcode {
            case 0x80: // PROTO
                let version = try readByte(at: offset, "PROTO")
                guard version >= 2, version <= 5 else {
                    throw fail("uses pickle protocol \(version); DPL reads protocols 2 to 5, which torch.save writes", at: offset)
                }
            case 0x95: // FRAME: a length hint only
                _ = try readInteger(size: 8, at: offset, "FRAME")
            case 0x2E: // STOP
                return try pop(at: offset, "STOP")
            case 0x28: // MARK
                guard marks.count < Limits.marks else {
                    throw fail("opens more than \(Limits.marks) MARKs; the file is not a checkpoint of weights", at: offset)
                }
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop(at: offset, "POP")
            case 0x31: // POP_MARK
                _ = try popToMark(at: offset, "POP_MARK")

            // Constants and numbers
            case 0x4E: try push(.none, at: offset)                                           // NONE
            case 0x88: try push(.bool(true), at: offset)                                     // NEWTRUE
            case 0x89: try push(.bool(false), at: offset)                                    // NEWFALSE
            case 0x4B: try push(.int(Int(try readInteger(size: 1, at: offset, "BININT1"))), at: offset)
            case 0x4D: try push(.int(Int(try readInteger(size: 2, at: offset, "BININT2"))), at: offset)
            case 0x4A: // BININT: signed 4 bytes
                let raw = UInt32(truncatingIfNeeded: try readInteger(size: 4, at: offset, "BININT"))
                try push(.int(Int(Int32(bitPattern: raw))), at: offset)
            case 0x8A, 0x8B: // LONG1, LONG4: little-endian two's complement
                let name = opcode == 0x8A ? "LONG1" : "LONG4"
                let length = try readLength(size: opcode == 0x8A ? 1 : 4, at: offset, name)
                guard length <= Limits.longBytes else {
                    throw fail("has a \(length)-byte integer (\(name)); state_dicts need at most 8", at: offset)
                }
                let bytes = [UInt8](try readBytes(length, at: offset, name))
                try push(Self.integer(fromLittleEndian: bytes), at: offset)
            case 0x47: // BINFLOAT: big-endian double
                let raw = try readInteger(size: 8, at: offset, "BINFLOAT")
                try push(.float(Double(bitPattern: raw.byteSwapped)), at: offset)

            // Strings and bytes
            case 0x58, 0x8C, 0x8D: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let (name, size) = opcode == 0x58 ? ("BINUNICODE", 4) : opcode == 0x8C ? ("SHORT_BINUNICODE", 1) : ("BINUNICODE8", 8)
                let length = try readLength(size: size, at: offset, name)
                let bytes = try readBytes(length, at: offset, name)
                guard let text = String(data: bytes, encoding: .utf8) else {
                    throw fail("has a \(name) string that is not UTF-8; \(truncatedHint)", at: offset)
                }
                try push(.string(text), at: offset)
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (Python 2 str, in old legacy files)
                let name = opcode == 0x54 ? "BINSTRING" : "SHORT_BINSTRING"
                let length = try readLength(size: opcode == 0x54 ? 4 : 1, at: offset, name)
                let bytes = try readBytes(length, at: offset, name)
                try push(.string(String(decoding: bytes, as: UTF8.self)), at: offset)
            case 0x42, 0x43, 0x8E: // BINBYTES, SHORT_BINBYTES, BINBYTES8
                let (name, size) = opcode == 0x42 ? ("BINBYTES", 4) : opcode == 0x43 ? ("SHORT_BINBYTES", 1) : ("BINBYTES8", 8)
                let length = try readLength(size: size, at: offset, name)
                try push(.bytes(try readBytes(length, at: offset, name)), at: offset)

            // Containers
            case 0x29: try push(.tuple(PickleTuple([])), at: offset)                         // EMPTY_TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                var items: [PickleValue] = []
                for _ in 0..<count { items.insert(try pop(at: offset, "TUPLE\(count)"), at: 0) }
                try push(.tuple(PickleTuple(items)), at: offset)
            case 0x74: // TUPLE
                try push(.tuple(PickleTuple(try popToMark(at: offset, "TUPLE"))), at: offset)
            case 0x5D: try push(.list(containers.track(PickleList())), at: offset)          // EMPTY_LIST
            case 0x6C: // LIST
                let list = containers.track(PickleList())
                for item in try popToMark(at: offset, "LIST") { list.append(item) }
                try push(.list(list), at: offset)
            case 0x7D: try push(.dict(containers.track(PickleDict())), at: offset)          // EMPTY_DICT
            case 0x64: // DICT
                let items = try popToMark(at: offset, "DICT")
                let dict = try Self.filled(containers.track(PickleDict()), with: items) { fail($0, at: offset) }
                try push(.dict(dict), at: offset)
            case 0x61: // APPEND
                let item = try pop(at: offset, "APPEND")
                try append([item], at: offset, "APPEND")
            case 0x65: // APPENDS
                let items = try popToMark(at: offset, "APPENDS")
                try append(items, at: offset, "APPENDS")
            case 0x73: // SETITEM
                let value = try pop(at: offset, "SETITEM")
                let key = try pop(at: offset, "SETITEM")
                try setItems([key, value], at: offset, "SETITEM")
            case 0x75: // SETITEMS
                let items = try popToMark(at: offset, "SETITEMS")
                try setItems(items, at: offset, "SETITEMS")

            // Memo
            case 0x71: try memoize(Int(try readInteger(size: 1, at: offset, "BINPUT")), at: offset, "BINPUT")
            case 0x72: try memoize(Int(try readInteger(size: 4, at: offset, "LONG_BINPUT")), at: offset, "LONG_BINPUT")
            case 0x94: try memoize(memo.count, at: offset, "MEMOIZE")
            case 0x68: try recall(Int(try readInteger(size: 1, at: offset, "BINGET")), at: offset, "BINGET")
            case 0x6A: try recall(Int(try readInteger(size: 4, at: offset, "LONG_BINGET")), at: offset, "LONG_BINGET")

            // Globals, calls, persistent ids
            case 0x63: // GLOBAL
                let module = try readLine(at: offset, "GLOBAL")
                let name = try readLine(at: offset, "GLOBAL")
                try push(try global(module: module, name: name, at: offset, "GLOBAL"), at: offset)
            case 0x93: // STACK_GLOBAL
                let name = try pop(at: offset, "STACK_GLOBAL")
                let module = try pop(at: offset, "STACK_GLOBAL")
                guard let moduleName = module.stringValue, let globalName = name.stringValue else {
                    throw fail("has STACK_GLOBAL with a \(module.kindName) and a \(name.kindName) instead of two strings; \(truncatedHint)", at: offset)
                }
                try push(try global(module: moduleName, name: globalName, at: offset, "STACK_GLOBAL"), at: offset)
            case 0x52: // REDUCE
                let arguments = try pop(at: offset, "REDUCE")
                let callable = try pop(at: offset, "REDUCE")
                try push(try call(callable, arguments, at: offset, "REDUCE"), at: offset)
            case 0x81: // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is allowed
                let arguments = try pop(at: offset, "NEWOBJ")
                let callable = try pop(at: offset, "NEWOBJ")
                try push(try call(callable, arguments, at: offset, "NEWOBJ"), at: offset)
            case 0x62: // BUILD: sets an object's state
                let state = try pop(at: offset, "BUILD")
                let target = try top(at: offset, "BUILD")
                // OrderedDict's state is its `_metadata` attribute (module versions) and a
                // tensor's its Python attributes; neither affects the weights, so both are dropped.
                switch target {
                case .dict, .tensor: _ = state
                default:
                    throw fail("has BUILD on a \(target.kindName); torch.save only builds state_dicts and tensors", at: offset)
                }
            case 0x51: // BINPERSID
                let pid = try pop(at: offset, "BINPERSID")
                try push(try persistentLoad(pid, offset), at: offset)
            default:
                throw fail("has opcode 0x\(String(opcode, radix: 16, uppercase: true)), which DPL's restricted unpickler does not read (it reads what torch.save writes for state_dicts); save the state_dict again with torch.save", at: offset)
            }
        }
    }

    private mutating func append(_ items: [PickleValue], at offset: Int, _ opcode: String) throws {
        guard case .list(let list) = try top(at: offset, opcode) else {
            throw fail("has \(opcode) on a \(try top(at: offset, opcode).kindName) instead of a list", at: offset)
        }
        for item in items { list.append(item) }
        guard list.depth <= Limits.depth else {
            throw fail("nests containers more than \(Limits.depth) deep; a state_dict needs a few levels, so the file is not a checkpoint of weights", at: offset)
        }
    }

    private mutating func setItems(_ items: [PickleValue], at offset: Int, _ opcode: String) throws {
        guard case .dict(let dict) = try top(at: offset, opcode) else {
            throw fail("has \(opcode) on a \(try top(at: offset, opcode).kindName) instead of a dict", at: offset)
        }
        _ = try Self.filled(dict, with: items) { fail("\(opcode): \($0)", at: offset) }
        guard dict.depth <= Limits.depth else {
            throw fail("nests containers more than \(Limits.depth) deep; a state_dict needs a few levels, so the file is not a checkpoint of weights", at: offset)
        }
    }

    /// `dict` with the alternating keys and values of `items` set.
    private static func filled(_ dict: PickleDict, with items: [PickleValue],
                               error: (String) -> PyTorchError) throws -> PickleDict {
        guard items.count % 2 == 0 else { throw error("has an odd number of items for a dict's keys and values") }
        for pair in stride(from: 0, to: items.count, by: 2) { dict.set(items[pair], items[pair + 1]) }
        return dict
    }

    /// A little-endian two's-complement integer, as `int` when it fits in 64 bits.
    static func integer(fromLittleEndian bytes: [UInt8]) -> PickleValue {
        guard !bytes.isEmpty else { return .int(0) }
        let negative = bytes[bytes.count - 1] & 0x80 != 0
        // Bytes beyond the eighth that only repeat the sign do not change the value.
        let significant = bytes.count > 8 && bytes[8...].allSatisfy { $0 == (negative ? 0xFF : 0) }
            && (bytes[7] & 0x80 != 0) == negative
        guard bytes.count <= 8 || significant else { return .largeInt(bytes) }
        var value: UInt64 = negative ? ~0 : 0
        for (index, byte) in bytes.prefix(8).enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(index)))
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        return .int(Int(Int64(bitPattern: value)))
    }
}
