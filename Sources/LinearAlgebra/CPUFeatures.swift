import CKernels

/// The x86 vector extensions of the processor this process runs on, read with `cpuid`
/// (leaves 0, 1, 7.0 and 7.1) and `xgetbv` (Intel SDM vol. 2A, "CPUID"; AMD APM vol. 3).
///
/// An extension counts as *usable* only when the operating system also saves its register
/// state (XCR0 bits 1–2 for AVX, 5–7 for AVX-512), as OpenBLAS's own `support_avx*()` checks
/// require. On other architectures every flag is `false` and ``vendor`` is empty.
public struct CPUFeatures: Sendable, Equatable, CustomStringConvertible {
    /// The vendor of a processor, from the 12-character `cpuid` leaf-0 string.
    public enum Vendor: String, Sendable, Equatable {
        /// "GenuineIntel".
        case intel
        /// "AuthenticAMD", or Hygon's "HygonGenuine" (Zen-derived).
        case amd
        /// Any other vendor string, or no `cpuid` (non-x86).
        case other
    }

    /// The vendor string of `cpuid` leaf 0 ("GenuineIntel", "AuthenticAMD"; empty off x86).
    public var vendorString: String
    /// Display family (base family + extended family), as `/proc/cpuinfo` reports it.
    public var family: Int
    /// Display model (base model + extended model · 16 for families 6 and 15).
    public var model: Int
    /// AVX with OS support for the YMM state.
    public var avx: Bool
    /// AVX2 and FMA3 with OS support for the YMM state (OpenBLAS's Haswell and Zen kernels).
    public var avx2FMA: Bool
    /// AVX-512 F, DQ, BW and VL with OS support for the ZMM and opmask state (the Skylake-X
    /// subset OpenBLAS's SkylakeX kernels use).
    public var avx512: Bool
    /// AVX-512 BF16 (cpuid 7.1 eax bit 5), as OpenBLAS's Cooperlake detection reads it.
    public var avx512BF16: Bool

    /// The vendor, from ``vendorString``.
    public var vendor: Vendor {
        switch vendorString {
        case "GenuineIntel": return .intel
        case "AuthenticAMD", "HygonGenuine": return .amd
        default: return .other
        }
    }

    /// A feature set from its fields (for tests and for describing other machines).
    public init(vendorString: String, family: Int, model: Int, avx: Bool, avx2FMA: Bool, avx512: Bool, avx512BF16: Bool = false) {
        self.vendorString = vendorString
        self.family = family
        self.model = model
        self.avx = avx
        self.avx2FMA = avx2FMA
        self.avx512 = avx512
        self.avx512BF16 = avx512BF16
    }

    /// The features of this processor (read once per process).
    public static let current: CPUFeatures = {
        var raw = ck_cpu_features()
        ck_query_cpu_features(&raw)
        let vendor = withUnsafeBytes(of: raw.vendor) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let avx = raw.avx != 0 && raw.osSavesAVX != 0
        let avx2FMA = avx && raw.avx2 != 0 && raw.fma != 0
        let avx512 = avx2FMA && raw.osSavesAVX512 != 0
            && raw.avx512f != 0 && raw.avx512dq != 0 && raw.avx512bw != 0 && raw.avx512vl != 0
        return CPUFeatures(
            vendorString: vendor, family: Int(raw.family), model: Int(raw.model),
            avx: avx, avx2FMA: avx2FMA, avx512: avx512, avx512BF16: avx512 && raw.avx512bf16 != 0)
    }()

    /// E.g. "AuthenticAMD family 26 model 2 (AVX-512, AVX2+FMA, AVX)".
    public var description: String {
        let extensions = [(avx512, "AVX-512"), (avx2FMA, "AVX2+FMA"), (avx, "AVX")].filter(\.0).map(\.1)
        let list = extensions.isEmpty ? "no AVX" : extensions.joined(separator: ", ")
        return "\(vendorString.isEmpty ? "non-x86" : vendorString) family \(family) model \(model) (\(list))"
    }
}
