import Foundation

/// A deterministic pseudo-random number generator: xoshiro256** (Blackman & Vigna,
/// "Scrambled linear pseudorandom number generators", ACM TOMS 2021; prng.di.unimi.it),
/// whose 256-bit state is filled from the seed with SplitMix64 (Steele, Lea & Flood, OOPSLA 2014),
/// as the authors recommend.
///
/// Every derived quantity (``uniformInt(below:)``, ``permutation(count:)``, ``unitDouble()``,
/// ``gaussian()``) is implemented here rather than through the standard library's
/// `random(in:using:)` / `shuffle(using:)`, whose algorithms may change between Swift
/// releases: a seed gives the same numbers on every platform and toolchain.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator for `seed` and an independent `stream` (for example an epoch number or a
    /// data split): the state is four consecutive SplitMix64 outputs started from
    /// `seed ⊕ mix(stream)`, where `mix` is SplitMix64's output function applied to
    /// `stream · γ + 1` (γ = 0x9E3779B97F4A7C15). Stream 0 with seed `s` starts SplitMix64
    /// from `s ⊕ mix(1)`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var splitMix = SplitMix64(state: seed ^ SplitMix64.mix(stream &* SplitMix64.gamma &+ 1))
        state = (splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next())
        if state == (0, 0, 0, 0) { state.0 = SplitMix64.gamma }
    }

    /// A generator with the given raw xoshiro256** state (for checking against the reference
    /// implementation).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` unless there are four
    ///   words, not all zero.
    public init(xoshiroState words: [UInt64]) throws {
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw TensorError.invalidArgument(
                operation: "SeededGenerator", reason: "xoshiro256** needs four state words, not all zero; got \(words)")
        }
        state = (words[0], words[1], words[2], words[3])
    }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool { lhs.state == rhs.state }

    /// The next 64 random bits (xoshiro256**: `rotl(s1 · 5, 7) · 9`, then the linear state update).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method
    /// ("Fast random integer generation in an interval", ACM TOMACS 2019): unbiased.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` unless `bound > 0`.
    public mutating func uniformInt(below bound: Int) throws -> Int {
        guard bound > 0 else {
            throw TensorError.invalidArgument(operation: "SeededGenerator.uniformInt", reason: "bound \(bound) must be positive")
        }
        return uniformIndex(below: bound)
    }

    /// ``uniformInt(below:)`` for a bound known to be positive (Lemire's unbiased multiply-shift).
    /// - Precondition: `bound > 0`.
    public mutating func uniformIndex(below bound: Int) -> Int {
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of `0..<count` by the Fisher–Yates shuffle
    /// (Knuth, TAOCP vol. 2, Algorithm 3.4.2 P): for i = count−1 down to 1, swap element i with
    /// element `uniformInt(below: i + 1)`.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` if `count < 0`.
    public mutating func permutation(count: Int) throws -> [Int] {
        guard count >= 0 else {
            throw TensorError.invalidArgument(operation: "SeededGenerator.permutation", reason: "negative count \(count)")
        }
        var result = Array(0..<count)
        var i = count - 1
        while i > 0 {
            result.swapAt(i, uniformIndex(below: i + 1))
            i -= 1
        }
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
    public mutating func unitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample by the Box–Muller transform:
    /// `√(−2 ln u₁) · cos(2π u₂)` with `u₁ ∈ (0, 1]`, `u₂ ∈ [0, 1)`. Uses two 64-bit draws.
    public mutating func gaussian() -> Double {
        let u1 = 1 - unitDouble()
        let u2 = unitDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

/// SplitMix64 (Steele, Lea & Flood 2014; Vigna's reference `splitmix64.c`): a Weyl sequence
/// with increment γ = 0x9E3779B97F4A7C15, scrambled by ``mix(_:)``.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The Weyl increment γ = 2⁶⁴/φ rounded to odd.
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// The current Weyl-sequence value.
    public private(set) var state: UInt64

    /// A generator starting from `state`.
    public init(state: UInt64) { self.state = state }

    /// SplitMix64's output function: `z ← (z ⊕ z≫30)·0xBF58476D1CE4E5B9`,
    /// `z ← (z ⊕ z≫27)·0x94D049BB133111EB`, `z ⊕ z≫31`.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Advances the state by γ and returns `mix(state)`.
    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }
}
