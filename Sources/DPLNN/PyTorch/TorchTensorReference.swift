// MARK: - What a torch.save pickle may name

/// A global a `torch.save` pickle may reference. The allowlist is this enum: a `GLOBAL` or
/// `STACK_GLOBAL` naming anything else (`os.system`, `builtins.eval`, `torch.storage._load_from_bytes`,
/// …) is refused before anything else happens, and even these are never imported or executed —
/// the unpickler knows what each one builds.
public enum TorchGlobal: Equatable {
    /// `collections.OrderedDict`: a state_dict.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter`, read as its tensor.
    case rebuildParameter
    /// A typed storage class (`torch.FloatStorage`, …), only meaningful inside a persistent id.
    case storageType(TorchStorageType)

    /// The allowed global `module.name`, or nil when it is not allowed.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let type = TorchStorageType(rawValue: name) else { return nil }
            self = .storageType(type)
        default: return nil
        }
    }

    /// `module.name` as Python spells it.
    public var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .storageType(let type): return "torch.\(type.rawValue)"
        }
    }

    /// Every allowed global, for error messages.
    static let allowedNames = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the torch.*Storage types"
}

/// The typed storage classes PyTorch names in persistent ids, with their element sizes.
/// Every element type is converted to Float when a tensor is read (integers exactly up to 2²⁴:
/// in state_dicts they are counters such as BatchNorm's `num_batches_tracked`).
public enum TorchStorageType: String, CaseIterable, Sendable {
    case float = "FloatStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage", double = "DoubleStorage"
    case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage"
    case byte = "ByteStorage", bool = "BoolStorage"

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }
}

/// A storage named by a persistent id: the zip entry `data/<key>` (or the legacy file's
/// storage `<key>`) holding `elementCount` elements of `type`.
public struct TorchStorageReference: Equatable {
    public let key: String
    public let type: TorchStorageType
    /// The element count the pickle declares (legacy format); nil in the zip format, where the
    /// entry's size says it.
    public let declaredCount: Int?
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage. Two tensors
/// may view one storage (a state_dict holding a tensor and its transpose, or tied weights).
public struct TorchTensorReference: Equatable {
    public let storage: TorchStorageReference
    /// Offset of element [0, …, 0] in the storage, in elements.
    public let storageOffset: Int
    public let shape: [Int]
    /// Distance in elements between neighbours along each axis.
    public let strides: [Int]

    /// The number of elements, or nil when the product overflows.
    var elementCount: Int? {
        var total = 1
        for extent in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// The largest storage index the view touches plus one (0 for an empty tensor), or nil on overflow.
    var storageExtent: Int? {
        if shape.contains(0) { return 0 }
        var last = storageOffset
        for (extent, stride) in zip(shape, strides) {
            let (span, overflow) = (extent - 1).multipliedReportingOverflow(by: stride)
            if overflow { return nil }
            let (sum, overflow2) = last.addingReportingOverflow(span)
            if overflow2 { return nil }
            last = sum
        }
        return last + 1
    }
}
