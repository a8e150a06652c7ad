import Foundation
import Krylov
import LinearAlgebra
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64).
struct SplitMix64 {
    private var base: LinearAlgebra.SplitMix64
    init(seed: UInt64) { base = LinearAlgebra.SplitMix64(state: seed) }

    mutating func next() -> UInt64 { base.next() }

    /// Uniform on [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform on [a, b).
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Standard normal by Box–Muller.
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    mutating func normalVector(_ n: Int) -> [Double] { (0..<n).map { _ in normal() } }
}

/// Dense helpers written independently of the solvers (plain loops).
enum Dense {
    /// A random symmetric matrix with independent N(0, 1) entries on and above the diagonal.
    static func randomSymmetric(_ n: Int, _ rng: inout SplitMix64) -> Tensor<Double> {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                let value = rng.normal()
                a[i * n + j] = value
                a[j * n + i] = value
            }
        }
        return Tensor(uncheckedShape: [n, n], scalars: a)
    }

    /// A random orthogonal matrix: the eigenvectors of a random symmetric matrix (LAPACK dsyevd).
    static func randomOrthogonal(_ n: Int, _ rng: inout SplitMix64) throws -> Tensor<Double> {
        try LAPACK.symmetricEigen(randomSymmetric(n, &rng)).vectors
    }

    /// `Q diag(λ) Qᵀ`, exactly symmetrised.
    static func withSpectrum(_ q: Tensor<Double>, _ lambda: [Double]) -> Tensor<Double> {
        let n = lambda.count
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += q.scalars[i * n + k] * lambda[k] * q.scalars[j * n + k] }
                a[i * n + j] = sum
                a[j * n + i] = sum
            }
        }
        return Tensor(uncheckedShape: [n, n], scalars: a)
    }

    /// Column `j` of a row-major matrix.
    static func column(_ q: Tensor<Double>, _ j: Int) -> [Double] {
        let n = q.shape[0]
        return (0..<n).map { q.scalars[$0 * n + j] }
    }

    /// `A x` by a plain loop.
    static func multiply(_ a: Tensor<Double>, _ x: [Double]) -> [Double] {
        let n = x.count
        return (0..<n).map { i in
            var sum = 0.0
            for j in 0..<n { sum += a.scalars[i * n + j] * x[j] }
            return sum
        }
    }

    /// `A − σI`.
    static func shifted(_ a: Tensor<Double>, by shift: Double) -> Tensor<Double> {
        let n = a.shape[0]
        var s = a.scalars
        for i in 0..<n { s[i * n + i] -= shift }
        return Tensor(uncheckedShape: [n, n], scalars: s)
    }

    static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    static func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
    static func subtract(_ x: [Double], _ y: [Double]) -> [Double] { zip(x, y).map { $0 - $1 } }
    static func add(_ x: [Double], _ y: [Double]) -> [Double] { zip(x, y).map { $0 + $1 } }
    static func scaled(_ x: [Double], _ s: Double) -> [Double] { x.map { $0 * s } }

    /// `‖x − y‖ / ‖y‖`.
    static func relativeError(_ x: [Double], _ y: [Double]) -> Double { norm(subtract(x, y)) / norm(y) }

    /// The true residual `‖b − (A − σI) x‖`.
    static func residualNorm(_ a: Tensor<Double>, _ x: [Double], _ b: [Double], shift: Double = 0) -> Double {
        norm(subtract(b, subtract(multiply(a, x), scaled(x, shift))))
    }
}

/// The LAPACK reference solution of `(A − σI) x = b` (Bunch–Kaufman, dsysv).
func lapackSolution(_ a: Tensor<Double>, _ b: [Double], shift: Double = 0) throws -> [Double] {
    try LAPACK.solveSymmetric(Dense.shifted(a, by: shift), Tensor(vector: b)).scalars
}

/// Checks the invariants every MINRES run must satisfy: the residual-norm history starts at
/// the true initial residual, never increases (up to rounding), and ends at the true residual
/// of the returned iterate.
func assertMINRESHistory(
    _ result: MINRESResult, _ a: Tensor<Double>, _ b: [Double], start x0: [Double]? = nil, shift: Double = 0,
    finalTolerance: Double = 1e-8, file: StaticString = #filePath, line: UInt = #line
) {
    let norms = result.residualNorms
    XCTAssertEqual(norms.count, result.iterations + 1, "one estimate per iteration plus the initial one", file: file, line: line)
    let initial = Dense.residualNorm(a, x0 ?? [Double](repeating: 0, count: b.count), b, shift: shift)
    XCTAssertEqual(norms[0], initial, accuracy: 1e-12 * max(initial, 1), file: file, line: line)
    for j in 1..<max(norms.count, 1) {
        XCTAssertLessThanOrEqual(norms[j], norms[j - 1] * (1 + 1e-12), "residual estimate increased at step \(j)", file: file, line: line)
    }
    let trueFinal = Dense.residualNorm(a, result.solution, b, shift: shift)
    XCTAssertEqual(result.residualNorm, trueFinal, accuracy: finalTolerance * Dense.norm(b),
                   "estimated vs true final residual", file: file, line: line)
}

struct OperatorFailure: Error, CustomStringConvertible {
    var description: String { "synthetic HVP failure" }
}
