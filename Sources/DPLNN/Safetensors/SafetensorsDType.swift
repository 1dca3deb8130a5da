// MARK: - Element types

/// The element types of the safetensors format, with their sizes in bytes.
///
/// Every type is recognised so that offsets of any file can be validated; DPL converts the
/// floating-point ones (`F32`; `F16`, `BF16` upcast exactly; `F64` rounded) and `I64`
/// (PyTorch's integer buffers, such as BatchNorm's batch counter) to Float.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .i64, .u64, .f64: return 8
        }
    }

    /// Whether DPL can read this type into a Float tensor.
    public var isReadable: Bool { [.f32, .f16, .bf16, .f64, .i64].contains(self) }
}

// MARK: - Conversions to Float

/// An IEEE binary16 value as Float (exact: every half is a float). Written out bit by bit
/// because Swift's `Float16` is unavailable on some supported platforms (Intel macOS).
@inlinable
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let negative = bits & 0x8000 != 0
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    let sign: UInt32 = negative ? 0x8000_0000 : 0
    switch exponent {
    case 0:
        let magnitude = Float(mantissa) * 0x1p-24   // zero or subnormal: mantissa · 2⁻²⁴
        return negative ? -magnitude : magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)   // infinity or NaN
    default:
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)   // rebias 15 → 127
    }
}

/// A bfloat16 value as Float: bfloat16 is the high half of a float32.
@inlinable
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
