import Foundation
import LinearAlgebra
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var base: LinearAlgebra.SplitMix64

    init(seed: UInt64) { base = LinearAlgebra.SplitMix64(state: seed) }

    mutating func next() -> UInt64 { base.next() }

    mutating func uniform(_ range: ClosedRange<Double> = 0...1) -> Double {
        Double.random(in: range, using: &self)
    }

    /// A standard normal sample (Box–Muller).
    mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne...1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }

    /// `count` points with coordinates uniform in `[0, 1]`.
    mutating func uniformPoints(count: Int, dimension: Int) -> [[Double]] {
        (0..<count).map { _ in (0..<dimension).map { _ in uniform() } }
    }

    /// `count` points with small integer coordinates, so ties and exact duplicates are common.
    mutating func integerPoints(count: Int, dimension: Int, levels: Int) -> [[Double]] {
        (0..<count).map { _ in (0..<dimension).map { _ in Double(Int.random(in: 0..<levels, using: &self)) } }
    }

    /// `count` points on the unit sphere in the positive orthant: mutually non-dominated
    /// (if p ≤ q componentwise and p ≠ q then ‖p‖ < ‖q‖).
    mutating func spherePoints(count: Int, dimension: Int) -> [[Double]] {
        (0..<count).map { _ in
            let v = (0..<dimension).map { _ in Swift.abs(normal()) + 1e-9 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }
}

/// Asserts `|actual − expected| ≤ tolerance · max(1, |expected|)`.
func assertClose(
    _ actual: Double, _ expected: Double, relative tolerance: Double,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    let bound = tolerance * Swift.max(1, Swift.abs(expected))
    XCTAssert(
        Swift.abs(actual - expected) <= bound,
        "\(actual) differs from \(expected) by \(Swift.abs(actual - expected)) > \(bound). \(message())",
        file: file, line: line)
}
