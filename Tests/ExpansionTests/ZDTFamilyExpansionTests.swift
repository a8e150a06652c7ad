import Expansion
import Foundation
import MultiObjective
import Problems
import XCTest

/// ZDT1–6 expanded as `pareto expand --problem … --from …` expands them (``AnalyticRun`` with
/// default options), at n = 3 and 30, from ordinary starts: `--from 0.5` (padded with zeros, so
/// on the bounds of x2 … xn, where ZDT6's g has an infinite slope) and the interior point
/// (0.5, 0.1, …, 0.1) with a Chebyshev seed. Points and curve samples are compared with the
/// analytic fronts; ZDT3's chains stop at the gaps of its disconnected front; ZDT6's front is
/// non-uniform in x1 (f1 = 1 − e^{−4x1} sin⁶(6πx1)), and each hump of f1 covers its own range.
final class ZDTFamilyExpansionTests: XCTestCase {
    enum Start { case padded, interiorChebyshev }

    func run(_ kind: ZDT.Kind, n: Int, _ start: Start) throws -> (ZDT, AnalyticRunResult) {
        let problem = try ZDT(kind, dimension: n)
        var options = AnalyticRunOptions()
        options.curveSamples = 201
        let x0: [Double]
        switch start {
        case .padded:
            x0 = [0.5] + [Double](repeating: 0, count: n - 1)
        case .interiorChebyshev:
            x0 = [0.5] + [Double](repeating: 0.1, count: n - 1)
            var seed = options.expansion.optimize
            seed.method = .chebyshev([0.5, 0.5])
            options.expansion.seedOptimize = seed
        }
        let result = try AnalyticRun.run(problem, name: problem.name, bounds: problem.bounds, knownSet: problem, from: x0, options: options)
        return (problem, result)
    }

    /// The largest distance between consecutive curve samples in objective space: a sample
    /// next to a gap can be non-dominated yet this far from the front.
    func sampleSpacing(_ curve: [CurveSample]) -> Double {
        zip(curve, curve.dropFirst()).map { a, b in
            zip(a.objectives, b.objectives).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        }.max() ?? 0
    }

    /// ZDT1, ZDT2 and ZDT4 have connected fronts: every point and every curve sample lies on the
    /// front and in the set, and the chains cover most of f1 ∈ [0, 1] (N = 20, s = 0.05).
    func testConnectedFrontsAreTracedFromOrdinaryStarts() throws {
        for kind in [ZDT.Kind.zdt1, .zdt2, .zdt4] {
            for n in [3, 30] {
                for start in [Start.padded, .interiorChebyshev] {
                    let label = "\(kind) n=\(n) \(start)"
                    let (problem, result) = try run(kind, n: n, start)
                    XCTAssertEqual(result.state.points.count, 20, label)
                    for point in result.state.points {
                        XCTAssertLessThan(problem.distanceToParetoFront(point.objectives), 1e-9, label)
                        XCTAssertLessThan(problem.distanceToParetoSet(point.parameters), 1e-6, label)
                    }
                    for sample in result.curve {
                        XCTAssertLessThan(problem.distanceToParetoFront(sample.objectives), 1e-9, "\(label) t=\(sample.t ?? .nan)")
                    }
                    let f1 = result.state.points.map { $0.objectives[0] }
                    XCTAssertLessThan(f1.min()!, 0.1, label)
                    XCTAssertGreaterThan(f1.max()!, 0.9, label)
                }
            }
        }
    }

    /// ZDT3: along g = 1, f2(x1) = 1 − √x1 − x1 sin(10πx1) is Pareto-stationary wherever it
    /// decreases; its five globally non-dominated pieces are separated by stretches where both
    /// objectives rise with x1 (gaps). The run must not fail; every point must be stationary on
    /// g = 1; points with x1 in the five pieces must lie on the front, the others (stationary
    /// stretches the chains cross between pieces) must be dominated by it; the chain that
    /// heads for a gap must stop there and be reported in `chainEnds`; the non-dominated curve
    /// samples must lie within one sample spacing of the front.
    func testZDT3ChainsStopAtGapsOfTheDisconnectedFront() throws {
        func slope(_ x1: Double) -> Double { -0.5 / x1.squareRoot() - Foundation.sin(10 * .pi * x1) - 10 * .pi * x1 * Foundation.cos(10 * .pi * x1) }
        for n in [3, 30] {
            for start in [Start.padded, .interiorChebyshev] {
                let label = "zdt3 n=\(n) \(start)"
                let (problem, result) = try run(.zdt3, n: n, start)
                let points = result.state.points
                let front = problem.paretoFront(count: 2000)
                XCTAssertGreaterThanOrEqual(points.count, 4, label)
                for point in points {
                    let x1 = point.parameters[0]
                    XCTAssertLessThan(point.parameters.dropFirst().map(abs).max()!, 1e-9, "\(label): off g = 1")
                    XCTAssertEqual(point.objectives[1], 1 - x1.squareRoot() - x1 * Foundation.sin(10 * .pi * x1), accuracy: 1e-8)
                    if x1 > 0 { XCTAssertLessThanOrEqual(slope(x1), 1e-6, "\(label): x1 = \(x1) is not stationary") }
                    if ZDT.zdt3Regions.contains(where: { $0.contains(x1) }) {
                        XCTAssertLessThan(problem.distanceToParetoFront(point.objectives), 1e-9, "\(label): x1 = \(x1)")
                    } else {
                        // Stationary but outside the five pieces: dominated by the front.
                        XCTAssertTrue(front.contains { dominates($0, point.objectives) }, "\(label): x1 = \(x1) is not dominated")
                    }
                }
                XCTAssertFalse(result.state.chainEnds.isEmpty, "\(label): no chain stopped at a gap")
                for end in result.state.chainEnds {
                    // A chain ends where f2 stops falling with x1 (the right end of a stationary
                    // stretch) or, favouring f1, at x1 = 0.
                    let x1 = points[end].parameters[0]
                    XCTAssertTrue(x1 == 0 || slope(x1 + 0.05) > 0 || slope(x1 - 0.05) > 0, "\(label): chain end at x1 = \(x1)")
                }
                let spacing = sampleSpacing(result.curve)
                XCTAssertLessThan(spacing, 0.05, label)
                for sample in result.curve where !sample.dominated {
                    XCTAssertLessThan(problem.distanceToParetoFront(sample.objectives), spacing, "\(label) t=\(sample.t ?? .nan)")
                }
                XCTAssertTrue(result.curve.contains { $0.dominated }, "\(label): the samples across the gap are not marked dominated")
            }
        }
    }

    /// ZDT6: every point with g = 1 is Pareto-optimal (f2 = 1 − f1²), but f1(x1) rises and falls
    /// six times on [0, 1], so a chain covers one hump: from x1 = 0.5 (f1 = 1, the front's end)
    /// it runs down the hump x1 ∈ [1/3, 1/2] to its dip near x1 = 5/12 (f1 ≈ 1 − e^{−5/3} = 0.81)
    /// and stops; from x1 = 0.1, on the first hump, steps of 0.01 reach the global dip
    /// f1 = 0.2807753191 (x1 ≈ 0.0816) and f1 = 1.
    func testZDT6FollowsItsNonUniformFrontHumpByHump() throws {
        for n in [3, 30] {
            for start in [Start.padded, .interiorChebyshev] {
                let label = "zdt6 n=\(n) \(start)"
                let (problem, result) = try run(.zdt6, n: n, start)
                let f1 = result.state.points.map { $0.objectives[0] }
                XCTAssertGreaterThanOrEqual(f1.count, 3, label)
                for point in result.state.points {
                    XCTAssertLessThan(problem.distanceToParetoFront(point.objectives), 1e-9, label)
                    XCTAssertLessThan(problem.distanceToParetoSet(point.parameters), 1e-6, label)
                    XCTAssertTrue((1.0 / 3...0.5 + 1e-9) ~= point.parameters[0], "\(label): x1 = \(point.parameters[0]) left the hump")
                }
                XCTAssertEqual(f1.max()!, 1, accuracy: 1e-9, label)
                XCTAssertLessThan(f1.min()!, 0.9, label)
                XCTAssertGreaterThan(f1.min()!, 1 - Foundation.exp(-4.0 / 3) - 1e-9, "\(label): f1 ≥ 1 − e^{−4x1} on the hump")
                for sample in result.curve {
                    XCTAssertLessThan(problem.distanceToParetoFront(sample.objectives), 1e-9, label)
                    XCTAssertGreaterThanOrEqual(sample.objectives[0], 0.2807753191 - 1e-9, label)
                }
            }
        }
        // The first hump, x1 ∈ [0, 1/6], is 1/6 wide: with s = 0.01 the chains run from x1 = 0.1
        // down to the global dip and up to the hump's end (f1 = 1), covering the whole front.
        let problem = try ZDT(.zdt6, dimension: 3)
        var options = AnalyticRunOptions()
        options.curveSamples = 201
        options.expansion.stepSize = 0.01
        let result = try AnalyticRun.run(problem, name: "zdt6", bounds: problem.bounds, knownSet: problem, from: [0.1, 0, 0], options: options)
        let f1 = result.state.points.map { $0.objectives[0] }
        XCTAssertLessThan(f1.min()!, 0.2807753191 + 0.005, "the first hump reaches the global dip")
        XCTAssertGreaterThan(f1.max()!, 0.99)
        for sample in result.curve {
            XCTAssertLessThan(problem.distanceToParetoFront(sample.objectives), 1e-9)
        }
    }
}
