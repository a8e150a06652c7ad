import Autodiff
import Foundation
import MultiObjective
import Problems
import XCTest

/// LDC-MTL's toy problem (eq. 5) against a plain-Double transcription of the paper's formulas,
/// finite differences, and Pareto stationarity of its traced Pareto set.
final class LDCToyProblemTests: XCTestCase {
    let problem = LDCToyProblem()

    /// Eq. 5 transcribed (with Swift's `max`, `abs`, `tanh`, `log`).
    private func reference(_ x: [Double]) -> [Double] {
        let (x1, x2) = (x[0], x[1])
        let f1 = log(max(abs(0.5 * (-x1 - 7) - tanh(-x2)), 0.000005)) + 6
        let f2 = log(max(abs(0.5 * (-x1 + 3) - tanh(-x2) + 2), 0.000005)) + 6
        let g1 = ((-x1 + 7) * (-x1 + 7) + 0.1 * (-x2 - 8) * (-x2 - 8)) / 10 - 20
        let g2 = ((-x1 - 7) * (-x1 - 7) + 0.1 * (-x2 - 8) * (-x2 - 8)) / 10 - 20
        let c1 = max(tanh(0.5 * x2), 0), c2 = max(tanh(-0.5 * x2), 0)
        return [0.1 * (c1 * f1 + c2 * g1), c1 * f2 + c2 * g2]
    }

    private let points: [[Double]] = [[-8.5, 7.5], [-8.5, 5], [9, 9], [10, -8], [0.3, -8.2], [-3, 2], [4.2, -1.5], [-5, 0.7]]

    func testValuesMatchTheFormulas() throws {
        for x in points + [[0, 0], [-5, 40]] {
            let values = try problem.values(at: x)
            let expected = reference(x)
            for i in 0..<2 { XCTAssertEqual(values[i], expected[i], accuracy: 1e-12 * max(1, abs(expected[i])), "\(x)") }
        }
        XCTAssertEqual(try problem.values(at: [0, 0]), [0, 0])
        XCTAssertEqual(try Problems.named("ldc-toy").name, "ldc-toy")
    }

    /// Central differences of the transcription (step 10⁻⁶, away from the kinks) against the
    /// autodiff Jacobian, and of the gradient against Hessian-vector products.
    func testDerivativesMatchFiniteDifferences() throws {
        let h = 1e-6
        for x in points {
            let (_, jacobian) = try problem.valuesAndJacobian(at: x)
            for j in 0..<2 {
                var plus = x, minus = x
                plus[j] += h
                minus[j] -= h
                let (fp, fm) = (reference(plus), reference(minus))
                for i in 0..<2 { XCTAssertEqual(jacobian[i][j], (fp[i] - fm[i]) / (2 * h), accuracy: 1e-6, "∂\(i)/∂x\(j) at \(x)") }
            }
            let v = [0.6, -0.8], weights = [0.7, 0.3]
            let product = try problem.hessianVectorProduct(at: x, along: v, weights: weights).product
            let plus = try problem.valuesAndWeightedGradient(at: zip(x, v).map { $0 + h * $1 }, weights: weights).gradient
            let minus = try problem.valuesAndWeightedGradient(at: zip(x, v).map { $0 - h * $1 }, weights: weights).gradient
            for i in 0..<2 { XCTAssertEqual(product[i], (plus[i] - minus[i]) / (2 * h), accuracy: 1e-5, "H v at \(x)") }
        }
    }

    /// At `x₂ = 0` the clamps pass gradient (PyTorch's convention): at `(0, 0)`,
    /// `∂L₁/∂x₂ = 0.1 (½ f₁ − ½ g₁)` and `∂L₂/∂x₂ = ½ f₂ − ½ g₂`, with `f₁ = log|−3.5| + 6`,
    /// `f₂ = log|1.5 + 2| + 6`, `g₁ = g₂ = (49 + 6.4)/10 − 20`; `∂/∂x₁ = 0` (both gates are 0).
    func testGatesPassGradientAtTheBoundary() throws {
        let (_, jacobian) = try problem.valuesAndJacobian(at: [0, 0])
        let g = (49 + 6.4) / 10 - 20
        XCTAssertEqual(jacobian[0][1], 0.1 * 0.5 * (log(3.5) + 6 - g), accuracy: 1e-12)
        XCTAssertEqual(jacobian[1][1], 0.5 * (log(3.5) + 6 - g), accuracy: 1e-12)
        XCTAssertEqual(jacobian[0][0], 0)
        XCTAssertEqual(jacobian[1][0], 0)
    }

    /// The traced Pareto set is Pareto stationary (the normalised gradients are opposite: cross
    /// product ≈ 0, dot product ≈ −1),
    /// its ends are the single-task optima (`∇Lᵢ = 0`), and the balanced point has equal unscaled
    /// losses and lies on the axis of symmetry.
    func testParetoSetIsStationaryAndBalancedPointIsSymmetric() throws {
        for x1 in stride(from: -6.5, through: 6.5, by: 1.3) {
            let x = problem.paretoSetPoint(x1: x1)
            let (_, jacobian) = try problem.valuesAndJacobian(at: x)
            let u = jacobian.map { row in row.map { $0 / (row[0] * row[0] + row[1] * row[1]).squareRoot() } }
            XCTAssertLessThan(abs(u[0][0] * u[1][1] - u[0][1] * u[1][0]), 1e-9, "x = \(x)")
            XCTAssertEqual(u[0][0] * u[1][0] + u[0][1] * u[1][1], -1, accuracy: 1e-9, "x = \(x)")
            XCTAssertLessThan(problem.distanceToParetoSet(x), 1e-9)
        }
        for (x1, task) in [(7.0, 0), (-7.0, 1)] {
            let gradient = try problem.valuesAndJacobian(at: problem.paretoSetPoint(x1: x1)).jacobian[task]
            XCTAssertLessThan(abs(gradient[0]) + abs(gradient[1]), 1e-9)
        }
        let balanced = problem.balancedPoint
        let values = try problem.values(at: balanced)
        XCTAssertEqual(balanced[0], 0)
        XCTAssertEqual(values[0] / LDCToyProblem.firstLossScale, values[1], accuracy: 1e-12)
        let mirrored = problem.paretoSetPoint(x1: -2.5)
        XCTAssertEqual(problem.paretoSetPoint(x1: 2.5)[1], mirrored[1], accuracy: 1e-12)
        let front = problem.paretoFront(count: 5)
        XCTAssertEqual(front.count, 5)
        XCTAssertLessThan(problem.distanceToParetoFront(front[2]), 1e-9)
        let point = problem.paretoOptimalPoint(firstObjective: front[1][0])
        XCTAssertEqual(try problem.values(at: point)[0], front[1][0], accuracy: 1e-9)
    }
}
