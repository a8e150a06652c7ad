import LinearAlgebra
import MultiObjective
import XCTest

private func randomGradients(_ m: Int, _ n: Int, _ rng: inout SeededGenerator) -> [[Double]] {
    (0..<m).map { _ in (0..<n).map { _ in rng.normal() } }
}

/// ‖Σ αᵢ gᵢ‖², computed directly from the gradients (independent of the Gram matrix).
private func combinedNormSquared(_ gradients: [[Double]], _ alpha: [Double]) -> Double {
    var sum = [Double](repeating: 0, count: gradients[0].count)
    for (a, g) in zip(alpha, gradients) { for j in sum.indices { sum[j] += a * g[j] } }
    return sum.reduce(0) { $0 + $1 * $1 }
}

/// All points of the simplex grid {α : αᵢ = kᵢ / steps, Σ kᵢ = steps}.
private func simplexGrid(_ m: Int, steps: Int) -> [[Double]] {
    if m == 1 { return [[1]] }
    var result: [[Double]] = []
    func recurse(_ prefix: [Int], _ remaining: Int) {
        if prefix.count == m - 1 {
            result.append((prefix + [remaining]).map { Double($0) / Double(steps) })
            return
        }
        for k in 0...remaining { recurse(prefix + [k], remaining - k) }
    }
    recurse([], steps)
    return result
}

final class MinNormWeightsTests: XCTestCase {
    /// The QP value is no larger than the minimum over a fine simplex grid (plus rounding) and
    /// no smaller than it minus the grid's resolution bound: |αᵀGα − βᵀGβ| ≤ ‖α − β‖₁ · 2 maxᵢⱼ|Gᵢⱼ|
    /// and the nearest grid point is within ‖·‖₁ ≤ m·h of α*. Also checks the KKT certificate
    /// (Gα)ᵢ ≥ αᵀGα for all i, with equality on the support, which pins the exact optimum.
    func testAgainstSimplexGridAndKKT() throws {
        var rng = SeededGenerator(seed: 41)
        for (m, steps) in [(2, 10_000), (3, 200), (4, 60)] {
            let grid = simplexGrid(m, steps: steps)
            for trial in 0..<6 {
                let n = 5 + (trial * 3) % 16
                var gradients = randomGradients(m, n, &rng)
                if trial == 5 { gradients[1] = gradients[0].map { 0.5 * $0 } }  // parallel pair
                let gram = try MinNormWeights.gramMatrix(gradients)
                let solution = try MinNormWeights.solve(gradients: gradients)
                let alpha = solution.weights

                XCTAssertEqual(alpha.count, m)
                XCTAssertTrue(alpha.allSatisfy { $0 >= 0 })
                XCTAssertEqual(alpha.reduce(0, +), 1, accuracy: 1e-14)
                let direct = combinedNormSquared(gradients, alpha)
                let scale = gradients.map { $0.reduce(0) { $0 + $1 * $1 } }.max()!
                XCTAssertEqual(solution.normSquared, direct, accuracy: 1e-13 * scale)

                let gridMinimum = grid.map { combinedNormSquared(gradients, $0) }.min()!
                let maxEntry = gram.scalars.map(abs).max()!
                let resolution = 2 * maxEntry * Double(m) / Double(steps)
                XCTAssertLessThanOrEqual(direct, gridMinimum + 1e-12 * scale, "m=\(m) trial \(trial)")
                XCTAssertGreaterThanOrEqual(direct, gridMinimum - resolution, "m=\(m) trial \(trial)")

                let gAlpha = (0..<m).map { i in (0..<m).reduce(0.0) { $0 + gram.scalars[i * m + $1] * alpha[$1] } }
                let value = zip(alpha, gAlpha).reduce(0.0) { $0 + $1.0 * $1.1 }
                for i in 0..<m {
                    XCTAssertGreaterThanOrEqual(gAlpha[i], value - 1e-12 * scale, "KKT m=\(m) trial \(trial)")
                    if alpha[i] > 1e-9 { XCTAssertEqual(gAlpha[i], value, accuracy: 1e-12 * scale) }
                }
            }
        }
    }

    func testStationaryGradientsGiveZeroCorrection() throws {
        var rng = SeededGenerator(seed: 42)
        for m in 2...5 {
            for n in [5, 12, 20] {
                // g_m = −(Σ_{i<m} βᵢ gᵢ) / β_m for β in the simplex, so Σ βᵢ gᵢ = 0.
                var gradients = randomGradients(m - 1, n, &rng)
                var beta = (0..<m).map { _ in rng.uniform(0.1...1) }
                let total = beta.reduce(0, +)
                beta = beta.map { $0 / total }
                var last = [Double](repeating: 0, count: n)
                for (b, g) in zip(beta, gradients) { for j in 0..<n { last[j] -= b * g[j] / beta[m - 1] } }
                gradients.append(last)

                let result = try MinNormWeights.correction(gradients: gradients)
                XCTAssertLessThan(result.stationarity, 1e-10, "m=\(m) n=\(n)")
                let largest = gradients.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max()!
                XCTAssertLessThan(combinedNormSquared(gradients, result.weights).squareRoot() / largest, 1e-10)
                XCTAssertEqual(result.correction.count, n)
                if n >= m {
                    // Generic gradients with n ≥ m: β is the unique zero of the combination.
                    for (w, b) in zip(result.weights, beta) { XCTAssertEqual(w, b, accuracy: 1e-8) }
                }
            }
        }
    }

    func testCorrectionIsTheWeightedGradientSum() throws {
        var rng = SeededGenerator(seed: 43)
        let gradients = randomGradients(3, 10, &rng)
        let result = try MinNormWeights.correction(gradients: gradients)
        for j in 0..<10 {
            let expected = (0..<3).reduce(0.0) { $0 + result.weights[$1] * gradients[$1][j] }
            XCTAssertEqual(result.correction[j], expected, accuracy: 1e-14)
        }
        let norm = result.correction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let largest = gradients.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max()!
        XCTAssertEqual(result.stationarity, norm / largest, accuracy: 1e-14)
    }

    func testTwoObjectiveClosedFormMatchesGeneralSolver() throws {
        var rng = SeededGenerator(seed: 44)
        for n in 5...20 {
            let gradients = randomGradients(2, n, &rng)
            let gram = try MinNormWeights.gramMatrix(gradients)
            let closed = try MinNormWeights.twoObjectives(gram: gram)
            let general = try MinNormWeights.supportEnumeration(gram: gram)
            XCTAssertEqual(closed.weights[0], general.weights[0], accuracy: 1e-10)
            XCTAssertEqual(closed.normSquared, general.normSquared, accuracy: 1e-12 * gram.scalars.max()!)
        }
    }

    /// Wolfe's active-set method against the exhaustive support enumeration (two independent
    /// exact solvers), including affinely dependent gradients (m > n + 1, duplicates) where the
    /// corral must stay affinely independent, and the KKT certificate for m beyond enumeration.
    func testActiveSetAgreesWithSupportEnumeration() throws {
        var rng = SeededGenerator(seed: 46)
        for m in 3...8 {
            for (trial, n) in [5, 12, 20, 3, 2].enumerated() {
                var gradients = randomGradients(m, n, &rng)
                if trial == 4 { gradients[m - 1] = gradients[0] }
                let gram = try MinNormWeights.gramMatrix(gradients)
                let scale = gram.scalars.max()!
                let active = try MinNormWeights.activeSet(gram: gram)
                let enumerated = try MinNormWeights.supportEnumeration(gram: gram)
                XCTAssertEqual(active.normSquared, enumerated.normSquared, accuracy: 1e-12 * scale, "m=\(m) n=\(n)")
                XCTAssertEqual(active.weights.reduce(0, +), 1, accuracy: 1e-14)
                XCTAssertTrue(active.weights.allSatisfy { $0 >= 0 })
                if n >= m {
                    // Generic gradients, n ≥ m: G is positive definite and the minimiser unique.
                    for (a, b) in zip(active.weights, enumerated.weights) { XCTAssertEqual(a, b, accuracy: 1e-9) }
                }
            }
        }
        for m in [16, 30] {
            let gradients = randomGradients(m, 40, &rng)
            let gram = try MinNormWeights.gramMatrix(gradients)
            let solution = try MinNormWeights.solve(gram: gram)
            let alpha = solution.weights
            let gAlpha = (0..<m).map { i in (0..<m).reduce(0.0) { $0 + gram.scalars[i * m + $1] * alpha[$1] } }
            let value = zip(alpha, gAlpha).reduce(0.0) { $0 + $1.0 * $1.1 }
            let scale = gram.scalars.max()!
            for i in 0..<m { XCTAssertGreaterThanOrEqual(gAlpha[i], value - 1e-12 * scale, "KKT m=\(m)") }
            XCTAssertEqual(alpha.reduce(0, +), 1, accuracy: 1e-14)
        }
    }

    func testHandCases() throws {
        // Orthogonal unit gradients: α = (½, ½), ‖(½, ½)‖² = ½.
        let orthogonal = try MinNormWeights.solve(gradients: [[1, 0], [0, 1]])
        XCTAssertEqual(orthogonal.weights, [0.5, 0.5])
        XCTAssertEqual(orthogonal.normSquared, 0.5)
        // g₁ = (1,0), g₂ = (2,0): α₁ = clip((4 − 2)/(1 − 4 + 4), 0, 1) = 1, value 1.
        let nested = try MinNormWeights.solve(gradients: [[1, 0], [2, 0]])
        XCTAssertEqual(nested.weights, [1, 0])
        XCTAssertEqual(nested.normSquared, 1)
        // Equal gradients: denominator 0, tie → (½, ½), value ‖g‖² = 25.
        let equal = try MinNormWeights.solve(gradients: [[3, 4], [3, 4]])
        XCTAssertEqual(equal.weights, [0.5, 0.5])
        XCTAssertEqual(equal.normSquared, 25)
        // Three unit vectors at 120°: 0 = (g₁ + g₂ + g₃)/3 is in the hull, α = (⅓, ⅓, ⅓).
        let s = 3.0.squareRoot() / 2
        let star = try MinNormWeights.solve(gradients: [[1, 0], [-0.5, s], [-0.5, -s]])
        for w in star.weights { XCTAssertEqual(w, 1.0 / 3.0, accuracy: 1e-14) }
        XCTAssertEqual(star.normSquared, 0, accuracy: 1e-15)
        // One objective.
        XCTAssertEqual(try MinNormWeights.solve(gradients: [[3, 4]]), MinNormSolution(weights: [1], normSquared: 25))
    }

    func testFrankWolfeApproachesExactSolution() throws {
        var rng = SeededGenerator(seed: 45)
        for m in 3...5 {
            let gradients = randomGradients(m, 12, &rng)
            let gram = try MinNormWeights.gramMatrix(gradients)
            let exact = try MinNormWeights.solve(gram: gram)
            let approximate = try MinNormWeights.frankWolfe(gram: gram, maxIterations: 100_000, tolerance: 1e-10)
            let scale = gram.scalars.max()!
            XCTAssertGreaterThanOrEqual(approximate.normSquared, exact.normSquared - 1e-12 * scale)
            XCTAssertLessThanOrEqual(approximate.normSquared, exact.normSquared + 1e-9 * scale)
        }
    }

    func testInvalidInputThrows() throws {
        XCTAssertThrowsError(try MinNormWeights.solve(gram: Tensor(shape: [2, 3], repeating: 0)))
        XCTAssertThrowsError(try MinNormWeights.solve(gram: Tensor(shape: [2, 2], scalars: [1, 0.5, 0.4, 1])))
        XCTAssertThrowsError(try MinNormWeights.solve(gram: Tensor(shape: [2, 2], scalars: [1, .nan, .nan, 1])))
        XCTAssertThrowsError(try MinNormWeights.solve(gram: Tensor(shape: [2, 2], scalars: [-1, 0, 0, 1])))
        XCTAssertThrowsError(try MinNormWeights.solve(gram: Tensor(shape: [0, 0], scalars: [])))
        XCTAssertThrowsError(try MinNormWeights.supportEnumeration(gram: Tensor(shape: [13, 13], repeating: 1)))
        XCTAssertThrowsError(try MinNormWeights.solve(gradients: [[1, 2], [1]]))
        XCTAssertThrowsError(try MinNormWeights.solve(gradients: []))
        XCTAssertThrowsError(try MinNormWeights.combination(of: [[1, 2]], weights: [0.5, 0.5]))
        XCTAssertThrowsError(try MinNormWeights.twoObjectives(gram: Tensor(shape: [3, 3], repeating: 1)))
    }
}
