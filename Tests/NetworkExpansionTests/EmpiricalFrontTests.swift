import Autodiff
import Datasets
import Expansion
import NetworkExpansion
import LinearAlgebra
import Models
import MultiObjective
import Optimization
import Training
import XCTest

/// `fᵢ(x) = ‖x − aᵢ‖²`: the minimiser of `Σ wᵢ fᵢ` is `Σ wᵢ aᵢ / Σ wᵢ` exactly, and for two
/// objectives with `w₁ + w₂ = 1` the front point is `(w₂² d², w₁² d²)`, `d = ‖a₁ − a₂‖`.
private struct SquaredDistances: DifferentiableVectorFunction {
    typealias Scalar = Double
    let centres: [[Double]]
    var parameterCount: Int { centres[0].count }
    var objectiveCount: Int { centres.count }

    func values(at x: [Double]) throws -> [Double] {
        centres.map { a in zip(x, a).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    }

    func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) {
        (try values(at: x), centres.map { a in zip(x, a).map { 2 * ($0 - $1) } })
    }

    func valuesAndWeightedGradient(at x: [Double], weights: [Double]) throws -> (values: [Double], gradient: [Double]) {
        let (values, jacobian) = try valuesAndJacobian(at: x)
        return (values, x.indices.map { i in zip(weights, jacobian).reduce(0) { $0 + $1.0 * $1.1[i] } })
    }

    func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> HessianVectorProduct<Double> {
        let (values, gradient) = try valuesAndWeightedGradient(at: x, weights: weights)
        let total = weights.reduce(0, +)
        return HessianVectorProduct(values: values, weightedGradient: gradient, product: v.map { 2 * total * $0 })
    }
}

final class EmpiricalFrontTests: XCTestCase {
    private let a1: [Double] = [1, -2, 0.5, 3, 0]
    private let a2: [Double] = [-1, 0.5, 2, 1, -1.5]

    func testUniformWeightsAreThePapersGrid() throws {
        let weights = try WeightedSumFront.uniformWeights(count: 101)
        XCTAssertEqual(weights.count, 101)
        XCTAssertEqual(weights[0], [0, 1])
        XCTAssertEqual(weights[100], [1, 0])
        XCTAssertEqual(weights[37][0], 0.37, accuracy: 1e-15)
        XCTAssertThrowsError(try WeightedSumFront.uniformWeights(count: 1))
    }

    /// All 101 L-BFGS solutions equal the analytic minimisers `w₁a₁ + w₂a₂` (≤ 1e-8), their
    /// objectives the analytic front, all are non-dominated, and the hypervolume matches the
    /// strip sum computed by hand from the analytic points.
    func testAnalyticConvexProblemMatchesTheExactMinimisers() throws {
        let function = SquaredDistances(centres: [a1, a2])
        let x0: [Double] = [3, 3, -3, 0, 2]
        let lbfgs = LBFGSOptions(gradientTolerance: 1e-11, functionTolerance: 0)
        let d2 = zip(a1, a2).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        for warmStart in [false, true] {
            let options = try WeightedSumFrontOptions(weightCount: 101, warmStart: warmStart, lbfgs: lbfgs, keepsParameters: true)
            var reported = 0
            let result = try WeightedSumFront.solve(function, from: x0, options: options) { index, _ in
                XCTAssertEqual(index, reported)
                reported += 1
            }
            XCTAssertEqual(reported, 101)
            XCTAssertEqual(result.warmStarted, warmStart)
            XCTAssertEqual(result.gradientConvergedCount, 101)
            for solution in result.solutions {
                let (w1, w2) = (solution.weights[0], solution.weights[1])
                let exact = zip(a1, a2).map { w1 * $0 + w2 * $1 }
                for (x, e) in zip(solution.parameters!, exact) { XCTAssertEqual(x, e, accuracy: 1e-8, "w₁ = \(w1)") }
                XCTAssertEqual(solution.objectives[0], w2 * w2 * d2, accuracy: 1e-8)
                XCTAssertEqual(solution.objectives[1], w1 * w1 * d2, accuracy: 1e-8)
                XCTAssertLessThanOrEqual(solution.gradientNorm, 1e-11)
                XCTAssertLessThan(solution.relativeStationarity, 1e-9)
            }
            XCTAssertEqual(result.nonDominated.count, 101)
            let front = result.front
            XCTAssertTrue(zip(front, front.dropFirst()).allSatisfy { $0[0] < $1[0] && $0[1] > $1[1] })
            let reference = [d2, d2]
            // Strips of the staircase under the analytic points (w₁ = 1 − k/100 ascending in f₁).
            let exactPoints = (0...100).map { k -> [Double] in
                let w1 = 1 - Double(k) / 100
                return [(1 - w1) * (1 - w1) * d2, w1 * w1 * d2]
            }
            var area = 0.0
            for k in exactPoints.indices {
                let next = k + 1 < exactPoints.count ? exactPoints[k + 1][0] : reference[0]
                area += (next - exactPoints[k][0]) * (reference[1] - exactPoints[k][1])
            }
            XCTAssertEqual(try result.hypervolume(reference: reference), area, accuracy: 1e-7 * area)
        }
        do {
            // The ParetoObjective entry point gives the same solutions (Jacobian-based gradients).
            let objective = try ParetoObjective(function)
            let options = try WeightedSumFrontOptions(weightCount: 11, lbfgs: lbfgs)
            let viaObjective = try WeightedSumFront.solve(objective, from: x0, options: options)
            let direct = try WeightedSumFront.solve(function, from: x0, options: options)
            for (p, q) in zip(viaObjective.solutions, direct.solutions) {
                for (u, v) in zip(p.objectives, q.objectives) { XCTAssertEqual(u, v, accuracy: 1e-10) }
            }
            XCTAssertEqual(objective.counts.gradients, viaObjective.solutions.reduce(0) { $0 + $1.evaluations + 1 })
        }
    }

    func testInvalidWeightsAndStartsThrow() throws {
        let function = SquaredDistances(centres: [a1, a2])
        XCTAssertThrowsError(try WeightedSumFront.solve(function, from: [0, 0], options: WeightedSumFrontOptions(weights: [[0.5, 0.5]])))
        XCTAssertThrowsError(try WeightedSumFront.solve(function, from: a1, options: WeightedSumFrontOptions(weights: [[0.5, 0.5, 0]])))
        XCTAssertThrowsError(try WeightedSumFront.solve(function, from: a1, options: WeightedSumFrontOptions(weights: [[0, 0]])))
        XCTAssertThrowsError(try WeightedSumFront.solve(function, from: a1, options: WeightedSumFrontOptions(weights: [[-0.5, 1]])))
        let bounded = try ParetoObjective(function, bounds: ([Double](repeating: -5, count: 5), [Double](repeating: 5, count: 5)))
        XCTAssertThrowsError(try WeightedSumFront.solve(bounded, from: a1, options: WeightedSumFrontOptions(weights: [[0.5, 0.5]])))
    }

    /// Hand-computed distances to the front {(0, 1), (0.5, 0.4), (1, 0)}.
    func testComparisonDistancesAndDominance() throws {
        let front: [[Double]] = [[1, 0], [0, 1], [0.5, 0.4]]
        let points: [[Double]] = [[1, 1], [0.25, 0.25], [-0.1, 0.5]]
        let comparison = try FrontComparison(points: points, front: front)
        XCTAssertEqual(comparison.front, [[0, 1], [0.5, 0.4], [1, 0]])
        // (1, 1): nearest point (0.5, 0.4) at √(0.25 + 0.36). Feet on the two segments:
        // (0, 1)–(0.5, 0.4): direction (0.5, −0.6), t = (1)(0.5) / 0.61;
        // (0.5, 0.4)–(1, 0): direction (0.5, −0.4), t = ((0.5)(0.5) + (0.6)(−0.4)) / 0.41 = 0.01/0.41.
        let t1 = 0.5 / 0.61, t2 = 0.01 / 0.41
        let feet = [[0.5 * t1, 1 - 0.6 * t1], [0.5 + 0.5 * t2, 0.4 - 0.4 * t2]]
        let footDistances = feet.map { ((1 - $0[0]) * (1 - $0[0]) + (1 - $0[1]) * (1 - $0[1])).squareRoot() }
        XCTAssertEqual(comparison.nearestPointDistances[0], (0.25 + 0.36).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(comparison.curveDistances![0], footDistances.min()!, accuracy: 1e-14)
        // (0.25, 0.25): segment (0, 1)–(0.5, 0.4), direction (0.5, −0.6), t = (0.125 + 0.45)/0.61.
        let s = (0.125 + 0.45) / 0.61
        let foot2 = [0.5 * s, 1 - 0.6 * s]
        XCTAssertEqual(comparison.curveDistances![1], ((0.25 - foot2[0]) * (0.25 - foot2[0]) + (0.25 - foot2[1]) * (0.25 - foot2[1])).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(comparison.isDominatedByFront, [true, false, false])
        // (0.25, 0.25) dominates (0.5, 0.4); (−0.1, 0.5) dominates (0, 1).
        XCTAssertEqual(comparison.dominatedFrontPoints, [0, 1, 1])
        let nearest = [(0.25 + 0.36).squareRoot(), (0.0625 + 0.0225).squareRoot(), (0.01 + 0.25).squareRoot()]
        XCTAssertEqual(comparison.generationalDistance, nearest.reduce(0, +) / 3, accuracy: 1e-14)
        XCTAssertEqual(comparison.nearestPointDistances[2], nearest[2], accuracy: 1e-14)
        XCTAssertThrowsError(try FrontComparison(points: [], front: front))
    }

    /// MiniLeNet on 8 generated composites, each repeated 8 times with labels drawn at random:
    /// no network can fit the repeats, and mean cross-entropy is bounded below by the mean
    /// entropy `Hₜ` of each composite's empirical label distribution (Gibbs' inequality), a
    /// bound the network can approach for both tasks at once (20 hidden units separate 8
    /// images). Every weight's solution meets the gradient tolerance, checked with an
    /// independent engine (the tape ``MultiTaskLoss``); every objective lies above its bound and
    /// (all weights positive) within 10⁻⁴ of it; no solution dominates another by more than 10⁻³.
    func testMiniLeNetSolutionsAreStationaryAndMutuallyNonDominated() throws {
        let (distinct, repeats) = (8, 8)
        let count = distinct * repeats
        let data = try MultiDigitDataset(digits: SyntheticDigits.make(count: 2 * distinct, seed: 31), seed: 5, side: 14)
        let source: MultiDigitBatch<Double> = try data.batch(0..<distinct, as: Double.self)
        let pixels = source.images.scalars.count / distinct
        var scalars: [Double] = []
        for k in 0..<distinct { for _ in 0..<repeats { scalars += source.images.scalars[(k * pixels)..<((k + 1) * pixels)] } }
        let images = try Tensor<Double>(shape: [count, 1, 14, 14], scalars: scalars)
        var labelGenerator = SeededGenerator(seed: 9)
        let labels = (0..<2).map { _ in (0..<count).map { _ in labelGenerator.uniformIndex(below: 10) } }
        let entropies = labels.map { taskLabels -> Double in
            var total = 0.0
            for k in 0..<distinct {
                var frequencies = [Double](repeating: 0, count: 10)
                for i in (k * repeats)..<((k + 1) * repeats) { frequencies[taskLabels[i]] += 1 }
                for n in frequencies where n > 0 { total -= n * Foundation.log(n / Double(repeats)) }
            }
            return total / Double(count)
        }
        let model = MiniLeNet()
        var generator = SeededGenerator(seed: 4)
        let x0: [Double] = model.initialParameters(using: &generator)
        let loss = try MiniLeNetLoss<Double>(images: images, labels: labels)
        let tolerance = 1e-4
        let options = WeightedSumFrontOptions(
            weights: [[0.25, 0.75], [0.5, 0.5], [0.75, 0.25]], warmStart: false,
            lbfgs: LBFGSOptions(gradientTolerance: tolerance, functionTolerance: 0, maxIterations: 5_000), keepsParameters: true)
        let result = try WeightedSumFront.solve(loss, from: x0, options: options)
        let tape = try MultiTaskLoss(model: model, images: images, labels: labels)
        for solution in result.solutions {
            XCTAssertEqual(solution.stopReason, .gradientConverged, "w = \(solution.weights)")
            let (values, gradient) = try tape.valuesAndWeightedGradient(at: solution.parameters!, weights: solution.weights)
            XCTAssertLessThanOrEqual(gradient.map(abs).max()!, tolerance * (1 + 1e-6), "w = \(solution.weights)")
            for t in 0..<2 {
                XCTAssertEqual(values[t], solution.objectives[t], accuracy: 1e-10)
                XCTAssertGreaterThanOrEqual(solution.objectives[t], entropies[t])
                XCTAssertLessThanOrEqual(solution.objectives[t], entropies[t] + 1e-4, "w = \(solution.weights), task \(t)")
            }
        }
        for (i, p) in result.solutions.enumerated() {
            for (j, q) in result.solutions.enumerated() where i != j {
                XCTAssertFalse(zip(p.objectives, q.objectives).allSatisfy { $0 < $1 - 1e-3 },
                               "w = \(p.weights) dominates w = \(q.weights): \(p.objectives) vs \(q.objectives)")
            }
        }
    }
}
