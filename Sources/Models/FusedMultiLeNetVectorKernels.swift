import CKernels
import LinearAlgebra

/// The instruction sets of the fused MultiLeNet's C kernels (the CKernels target: conv1's
/// direct convolution and gathers, conv2's pooling). Each kernel is compiled in a portable
/// variant and with `__attribute__((target("avx2,fma")))`; the best variant the processor and
/// OS support (``CPUFeatures/avx2FMA``) is chosen on first use, with no compiler flags.
///
/// The variants differ only in rounding: the AVX2 variant fuses each multiply-add (one
/// rounding instead of two). Within a variant, results are bit-identical for every task and
/// BLAS thread count.
public enum FusedMultiLeNetVectorKernels {
    /// A compiled variant.
    public enum Variant: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Baseline instructions (SSE2 on x86-64).
        case portable = 0
        /// AVX2 with fused multiply-adds.
        case avx2FMA = 1

        /// "portable" or "AVX2+FMA".
        public var description: String { self == .portable ? "portable" : "AVX2+FMA" }
    }

    /// The best variant this processor supports.
    public static var best: Variant { CPUFeatures.current.avx2FMA ? .avx2FMA : .portable }

    /// The variant in use.
    public static var selected: Variant { Variant(rawValue: Int(ck_selected_kernels())) ?? .portable }

    /// Uses the best supported variant up to `maximum` (e.g. `.portable` to compare the
    /// variants, or to rule out the vector units); returns the variant now in use. Call it
    /// while no kernel runs.
    @discardableResult
    public static func select(atMost maximum: Variant) -> Variant {
        Variant(rawValue: Int(ck_select_kernels(Int32(maximum.rawValue)))) ?? .portable
    }
}
