/// The element types of the safetensors format, spelled as in the JSON header (`"dtype": "F32"`).
///
/// The cases are declared in the order of the reference implementation's `Dtype` enum
/// (huggingface/safetensors, `safetensors/src/tensor.rs`), which is "increasing alignment
/// order"; the writer lays tensors out in *descending* order of this rank, then by name
/// (see `SafetensorsFile.serialized()`). All multi-byte types are little-endian.
public enum SafetensorsDType: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Boolean, one byte per element.
    case bool = "BOOL"
    /// 4-bit float (OCP microscaling MXFP4), two elements per byte.
    case f4 = "F4"
    /// 6-bit float, 2-bit exponent and 3-bit mantissa (OCP microscaling MXFP6).
    case f6E2M3 = "F6_E2M3"
    /// 6-bit float, 3-bit exponent and 2-bit mantissa (OCP microscaling MXFP6).
    case f6E3M2 = "F6_E3M2"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// 8-bit float with 5 exponent and 2 mantissa bits (Micikevicius et al., arXiv:2209.05433).
    case f8E5M2 = "F8_E5M2"
    /// 8-bit float with 4 exponent and 3 mantissa bits (Micikevicius et al., arXiv:2209.05433).
    case f8E4M3 = "F8_E4M3"
    /// 8-bit exponent-only scale (OCP microscaling E8M0).
    case f8E8M0 = "F8_E8M0"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 binary16 (half precision).
    case f16 = "F16"
    /// bfloat16: the upper 16 bits of an IEEE 754 binary32.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 binary32 (`Float`).
    case f32 = "F32"
    /// Complex number made of two binary32 parts (real, imaginary).
    case c64 = "C64"
    /// IEEE 754 binary64 (`Double`).
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Size of one element in bits (`Dtype::bitsize` in the reference implementation).
    public var bitSize: Int {
        switch self {
        case .f4: 4
        case .f6E2M3, .f6E3M2: 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .c64, .f64, .i64, .u64: 64
        }
    }

    /// Position in the reference implementation's declaration order (`BOOL` = 0 … `U64` = 19);
    /// the writer places tensors with a higher rank first.
    public var layoutRank: Int {
        Self.allCases.firstIndex(of: self)!
    }

    /// The header spelling, e.g. `"F32"`.
    public var description: String { rawValue }
}
