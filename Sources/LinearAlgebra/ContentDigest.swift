/// A 64-bit FNV-1a digest of numeric content (Fowler–Noll–Vo, the FNV-1a variant with the
/// 64-bit offset basis 0xcbf29ce484222325 and prime 0x100000001b3), fed 32- or 64-bit words
/// (their bit patterns, so `-0.0` and `0.0` differ and NaN payloads count). An identity check,
/// not a cryptographic hash: two runs use the same data iff their digests agree, barring a
/// 2⁻⁶⁴ accident.
public struct ContentDigest: Sendable, Equatable {
    /// The running state.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Feeds the bytes of `word`, least significant first.
    public mutating func combine<Word: FixedWidthInteger>(_ word: Word) {
        var w = UInt64(truncatingIfNeeded: word)
        for _ in 0..<(Word.bitWidth / 8) {
            value = (value ^ (w & 0xFF)) &* 0x0000_0100_0000_01B3
            w >>= 8
        }
    }

    /// Feeds the bit patterns of `values`.
    public mutating func combine(_ values: [Float]) { for v in values { combine(v.bitPattern) } }

    /// Feeds the bit patterns of `values`.
    public mutating func combine(_ values: [Double]) { for v in values { combine(v.bitPattern) } }

    /// Feeds `values` as 64-bit integers.
    public mutating func combine(_ values: [Int]) { for v in values { combine(Int64(v)) } }

    /// The digest as 16 lowercase hexadecimal digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The digest of `values`' bit patterns.
    public static func of(_ values: [Double]) -> String {
        var digest = ContentDigest()
        digest.combine(values)
        return digest.hex
    }
}
