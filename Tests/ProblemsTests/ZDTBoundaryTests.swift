import Autodiff
import Foundation
import Problems
import XCTest

/// The ZDT problems on the faces of their box, where `√(f1/g)` (x1 = 0) and ZDT6's
/// `(Σxᵢ/(n−1))^{1/4}` (x2 = … = xn = 0) have infinite one-sided slopes: values follow pymoo's
/// formulas, derivatives follow the documented convention (0 for the vanishing term) and are
/// finite, and one-sided finite differences from inside the box agree wherever the slope is finite.
final class ZDTBoundaryTests: XCTestCase {
    /// The failing inputs of issue 13: `evaluate --problem zdt6 --at 0.5,0,0`, and the points an
    /// expansion reaches on the bounds.
    func testGradientsAndHVPsAreFiniteOnTheBoundary() throws {
        for kind in ZDT.Kind.allCases {
            for n in [3, 30] {
                let problem = try ZDT(kind, dimension: n)
                for x1 in [0.0, 0.5, 1.0] {
                    let x = [x1] + [Double](repeating: 0, count: n - 1)
                    let (values, jacobian) = try problem.valuesAndJacobian(at: x)
                    XCTAssertTrue(values.allSatisfy(\.isFinite) && jacobian.joined().allSatisfy(\.isFinite), "\(kind) n=\(n) x1=\(x1)")
                    let along = (0..<n).map { Double($0 % 3) - 1 }
                    let product = try problem.hessianVectorProduct(at: x, along: along, weights: [0.5, 0.5]).product
                    XCTAssertTrue(product.allSatisfy(\.isFinite), "\(kind) n=\(n) x1=\(x1): HVP \(product)")
                }
            }
        }
    }

    /// ZDT6 at (0.5, 0, 0): g = 1 (the Pareto set), f1 = 1 − e⁻² sin⁶(3π) = 1, f2 = 1 − 1² = 0.
    /// ∂f/∂x2 = ∂f/∂x3 = 0 by the convention (the true one-sided slope of f2 is +∞, the sign the
    /// active-set rule needs); ∂f1/∂x1 = −e^{−4x1}·6 sin⁵(6πx1) cos(6πx1)·6π + … vanishes with sin(3π).
    func testZDT6OnItsParetoSet() throws {
        let problem = try ZDT(.zdt6, dimension: 3)
        let (values, jacobian) = try problem.valuesAndJacobian(at: [0.5, 0, 0])
        XCTAssertEqual(values[0], 1, accuracy: 1e-15)
        XCTAssertEqual(values[1], 0, accuracy: 1e-15)
        for j in 0..<2 {
            XCTAssertEqual(jacobian[j][1], 0)
            XCTAssertEqual(jacobian[j][2], 0)
            XCTAssertEqual(jacobian[j][0], 0, accuracy: 1e-12)
        }
        // Just inside the box, the slope of f2 along x2 is finite, positive and grows like s^{-3/4}:
        // ∂g/∂x2 = (9/4)(s/2)^{-3/4}/2 with s = x2, and ∂f2/∂g = 1 + f1²/g².
        let h = 1e-8
        let inside = try problem.valuesAndJacobian(at: [0.5, h, 0]).jacobian[1][1]
        let g = 1 + 9 * Foundation.pow(h / 2, 0.25)
        XCTAssertEqual(inside, 9.0 / 8 * Foundation.pow(h / 2, -0.75) * (1 + 1 / (g * g)), accuracy: 1e-9 * inside)
    }

    /// ZDT1, ZDT3 and ZDT4 at x1 = 0: f = (0, g); the √(f1/g) term contributes no slope there, so
    /// ∂f2/∂x1 = −(f1/g)·10π cos(10π f1)… = 0 for ZDT3 as for ZDT1 and ZDT4, and ∂f2/∂xᵢ = ∂g/∂xᵢ.
    func testSquareRootTermAtTheFirstBound() throws {
        for kind in [ZDT.Kind.zdt1, .zdt3, .zdt4] {
            let problem = try ZDT(kind, dimension: 3)
            let x = kind == .zdt4 ? [0, 0.25, -0.5] : [0, 0.25, 0.5]
            let (values, jacobian) = try problem.valuesAndJacobian(at: x)
            let rest = x.dropFirst()
            var g: Double = 1 + 4.5 * rest.reduce(0, +)
            if kind == .zdt4 {
                g = 21
                for xi in rest { g += xi * xi - 10 * Foundation.cos(4 * Double.pi * xi) }
            }
            XCTAssertEqual(values[0], 0)
            XCTAssertEqual(values[1], g, accuracy: 1e-13 * g)
            XCTAssertEqual(jacobian[1][0], 0, "\(kind)")
            for i in 1...2 {
                let dg: Double = kind == .zdt4 ? 2 * x[i] + 40 * Double.pi * Foundation.sin(4 * Double.pi * x[i]) : 4.5
                XCTAssertEqual(jacobian[1][i], dg, accuracy: 1e-12 * max(1, abs(dg)), "\(kind) ∂f2/∂x\(i + 1)")
            }
        }
    }
}
