import Foundation
import LinearAlgebra
import Optimization
import XCTest

/// L-BFGS (Nocedal & Wright Algorithms 7.4/7.5 with a strong Wolfe line search) against
/// analytic minimisers, LAPACK, and an independent check of the Wolfe conditions.
final class LBFGSTests: XCTestCase {
    /// The extended Rosenbrock function `Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` and its gradient
    /// (Moré, Garbow & Hillstrom 1981, problem 1 chained); minimiser all ones.
    private func rosenbrock(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        var value = 0.0
        var gradient = [Double](repeating: 0, count: x.count)
        for i in 0..<(x.count - 1) {
            let a = x[i + 1] - x[i] * x[i], b = 1 - x[i]
            value += 100 * a * a + b * b
            gradient[i] += -400 * x[i] * a - 2 * b
            gradient[i + 1] += 200 * a
        }
        return (value, gradient)
    }

    /// The standard start (−1.2, 1, −1.2, 1, …).
    private func rosenbrockStart(_ n: Int) -> [Double] { (0..<n).map { $0 % 2 == 0 ? -1.2 : 1 } }

    private var tight: LBFGSOptions { LBFGSOptions(gradientTolerance: 1e-10, functionTolerance: 0) }

    func testRosenbrockInTwoAndTenDimensionsReachesAllOnes() throws {
        for n in [2, 10] {
            let result = try LBFGS.minimize(from: rosenbrockStart(n), options: tight, rosenbrock)
            XCTAssertEqual(result.stopReason, .gradientConverged, "n = \(n)")
            for (i, xi) in result.x.enumerated() { XCTAssertEqual(xi, 1, accuracy: 1e-6, "n = \(n), component \(i)") }
            XCTAssertLessThanOrEqual(result.gradientNorm, 1e-10)
            // The reported gradient norm is that of the returned point.
            XCTAssertEqual(result.gradientNorm, rosenbrock(result.x).gradient.map(abs).max()!)
            XCTAssertEqual(result.value, rosenbrock(result.x).value)
            XCTAssertGreaterThan(result.iterations, 10)
            XCTAssertGreaterThanOrEqual(result.evaluations, result.iterations + 1)
        }
    }

    /// A random symmetric positive definite quadratic `½ xᵀAx − bᵀx`: the minimiser solves
    /// `A x = b`, computed independently by LAPACK's `dsysv`.
    func testRandomQuadraticMatchesLAPACKSolve() throws {
        let n = 30
        var generator = SeededGenerator(seed: 7)
        let m = (0..<(n * n)).map { _ in generator.gaussian() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += m[k * n + i] * m[k * n + j] }
                a[i * n + j] = sum / Double(n) + (i == j ? 0.05 : 0)
            }
        }
        let b = (0..<n).map { _ in generator.gaussian() }
        func quadratic(_ x: [Double]) -> (value: Double, gradient: [Double]) {
            var ax = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { ax[i] += a[i * n + j] * x[j] } }
            let value = 0.5 * zip(x, ax).reduce(0) { $0 + $1.0 * $1.1 } - zip(b, x).reduce(0) { $0 + $1.0 * $1.1 }
            return (value, zip(ax, b).map { $0 - $1 })
        }
        let expected = try LAPACK.solveSymmetric(Tensor(shape: [n, n], scalars: a), Tensor(vector: b)).scalars
        let result = try LBFGS.minimize(
            from: [Double](repeating: 0, count: n), options: LBFGSOptions(gradientTolerance: 1e-12, functionTolerance: 0), quadratic)
        XCTAssertEqual(result.stopReason, .gradientConverged)
        for i in 0..<n { XCTAssertEqual(result.x[i], expected[i], accuracy: 1e-8, "component \(i)") }
    }

    /// Every accepted step satisfies the strong Wolfe conditions, recomputed here from the
    /// reported `xₖ`, `pₖ`, `αₖ` with the test's own function evaluations; the steps chain
    /// (`xₖ₊₁` is the next step's `xₖ`) and end at the returned point. Covers Rosenbrock
    /// (zoom) and a flat quadratic whose first trial step is far too short (extrapolation).
    func testEveryAcceptedStepSatisfiesStrongWolfe() throws {
        let flat: ([Double]) -> (value: Double, gradient: [Double]) = { x in
            let scales = x.indices.map { 1e-3 * Double($0 + 1) }
            return (zip(scales, x).reduce(0) { $0 + 0.5 * $1.0 * $1.1 * $1.1 }, zip(scales, x).map { $0 * $1 })
        }
        let problems: [(String, [Double], ([Double]) -> (value: Double, gradient: [Double]))] = [
            ("rosenbrock 2", rosenbrockStart(2), rosenbrock), ("rosenbrock 10", rosenbrockStart(10), rosenbrock),
            ("flat quadratic", [Double](repeating: 3, count: 5), flat),
        ]
        let options = tight
        for (name, start, function) in problems {
            var steps: [LBFGSStep] = []
            var extrapolated = false
            let result = try LBFGS.minimize(from: start, options: options, onStep: { steps.append($0) }, function)
            XCTAssertFalse(steps.isEmpty)
            XCTAssertEqual(steps.count, result.iterations, name)
            var expectedStart = start
            for step in steps {
                for (a, b) in zip(step.previousPoint, expectedStart) {
                    XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, abs(b)), "\(name): steps chain")
                }
                let (f0, g0) = function(step.previousPoint)
                let slope0 = zip(g0, step.direction).reduce(0) { $0 + $1.0 * $1.1 }
                let x1 = zip(step.previousPoint, step.direction).map { $0 + step.stepLength * $1 }
                let (f1, g1) = function(x1)
                let slope1 = zip(g1, step.direction).reduce(0) { $0 + $1.0 * $1.1 }
                // Rounding allowance of recomputing in a different summation order.
                let roundoff = 1e-13 * max(abs(f0), 1e-300)
                XCTAssertLessThan(slope0, 0, "\(name) step \(step.iteration): descent direction")
                XCTAssertGreaterThan(step.stepLength, 0)
                XCTAssertLessThanOrEqual(f1, f0 + options.sufficientDecrease * step.stepLength * slope0 + roundoff,
                                         "\(name) step \(step.iteration): sufficient decrease")
                XCTAssertLessThanOrEqual(abs(slope1), options.curvature * abs(slope0) * (1 + 1e-10),
                                         "\(name) step \(step.iteration): strong curvature")
                if step.stepLength > 1 { extrapolated = true }
                expectedStart = x1
            }
            for (a, b) in zip(expectedStart, result.x) { XCTAssertEqual(a, b, accuracy: 1e-15 * max(1, abs(a))) }
            if name == "flat quadratic" { XCTAssertTrue(extrapolated, "the flat quadratic needs steps longer than 1") }
        }
    }

    func testIterationAndEvaluationLimitsReportTheirStopReason() throws {
        let byIterations = try LBFGS.minimize(
            from: rosenbrockStart(10), options: LBFGSOptions(gradientTolerance: 0, functionTolerance: 0, maxIterations: 5), rosenbrock)
        XCTAssertEqual(byIterations.stopReason, .iterationLimit)
        XCTAssertEqual(byIterations.iterations, 5)
        XCTAssertFalse(byIterations.stopReason.isConverged)
        XCTAssertLessThan(byIterations.value, rosenbrock(rosenbrockStart(10)).value)

        var calls = 0
        let byEvaluations = try LBFGS.minimize(
            from: rosenbrockStart(10), options: LBFGSOptions(gradientTolerance: 0, functionTolerance: 0, maxEvaluations: 7)
        ) { x in
            calls += 1
            return rosenbrock(x)
        }
        XCTAssertEqual(byEvaluations.stopReason, .evaluationLimit)
        XCTAssertEqual(byEvaluations.evaluations, calls)
        XCTAssertLessThanOrEqual(calls, 7)
        // The returned point is an accepted one: its value is that of the returned x.
        XCTAssertEqual(byEvaluations.value, rosenbrock(byEvaluations.x).value)
    }

    func testZeroGradientAtStartStopsImmediately() throws {
        let result = try LBFGS.minimize(from: [1, 1, 1], rosenbrock)
        XCTAssertEqual(result.stopReason, .gradientConverged)
        XCTAssertEqual(result.iterations, 0)
        XCTAssertEqual(result.evaluations, 1)
    }

    func testFunctionDecreaseToleranceStops() throws {
        // With no gradient test, the relative decrease test ends the run near the minimum.
        let result = try LBFGS.minimize(
            from: rosenbrockStart(2), options: LBFGSOptions(gradientTolerance: 0, functionTolerance: 1e-8), rosenbrock)
        XCTAssertEqual(result.stopReason, .functionDecreaseConverged)
        XCTAssertLessThan(result.value, 1e-4)
    }

    func testNonFiniteObjectiveThrows() throws {
        // ‖x‖², but NaN once x₁ < 0.5: the iterates head for 0 and must hit it.
        let nanNearMinimum: ([Double]) -> (value: Double, gradient: [Double]) = { x in
            (x[0] < 0.5 ? .nan : x.reduce(0) { $0 + $1 * $1 }, x.map { 2 * $0 })
        }
        XCTAssertThrowsError(try LBFGS.minimize(from: [2, 2], nanNearMinimum)) { error in
            guard case LBFGSError.nonFinite(let quantity, _, _) = error else { return XCTFail("wrong error \(error)") }
            XCTAssertEqual(quantity, "value")
        }
        let infiniteGradient: ([Double]) -> (value: Double, gradient: [Double]) = { x in (0, [Double.infinity] + x.dropFirst()) }
        XCTAssertThrowsError(try LBFGS.minimize(from: [1, 2], infiniteGradient)) { error in
            XCTAssertEqual(error as? LBFGSError, .nonFinite(quantity: "gradient", index: 0, evaluation: 1))
            XCTAssertTrue("\(error)".contains("non-finite gradient"))
        }
        XCTAssertThrowsError(try LBFGS.minimize(from: [.nan, 1], rosenbrock))
        XCTAssertThrowsError(try LBFGS.minimize(from: [1, 2]) { x in (0, [1]) }) { error in
            XCTAssertEqual(error as? LBFGSError, .dimensionMismatch(expected: 2, actual: 1))
        }
        var bad = LBFGSOptions()
        bad.curvature = 1e-5
        XCTAssertThrowsError(try LBFGS.minimize(from: [1, 2], options: bad, rosenbrock))
    }
}
