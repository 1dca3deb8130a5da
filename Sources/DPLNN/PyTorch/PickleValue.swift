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

extension PickleList: PickleContainer {
    var children: [PickleValue] { items }
    func removeAll() { items.removeAll() }
}

extension PickleDict: PickleContainer {
    var children: [PickleValue] { entries.flatMap { [$0.key, $0.value] } }
    func removeAll() {
        entries.removeAll()
        stringIndex.removeAll()
        intIndex.removeAll()
    }
}

/// A list or dict: the containers a pickle can mutate after building them, so the only ones
/// that can end up containing themselves (`d[k] = d` through the memo).
protocol PickleContainer: AnyObject {
    /// The values it holds (a dict's keys and values).
    var children: [PickleValue] { get }
    /// Drops what it holds, breaking any cycle through it.
    func removeAll()
}

/// Every list and dict one unpickling built. Reference counting never frees a container that
/// contains itself, and a hostile pickle can build one and then drop every other reference to
/// it; the unpickler refuses such a pickle and empties every container it built, so nothing
/// it made outlives it (LeakSanitizer found the leak while fuzzing).
final class PickleContainers {
    private(set) var all: [PickleContainer] = []

    /// `container`, recorded.
    func track<C: PickleContainer>(_ container: C) -> C {
        all.append(container)
        return container
    }

    /// Whether some recorded container reaches itself through lists, dicts and tuples.
    var containCycle: Bool {
        // Iterative depth-first search with three colours, so a long chain cannot exhaust the stack.
        var state: [ObjectIdentifier: Bool] = [:]   // false: on the current path; true: done
        for root in all where state[ObjectIdentifier(root)] == nil {
            var path: [(container: PickleContainer, next: [PickleContainer])] = []
            state[ObjectIdentifier(root)] = false
            path.append((root, Self.containers(in: root.children)))
            while !path.isEmpty {
                guard let child = path[path.count - 1].next.popLast() else {
                    state[ObjectIdentifier(path.removeLast().container)] = true
                    continue
                }
                switch state[ObjectIdentifier(child)] {
                case .some(false): return true
                case .some(true): continue
                case .none:
                    state[ObjectIdentifier(child)] = false
                    path.append((child, Self.containers(in: child.children)))
                }
            }
        }
        return false
    }

    /// Empties every recorded container.
    func releaseAll() {
        for container in all { container.removeAll() }
        all.removeAll()
    }

    /// The lists and dicts among `values`, looking inside tuples (which are values, built whole).
    private static func containers(in values: [PickleValue]) -> [PickleContainer] {
        var found: [PickleContainer] = []
        var pending = values
        while let value = pending.popLast() {
            switch value {
            case .list(let list): found.append(list)
            case .dict(let dict): found.append(dict)
            case .tuple(let tuple): pending += tuple.items
            default: break
            }
        }
        return found
    }
}

/// A Python dict (or `collections.OrderedDict`) in insertion order, shared by reference.
public final class PickleDict {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    // Hashed positions of string and integer keys, so a dict of n entries costs O(n) to build.
    fileprivate var stringIndex: [String: Int] = [:]
    fileprivate var intIndex: [Int: Int] = [:]

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
