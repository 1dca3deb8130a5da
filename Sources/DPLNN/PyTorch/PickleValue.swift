import Foundation

/// A value of the restricted unpickler: only the kinds a `torch.save`d state_dict (and the
/// dicts, lists and numbers wrapped around it) is made of. Nothing here can run code.
///
/// Lists and dicts are reference types, as in Python: the pickle memoizes an empty container
/// and fills it afterwards (`EMPTY_DICT, BINPUT, MARK, …, SETITEMS`), and a later `BINGET`
/// must see the filled one.
public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (the legacy
    /// format's magic number is one).
    case largeInt([UInt8])
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed global (`module.name`), before it is called by `REDUCE`.
    case global(TorchGlobal)
    /// A storage named by a persistent id.
    case storage(TorchStorageReference)
    /// A tensor: a typed view into a storage.
    case tensor(TorchTensorReference)

    /// How deeply containers nest inside this value (0 for a scalar). Bounded by the unpickler
    /// so that no later walk over the value, and no release of it, can overflow the stack.
    var depth: Int {
        switch self {
        case .tuple(let tuple): return tuple.depth
        case .list(let list): return list.depth
        case .dict(let dict): return dict.depth
        default: return 0
        }
    }

    /// A short name of the value's kind for error messages (`dict`, `tensor`, `int`, …).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .largeInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return "global \(global.qualifiedName)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The integer, if this is one that fits in `Int`.
    public var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The elements of a tuple or list.
    public var elements: [PickleValue]? {
        switch self {
        case .tuple(let tuple): return tuple.items
        case .list(let list): return list.items
        default: return nil
        }
    }
}

/// An immutable tuple with its nesting depth recorded at creation.
public struct PickleTuple {
    public let items: [PickleValue]
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        self.depth = 1 + (items.map(\.depth).max() ?? 0)
    }
}

/// A Python list, shared by reference between the stack and the memo.
public final class PickleList {
    public internal(set) var items: [PickleValue] = []
    /// At least the nesting depth of everything appended (a container mutated after being
    /// appended elsewhere can make an outer record stale; walks carry their own bound too).
    var depth = 1

    func append(_ value: PickleValue) {
        items.append(value)
        depth = max(depth, value.depth + 1)
    }
}

/// A Python dict (or `collections.OrderedDict`) in insertion order, shared by reference.
public final class PickleDict {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    // Hashed positions of string and integer keys, so a dict of n entries costs O(n) to build.
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        // Python replaces the value of an existing key in place; only string and integer keys
        // matter for state_dicts, so only those are compared (others are appended).
        switch key {
        case .string(let text):
            if let index = stringIndex[text] { entries[index].value = value } else {
                stringIndex[text] = entries.count
                entries.append((key, value))
            }
        case .int(let number):
            if let index = intIndex[number] { entries[index].value = value } else {
                intIndex[number] = entries.count
                entries.append((key, value))
            }
        default:
            entries.append((key, value))
        }
        depth = max(depth, max(key.depth, value.depth) + 1)
    }

    /// The value under the string key `key`.
    public subscript(key: String) -> PickleValue? {
        stringIndex[key].map { entries[$0].value }
    }

    /// The string keys, in order (other keys are left out).
    public var stringKeys: [String] { entries.compactMap { $0.key.stringValue } }
}
