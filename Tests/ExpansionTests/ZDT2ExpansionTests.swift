import Autodiff
import Expansion
import Foundation
import Krylov
import LinearAlgebra
import MultiObjective
import Problems
import XCTest

/// Regression tests of the tangent expansion against the analytic ZDT2 front and the
/// ZDT2 variant of Ma et al. (Figures 2–3).
final class ZDT2ExpansionTests: XCTestCase {
    private func options(points: Int, step: Double, method: DirectionMethod = .tangent, minres: Int = 50) -> ExpansionOptions {
        var options = ExpansionOptions()
        options.points = points
        options.stepSize = step
        options.direction = DirectionOptions(method: method, minresIterations: minres, minresTolerance: 1e-10, damping: 0)
        options.optimize = ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 500, stationarityTolerance: 1e-10)
        return options
    }

    private func expand(_ problem: any BenchmarkProblem, from x0: [Double], _ options: ExpansionOptions)
        throws -> (ParetoObjective, ExpansionState, ContinuousParetoSet) {
        try expand(ParetoObjective(problem, bounds: problem.bounds), from: x0, options)
    }

    private func expand<F: DifferentiableVectorFunction>(_ function: F, from x0: [Double], _ options: ExpansionOptions)
        throws -> (ParetoObjective, ExpansionState, ContinuousParetoSet) {
        try expand(ParetoObjective(function), from: x0, options)
    }

    private func expand(_ objective: ParetoObjective, from x0: [Double], _ options: ExpansionOptions)
        throws -> (ParetoObjective, ExpansionState, ContinuousParetoSet) {
        let start = try ParetoExpansion.start(objective, from: x0, options: options)
        let state = try ParetoExpansion.run(objective, state: start.state, options: options)
        return (objective, state, ContinuousParetoSet(state))
    }

    /// From one interior Pareto-optimal point, the expansion traces the whole ZDT2 front both
    /// ways: points on the front and the set, and the continuous curve's hypervolume ≥ 0.99/3.
    func testTracesTheZDT2FrontBothWays() throws {
        for n in [3, 30] {
            let problem = try ZDT(.zdt2, dimension: n)
            let (objective, state, set) = try expand(problem, from: problem.paretoOptimalPoint(firstObjective: 0.5), options(points: 21, step: 0.05))
            XCTAssertEqual(state.points.count, 21, "n = \(n)")
            for point in state.points {
                XCTAssertLessThanOrEqual(problem.distanceToParetoFront(point.objectives), 1e-3, "n = \(n)")
                XCTAssertLessThanOrEqual(problem.distanceToParetoSet(point.parameters), 1e-3, "n = \(n)")
            }
            let firstObjectives = state.points.map { $0.objectives[0] }
            XCTAssertLessThan(firstObjectives.min()!, 0.01, "reaches the f1 end")
            XCTAssertGreaterThan(firstObjectives.max()!, 0.99, "reaches the f2 end")
            let curve = try set.sampleCurve(count: 1001, objective: objective)
            let hypervolume = try Hypervolume.compute(curve.map(\.objectives), reference: [1, 1])
            XCTAssertGreaterThanOrEqual(hypervolume, 0.99 / 3, "n = \(n)")
            XCTAssertLessThanOrEqual(hypervolume, 1.0 / 3 + 1e-12)
            XCTAssertEqual(set.chain.count, 21)
            XCTAssertEqual(set.chainParameters.first, -1)
            XCTAssertEqual(set.chainParameters.last, 1)
        }
    }

    /// Linear scalarisation over 21 weights reaches only the two ends of the concave ZDT2
    /// front; the expansion covers its interior.
    func testLinearScalarizationReachesOnlyTheEnds() throws {
        let problem = try ZDT(.zdt2, dimension: 3)
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        var generator = SeededGenerator(seed: 7)
        var interior = 0
        for k in 0...20 {
            let w1 = Double(k) / 20
            let x0 = (0..<3).map { _ in generator.unitDouble() }
            let result = try paretoOptimize(
                objective, from: x0,
                options: ParetoOptimizeOptions(method: .weightedSum([w1, 1 - w1]), stepSize: 0.5, maxIterations: 2000, stationarityTolerance: 0))
            let f1 = result.point.objectives[0]
            if f1 > 1e-3 && f1 < 1 - 1e-3 { interior += 1 }
            // w1 = 1 minimises f1 = x1 alone: any x2, x3 will do, a weakly Pareto-optimal point.
            if w1 < 1 {
                XCTAssertLessThan(problem.distanceToParetoFront(result.point.objectives), 1e-3, "w1 = \(w1) converges to the front")
            }
        }
        XCTAssertEqual(interior, 0, "no weighted sum lands inside the concave front")
        let (_, state, _) = try expand(problem, from: problem.paretoOptimalPoint(firstObjective: 0.5), options(points: 21, step: 0.05))
        XCTAssertGreaterThanOrEqual(state.points.filter { (0.2...0.8).contains($0.objectives[0]) }.count, 10)
    }

    /// Tangent directions are orthogonal to the normal space of the ZDT2 Pareto set
    /// (span{e₂, …, eₙ}); gradient directions are not.
    func testTangentsAreOrthogonalToTheParetoSetNormal() throws {
        let problem = try ZDT(.zdt2, dimension: 5)
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        for f1 in [0.2, 0.5, 0.8] {
            let point = try EvaluatedPoint(objective, at: problem.paretoOptimalPoint(firstObjective: f1))
            XCTAssertEqual(point.freeVariables, [0])
            let tangent = try expansionDirection(objective, at: point, beta: [1, 0], favouring: 0)
            let normalPart = tangent.direction.dropFirst().reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertLessThanOrEqual(normalPart, 1e-6)
            XCTAssertLessThan(tangent.predictedChange[0], 0, "favours f1")
            // One free coordinate: every right-hand side is an eigenvector of the 1×1 system, so
            // MINRES stops after its first step with that reason (a typed stop reason, not a string).
            XCTAssertEqual(tangent.minresStop, .eigenvectorFound)
            let gradient = try expansionDirection(objective, at: point, beta: [1, 0], favouring: 0, options: DirectionOptions(method: .gradient))
            XCTAssertNil(gradient.minresStop)
            let gradientNormalPart = gradient.direction.dropFirst().reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertGreaterThan(gradientNormalPart, 0.1, "gradient directions leave the set at f1 = \(f1)")
        }
    }

    /// ZDT2 variant: MINRES tangents are tangent to the cylinder x2² + x3² = π; a step ±s along
    /// them stays within O(s²) of the front while a step along ∇f₁ or ∇f₂ leaves it by O(s).
    func testVariantTangentsFollowTheCylinder() throws {
        let problem = ZDT2Variant()
        let objective = try ParetoObjective(problem)
        let s = 0.05
        for f1 in [0.2, 0.5, 0.8] {
            for angle in [0.0, 1.0, 2.5] {
                var x = problem.paretoOptimalPoint(firstObjective: f1)
                let r = Double.pi.squareRoot()
                (x[1], x[2]) = (r * cos(angle), r * sin(angle))
                let point = try EvaluatedPoint(objective, at: x)
                XCTAssertLessThan(point.stationarity, 1e-12)
                let normal = [0, cos(angle), sin(angle)]
                for k in [2, 3] {
                    let tangent = try expansionDirection(
                        objective, at: point, beta: [0.3, 0.7],
                        options: DirectionOptions(method: .tangent, minresIterations: k, minresTolerance: 1e-14))
                    let cosine = abs(zip(tangent.direction, normal).reduce(0) { $0 + $1.0 * $1.1 })
                    XCTAssertLessThanOrEqual(cosine, 1e-6, "k = \(k), f1 = \(f1), angle = \(angle)")
                    for sign in [-1.0, 1.0] {
                        let stepped = zip(x, tangent.direction).map { $0 + sign * s * $1 }
                        XCTAssertLessThan(problem.distanceToParetoFront(try objective.values(at: stepped)), 10 * s * s)
                    }
                }
                for gradient in point.jacobian {
                    let length = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let stepped = zip(x, gradient).map { $0 - s * $1 / length }
                    XCTAssertGreaterThan(problem.distanceToParetoFront(try objective.values(at: stepped)), 0.1 * s)
                }
            }
        }
    }

    /// At equal expansion settings, tangent steps need fewer ParetoOptimize iterations to
    /// return to the front than gradient steps (Ma et al., Figure 3).
    func testTangentStepsNeedFewerCorrections() throws {
        for problem in [try ZDT(.zdt2, dimension: 30) as any BenchmarkProblem, ZDT2Variant()] {
            let start = problem.paretoOptimalPoint(firstObjective: 0.5)
            var tangentOptions = options(points: 11, step: 0.05)
            tangentOptions.optimize.stationarityTolerance = 1e-8
            var gradientOptions = tangentOptions
            gradientOptions.direction.method = .gradient
            let (_, tangent, _) = try expand(problem, from: start, tangentOptions)
            let (_, gradient, _) = try expand(problem, from: start, gradientOptions)
            XCTAssertEqual(tangent.points.count, 11)
            XCTAssertLessThan(
                tangent.optimizeIterations, gradient.optimizeIterations,
                "\(problem.name): ParetoOptimize iterations, tangent \(tangent.optimizeIterations) vs gradient \(gradient.optimizeIterations)")
            print("\(problem.name): ParetoOptimize iterations over 10 steps — tangent \(tangent.optimizeIterations), gradient \(gradient.optimizeIterations)")
        }
    }

    /// The continuous curve at any t is close to the analytic front, and its error falls as the
    /// step size shrinks (first-order accuracy of the piecewise-linear parametrisation).
    func testCurveErrorFallsWithStepSize() throws {
        let zdt2 = try ZDT(.zdt2, dimension: 3)
        let (objective, _, set) = try expand(zdt2, from: zdt2.paretoOptimalPoint(firstObjective: 0.5), options(points: 21, step: 0.05))
        let zdt2Error = try set.sampleCurve(count: 1001, objective: objective).map { zdt2.distanceToParetoFront($0.objectives) }.max()!
        XCTAssertLessThanOrEqual(zdt2Error, 1e-2)

        // ZDT2's Pareto set is a straight segment and the variant's strip is straight along
        // its axis, so chords between Pareto points lie on the set and the curve is exact
        // there. A curved Pareto set shows the first-order error of the piecewise-linear
        // parametrisation: two anisotropic quadratics (below).
        let curved = CurvedQuadratics()
        var errors: [Double] = []
        for step in [0.2, 0.1, 0.05] {
            let (objective, _, set) = try expand(curved, from: curved.paretoPoint(weight: 0.5), options(points: 7, step: step))
            let curve = try set.sampleCurve(count: 301, objective: objective)
            errors.append(curve.map { curved.distanceToFront($0.objectives) }.max()!)
        }
        XCTAssertLessThanOrEqual(errors[2], 1e-2)
        XCTAssertLessThan(errors[1], 0.7 * errors[0])
        XCTAssertLessThan(errors[2], 0.7 * errors[1])
        print("curved quadratics: curve error for s = 0.2, 0.1, 0.05: \(errors)")
    }

    /// Two chains from different seeds stitch into one front at least as good as either, every
    /// point on the analytic front, crossings evaluated through the chains' own interpolation.
    func testStitchingTwoChains() throws {
        let problem = try ZDT(.zdt2, dimension: 3)
        var curves: [StitchCurve] = []
        var sets: [ContinuousParetoSet] = []
        var objectives: [ParetoObjective] = []
        var single: [Double] = []
        for (index, f1) in [0.25, 0.7].enumerated() {
            let (objective, _, set) = try expand(problem, from: problem.paretoOptimalPoint(firstObjective: f1), options(points: 9, step: 0.05))
            let curve = try set.sampleCurve(count: 201, objective: objective)
            curves.append(StitchCurve(identity: "seed-\(index)", samples: curve))
            sets.append(set)
            objectives.append(objective)
            single.append(try Hypervolume.compute(curve.map(\.objectives), reference: [1, 1]))
        }
        let stitched = try FrontStitcher.stitch(curves) { index, coordinate in
            try objectives[index].values(at: try sets[index].parameters(at: coordinate.t!))
        }
        XCTAssertGreaterThanOrEqual(try stitched.hypervolume(reference: [1, 1]), single.max()!)
        XCTAssertEqual(Set(stitched.vertices.map(\.family)), [0, 1])
        for (a, b) in zip(stitched.vertices, stitched.vertices.dropFirst()) { XCTAssertLessThanOrEqual(a.objectives[0], b.objectives[0]) }
        for v in stitched.vertices { XCTAssertLessThan(problem.distanceToParetoFront(v.objectives), 1e-6) }
    }

    /// Same seed → identical results (bit for bit).
    func testRunsAreReproducible() throws {
        let problem = try ZDT(.zdt2, dimension: 4)
        var opts = options(points: 8, step: 0.05)
        opts.steering = .none
        opts.directions = 2
        let (_, first, _) = try expand(problem, from: [0.5, 0.1, 0.2, 0.1], opts)
        let (_, second, _) = try expand(problem, from: [0.5, 0.1, 0.2, 0.1], opts)
        XCTAssertEqual(first, second)
    }

    /// Null-space enrichment on the ZDT2 variant: the weighted Hessian at a Pareto point has a
    /// null direction along the rotation about the cylinder's axis (f depends on x2² + x3² only).
    func testVariantHessianNullSpace() throws {
        let problem = ZDT2Variant()
        let objective = try ParetoObjective(problem)
        let x = problem.paretoOptimalPoint(firstObjective: 0.4)
        let point = try EvaluatedPoint(objective, at: x)
        let analysis = try NullSpaceAnalysis(objective, at: x, weights: point.weights)
        XCTAssertEqual(analysis.nullity, 1)
        XCTAssertLessThan(analysis.asymmetry, 1e-12)
        let rotation = [0.0, -x[2], x[1]].map { $0 / Double.pi.squareRoot() }
        XCTAssertEqual(abs(zip(analysis.nullSpace[0], rotation).reduce(0) { $0 + $1.0 * $1.1 }), 1, accuracy: 1e-8)
        let tangent = try expansionDirection(objective, at: point, beta: [1, 0], favouring: 0,
                                             options: DirectionOptions(minresIterations: 3, minresTolerance: 1e-14))
        let enriched = try analysis.enriched(tangent.direction, coefficients: [0.5])
        // v + u has the same first-order objective change as v.
        for row in point.jacobian {
            XCTAssertEqual(zip(row, enriched).reduce(0) { $0 + $1.0 * $1.1 }, zip(row, tangent.direction).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-10)
        }
    }
}

/// f₁ = (x₁² + 4x₂²), f₂ = 4(x₁ − 1)² + (x₂ − 1)²: convex, so weighted sums reach the whole
/// front, and the Pareto set x(w) = argmin w f₁ + (1 − w) f₂ is the curve
/// x₁ = 4(1 − w)/(w + 4(1 − w)), x₂ = (1 − w)/(4w + (1 − w)).
private struct CurvedQuadratics: VectorObjective {
    typealias Scalar = Double
    var parameterCount: Int { 2 }
    var objectiveCount: Int { 2 }

    func objectives(_ x: Variable<Double>) throws -> Variable<Double> {
        let x1 = try slice(x, offset: 0, shape: [1]), x2 = try slice(x, offset: 1, shape: [1])
        let f1 = try square(x1) + square(x2) * 4.0
        let f2 = try square(x1 - 1.0) * 4.0 + square(x2 - 1.0)
        return try concatenate([f1, f2])
    }

    func paretoPoint(weight w: Double) -> [Double] {
        [4 * (1 - w) / (w + 4 * (1 - w)), (1 - w) / (4 * w + (1 - w))]
    }

    /// Distance to the front sampled at 20,001 weights, to the polyline through the samples.
    func distanceToFront(_ f: [Double]) -> Double {
        let front = (0...20_000).map { k -> [Double] in
            let x = paretoPoint(weight: Double(k) / 20_000)
            return [x[0] * x[0] + 4 * x[1] * x[1], 4 * (x[0] - 1) * (x[0] - 1) + (x[1] - 1) * (x[1] - 1)]
        }
        var best = Double.infinity
        for (a, b) in zip(front, front.dropFirst()) {
            let d = [b[0] - a[0], b[1] - a[1]], w = [f[0] - a[0], f[1] - a[1]]
            let length = d[0] * d[0] + d[1] * d[1]
            let lambda = length > 0 ? min(max((w[0] * d[0] + w[1] * d[1]) / length, 0), 1) : 0
            let dx = w[0] - lambda * d[0], dy = w[1] - lambda * d[1]
            best = min(best, (dx * dx + dy * dy).squareRoot())
        }
        return best
    }
}
