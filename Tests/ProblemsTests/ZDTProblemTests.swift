import Autodiff
import Foundation
import LinearAlgebra
import MultiObjective
import Problems
import XCTest

/// The ZDT problems against their published formulas (evaluated here directly in plain
/// Double arithmetic, independent of the autodiff engine), their fronts and sets.
final class ZDTProblemTests: XCTestCase {
    private typealias Random = SplitMix64

    /// pymoo's `_evaluate` of each ZDT problem, transcribed.
    private func reference(_ kind: ZDT.Kind, _ x: [Double]) -> [Double] {
        let n = Double(x.count)
        let rest = x.dropFirst()
        switch kind {
        case .zdt1:
            let g = 1 + 9 / (n - 1) * rest.reduce(0, +)
            return [x[0], g * (1 - (x[0] / g).squareRoot())]
        case .zdt2:
            let g = 1 + 9 / (n - 1) * rest.reduce(0, +)
            return [x[0], g * (1 - pow(x[0] / g, 2))]
        case .zdt3:
            let g = 1 + 9 / (n - 1) * rest.reduce(0, +)
            return [x[0], g * (1 - (x[0] / g).squareRoot() - x[0] / g * sin(10 * .pi * x[0]))]
        case .zdt4:
            var g = 1 + 10 * (n - 1)
            for xi in rest { g += xi * xi - 10 * cos(4 * .pi * xi) }
            return [x[0], g * (1 - (x[0] / g).squareRoot())]
        case .zdt6:
            let f1 = 1 - exp(-4 * x[0]) * pow(sin(6 * .pi * x[0]), 6)
            let g = 1 + 9 * pow(rest.reduce(0, +) / (n - 1), 0.25)
            return [f1, g * (1 - pow(f1 / g, 2))]
        }
    }

    func testValuesMatchPymooFormulas() throws {
        var random = Random(state: 4)
        for kind in ZDT.Kind.allCases {
            for n in [2, 3, 30] {
                let problem = try ZDT(kind, dimension: n)
                let (lower, upper) = problem.bounds!
                for _ in 0..<5 {
                    let x = (0..<n).map { Double.random(in: lower[$0]...upper[$0], using: &random) }
                    let values = try problem.values(at: x)
                    let expected = reference(kind, x)
                    XCTAssertEqual(values[0], expected[0], accuracy: 1e-13 * max(1, abs(expected[0])), "\(kind) n=\(n)")
                    XCTAssertEqual(values[1], expected[1], accuracy: 1e-12 * max(1, abs(expected[1])), "\(kind) n=\(n)")
                }
            }
        }
        // Hand-computed: ZDT2, n = 3, x = (0.5, 0.2, 0.4): g = 1 + 4.5·0.6 = 3.7, f2 = 3.7 − 0.25/3.7.
        let zdt2 = try ZDT(.zdt2, dimension: 3)
        XCTAssertEqual(try zdt2.values(at: [0.5, 0.2, 0.4])[1], 3.7 - 0.25 / 3.7, accuracy: 1e-14)
        XCTAssertEqual(try ZDT(.zdt4, dimension: 10).bounds!.lower, [0] + [Double](repeating: -5, count: 9))
    }

    func testGradientsMatchFiniteDifferences() throws {
        var random = Random(state: 9)
        for kind in ZDT.Kind.allCases {
            let problem = try ZDT(kind, dimension: 5)
            let x = (0..<5).map { _ in Double.random(in: 0.2...0.8, using: &random) }
            let jacobian = try problem.valuesAndJacobian(at: x).jacobian
            for i in 0..<5 {
                var plus = x, minus = x
                plus[i] += 1e-6
                minus[i] -= 1e-6
                let fPlus = try problem.values(at: plus), fMinus = try problem.values(at: minus)
                for j in 0..<2 {
                    let numeric = (fPlus[j] - fMinus[j]) / 2e-6
                    XCTAssertEqual(jacobian[j][i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(kind) ∂f\(j + 1)/∂x\(i + 1)")
                }
            }
        }
    }

    func testAnalyticFrontsAreNonDominatedAndAchieved() throws {
        for kind in ZDT.Kind.allCases {
            let problem = try ZDT(kind, dimension: 4)
            let front = problem.paretoFront(count: 200)
            XCTAssertGreaterThanOrEqual(front.count, 100)
            // ZDT3's region ends are given to 10 digits (pymoo), so neighbouring region ends tie
            // to ~1e-9 in f2; dominance is checked with that margin.
            let margin = kind == .zdt3 ? 1e-8 : 0
            for a in front {
                for b in front where a != b {
                    XCTAssertFalse(b[0] <= a[0] + margin && b[1] < a[1] - margin, "\(kind): \(b) dominates \(a)")
                }
            }
            let firstObjectives = kind == .zdt3 ? ZDT.zdt3Regions.map { ($0.lowerBound + $0.upperBound) / 2 }
                : Array(stride(from: 0.3, through: 1.0, by: 0.1))
            for f1 in firstObjectives {
                let x = problem.paretoOptimalPoint(firstObjective: f1)
                XCTAssertEqual(problem.distanceToParetoSet(x), 0, accuracy: 1e-12)
                let values = try problem.values(at: x)
                XCTAssertLessThan(problem.distanceToParetoFront(values), 1e-9, "\(kind) at f1 = \(f1)")
            }
        }
    }

    func testDistancesOffTheFront() throws {
        let zdt2 = try ZDT(.zdt2, dimension: 3)
        // (0, 0) to the curve f2 = 1 − f1²: minimise f1² + (1 − f1²)², at f1² = 1/2: distance √(3)/2.
        XCTAssertEqual(zdt2.distanceToParetoFront([0, 0]), 3.0.squareRoot() / 2, accuracy: 1e-10)
        XCTAssertEqual(zdt2.distanceToParetoFront([0.5, 0.75 + 0.1]), 0.1 / (1 + 1.0).squareRoot(), accuracy: 2e-3)
        XCTAssertEqual(zdt2.distanceToParetoSet([0.5, 0.3, 0.4]), 0.5, accuracy: 1e-14)
        XCTAssertEqual(zdt2.distanceToParetoSet([1.5, 0, 0]), 0.5, accuracy: 1e-14)
    }

    func testZDT2VariantParetoSetIsTheCylinder() throws {
        let problem = ZDT2Variant()
        for k in 0...10 {
            let f1 = Double(k) / 10
            let x = problem.paretoOptimalPoint(firstObjective: f1)
            XCTAssertEqual(x[1] * x[1] + x[2] * x[2], .pi, accuracy: 1e-12)
            XCTAssertTrue((-1.5 * .pi - 1e-12)...(-0.5 * .pi + 1e-12) ~= x[0])
            let values = try problem.values(at: x)
            XCTAssertEqual(values[0], f1, accuracy: 1e-12)
            XCTAssertEqual(values[1], 1 - f1 * f1, accuracy: 1e-12)
            XCTAssertEqual(problem.distanceToParetoSet(x), 0, accuracy: 1e-12)
            // Rotating around the cylinder axis keeps the point in the set and on the front.
            let angle = 0.7 * Double(k)
            let r = Double.pi.squareRoot()
            let rotated = [x[0], r * cos(angle), r * sin(angle)]
            XCTAssertEqual(try problem.values(at: rotated)[1], 1 - f1 * f1, accuracy: 1e-12)
        }
        // Radius 2√π lies between the periodic copies s = 3π and s = 5π of the cylinder; x1 + s
        // is a multiple of 2π for both, so the distance is radial: √(5π) − 2√π (nearer than 2√π − √(3π)).
        XCTAssertEqual(
            problem.distanceToParetoSet([-.pi, 2 * Double.pi.squareRoot(), 0]),
            (5 * Double.pi).squareRoot() - 2 * Double.pi.squareRoot(), accuracy: 1e-12)
        XCTAssertThrowsError(try Problems.named("zdt2-variant", dimension: 4))
        XCTAssertThrowsError(try Problems.named("dtlz2")) { XCTAssertTrue("\($0)".contains("zdt2")) }
        XCTAssertEqual(try Problems.named("zdt4").parameterCount, 10)
    }
}
