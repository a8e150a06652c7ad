import CKernels
import LinearAlgebra

/// The instruction sets of the fused MultiLeNet's C kernels (the CKernels target: conv1's
/// direct convolution and gathers, conv2's pooling, and with AVX-512 conv2's GEMMs). Each
/// kernel is compiled in a portable variant and with `__attribute__((target("avx2,fma")))`,
/// conv2's GEMMs with `target("avx512f,avx512dq,avx512bw,avx512vl,fma")`; the best variant the
/// processor and OS support (``CPUFeatures/avx512``, ``CPUFeatures/avx2FMA``) is chosen on
/// first use, with no compiler flags.
///
/// The variants differ only in rounding: the AVX2 variant fuses each multiply-add (one
/// rounding instead of two); the AVX-512 variant also sums conv2's products in its own order
/// (512-bit lanes) instead of OpenBLAS's. Within a variant, results are bit-identical for
/// every task and BLAS thread count.
public enum FusedMultiLeNetVectorKernels {
    /// A compiled variant.
    public enum Variant: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Baseline instructions (SSE2 on x86-64).
        case portable = 0
        /// AVX2 with fused multiply-adds.
        case avx2FMA = 1
        /// AVX-512 F/DQ/BW/VL: the AVX2+FMA kernels, and conv2's GEMMs in CKernels' own
        /// 512-bit kernels instead of BLAS (x86-64 only).
        case avx512 = 2

        /// "portable", "AVX2+FMA" or "AVX-512".
        public var description: String {
            switch self {
            case .portable: return "portable"
            case .avx2FMA: return "AVX2+FMA"
            case .avx512: return "AVX-512"
            }
        }
    }

    /// The best variant this processor supports (what cpuid reports, as the C side decides).
    public static var best: Variant { Variant(rawValue: Int(ck_best_kernels())) ?? .portable }

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
