import Krylov
import LinearAlgebra
import XCTest

final class ConjugateGradientTests: XCTestCase {
    private func randomSPD(_ n: Int, _ rng: inout SplitMix64) throws -> Tensor<Double> {
        let q = try Dense.randomOrthogonal(n, &rng)
        return Dense.withSpectrum(q, (0..<n).map { _ in rng.uniform(0.1, 10) })
    }

    func testMatchesLAPACKOnRandomSPD() throws {
        var rng = SplitMix64(seed: 21)
        for n in [10, 35, 60] {
            let a = try randomSPD(n, &rng)
            let b = rng.normalVector(n)
            for x0 in [nil, rng.normalVector(n)] {
                let result = try conjugateGradient(DenseMatrixOperator(a), b, start: x0, relativeTolerance: 1e-12)
                XCTAssertEqual(result.stopReason, .converged)
                XCTAssertTrue(result.converged)
                XCTAssertLessThan(Dense.relativeError(result.solution, try lapackSolution(a, b)), 1e-9)
                XCTAssertEqual(result.residualNorms.count, result.iterations + 1)
                let initial = Dense.residualNorm(a, x0 ?? [Double](repeating: 0, count: n), b)
                XCTAssertEqual(result.residualNorms[0], initial, accuracy: 1e-12 * initial)
                XCTAssertEqual(result.residualNorms.last!, Dense.residualNorm(a, result.solution, b), accuracy: 1e-10 * Dense.norm(b))
            }
        }
    }

    func testAgreesWithMINRESOnSPD() throws {
        var rng = SplitMix64(seed: 22)
        let n = 40
        let a = try randomSPD(n, &rng)
        let b = rng.normalVector(n)
        let op = try DenseMatrixOperator(a)
        let cg = try conjugateGradient(op, b, relativeTolerance: 1e-12)
        let mr = try minres(op, b, relativeTolerance: 1e-13)
        XCTAssertTrue(cg.converged)
        XCTAssertEqual(mr.stopReason, .converged)
        XCTAssertLessThan(Dense.relativeError(cg.solution, mr.solution), 1e-9)
    }

    /// A capped run returns the k-th CG iterate; its true residual matches the recurrence.
    func testIterationCap() throws {
        var rng = SplitMix64(seed: 23)
        let n = 50
        let a = try randomSPD(n, &rng)
        let b = rng.normalVector(n)
        let result = try conjugateGradient(DenseMatrixOperator(a), b, relativeTolerance: 1e-14, maxIterations: 6)
        XCTAssertEqual(result.stopReason, .iterationLimit)
        XCTAssertFalse(result.converged)
        XCTAssertEqual(result.iterations, 6)
        XCTAssertEqual(result.residualNorms.last!, Dense.residualNorm(a, result.solution, b), accuracy: 1e-10 * Dense.norm(b))
    }

    /// Indefinite matrices: CG stops at a direction of non-positive curvature, checked with an
    /// independent dense product.
    func testReportsNonPositiveCurvature() throws {
        var rng = SplitMix64(seed: 24)
        let n = 30
        let q = try Dense.randomOrthogonal(n, &rng)
        // Mostly positive spectrum with a few negative eigenvalues: curvature turns negative later.
        var lambda = (0..<n).map { _ in rng.uniform(0.5, 5) }
        for j in 0..<4 { lambda[j] = -rng.uniform(1, 3) }
        let a = Dense.withSpectrum(q, lambda)
        let b = rng.normalVector(n)
        let result = try conjugateGradient(DenseMatrixOperator(a), b, relativeTolerance: 1e-12)
        XCTAssertEqual(result.stopReason, .nonPositiveCurvature)
        XCTAssertFalse(result.converged)
        let p = try XCTUnwrap(result.nonPositiveCurvatureDirection)
        let curvature = Dense.dot(p, Dense.multiply(a, p))
        XCTAssertLessThanOrEqual(curvature, 0)
        XCTAssertEqual(try XCTUnwrap(result.curvature), curvature, accuracy: 1e-10 * Dense.dot(p, p) * 5)

        // Negative definite: the first direction b already has bᵀAb < 0.
        let negative = Dense.withSpectrum(q, (0..<n).map { _ in -rng.uniform(0.5, 5) })
        let immediate = try conjugateGradient(DenseMatrixOperator(negative), b)
        XCTAssertEqual(immediate.stopReason, .nonPositiveCurvature)
        XCTAssertEqual(immediate.iterations, 0)
        XCTAssertEqual(immediate.solution, [Double](repeating: 0, count: n))
        XCTAssertEqual(immediate.nonPositiveCurvatureDirection, b)
    }

    func testZeroRightHandSide() throws {
        var rng = SplitMix64(seed: 25)
        let a = try randomSPD(6, &rng)
        let result = try conjugateGradient(DenseMatrixOperator(a), [Double](repeating: 0, count: 6), start: rng.normalVector(6))
        XCTAssertEqual(result.stopReason, .zeroRightHandSide)
        XCTAssertEqual(result.iterations, 0)
        XCTAssertEqual(result.solution, [Double](repeating: 0, count: 6))
    }
}
