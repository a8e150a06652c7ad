import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import Training
import XCTest

/// Two separable quadratics `f₁ = ½ Σ dⱼ(xⱼ − aⱼ)²`, `f₂ = ½ Σ eⱼ(xⱼ − bⱼ)²` (ill-conditioned:
/// curvatures from 0.5 to 100), counting its evaluations. The Pareto set is the segment of
/// weighted minimisers `x*(w)ⱼ = (w₁dⱼaⱼ + w₂eⱼbⱼ) / (w₁dⱼ + w₂eⱼ)`.
private final class Counter: @unchecked Sendable { var jacobians = 0; var other = 0 }

private struct TwoQuadratics: DifferentiableVectorFunction {
    typealias Scalar = Double
    let d: [Double] = [1, 10, 100, 1, 3, 30]
    let e: [Double] = [50, 2, 1, 7, 1, 0.5]
    let a: [Double] = [1, -2, 0.5, 3, 0, 1]
    let b: [Double] = [-1, 1, 2, -2, 4, -3]
    let counter = Counter()
    var parameterCount: Int { 6 }
    var objectiveCount: Int { 2 }

    func exact(_ x: [Double]) -> (values: [Double], jacobian: [[Double]]) {
        var f1 = 0.0, f2 = 0.0
        var g1 = [Double](repeating: 0, count: 6), g2 = g1
        for j in 0..<6 {
            f1 += 0.5 * d[j] * (x[j] - a[j]) * (x[j] - a[j])
            f2 += 0.5 * e[j] * (x[j] - b[j]) * (x[j] - b[j])
            g1[j] = d[j] * (x[j] - a[j])
            g2[j] = e[j] * (x[j] - b[j])
        }
        return ([f1, f2], [g1, g2])
    }
    func values(at x: [Double]) throws -> [Double] { counter.other += 1; return exact(x).values }
    func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) {
        counter.jacobians += 1
        return exact(x)
    }
    func valuesAndWeightedGradient(at x: [Double], weights: [Double]) throws -> (values: [Double], gradient: [Double]) {
        counter.other += 1
        let (v, j) = exact(x)
        return (v, (0..<6).map { weights[0] * j[0][$0] + weights[1] * j[1][$0] })
    }
    func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> HessianVectorProduct<Double> {
        XCTFail("the polish takes no HVPs")
        throw TrainingError.invalidConfiguration("no HVPs")
    }
    func minimizer(_ w: [Double]) -> [Double] { (0..<6).map { (w[0] * d[$0] * a[$0] + w[1] * e[$0] * b[$0]) / (w[0] * d[$0] + w[1] * e[$0]) } }
}

/// The min-norm weight α₁ of two gradients (Sener & Koltun's closed form) and the relative
/// stationarity ‖α₁g₁ + α₂g₂‖ / max‖gᵢ‖, written out here independently of `MinNormWeights`.
private func handStationarity(_ g1: [Double], _ g2: [Double]) -> (alpha: Double, ratio: Double) {
    let diff = zip(g1, g2).map { $0 - $1 }
    let denominator = dot(diff, diff)
    let alpha = denominator > 0 ? min(1, max(0, (dot(g2, g2) - dot(g1, g2)) / denominator)) : 0.5
    let c = zip(g1, g2).map { alpha * $0 + (1 - alpha) * $1 }
    return (alpha, dot(c, c).squareRoot() / max(dot(g1, g1), dot(g2, g2)).squareRoot())
}

final class StationarityPolishTests: XCTestCase {
    let x0: [Double] = [3, 3, -1, 0, -2, 2]

    func testPolishReachesTheToleranceAndCountsEveryEvaluation() throws {
        let f = TwoQuadratics()
        let start = f.exact(x0)
        let (alpha0, before) = handStationarity(start.jacobian[0], start.jacobian[1])
        XCTAssertGreaterThan(before, 0.3, "the start must be far from stationary for the test to mean anything")
        var seen: [StationarityPolishRecord] = []
        let (x, report) = try StationarityPolish.polish(
            f, from: x0, options: StationarityPolishOptions(tolerance: 1e-3, maxEvaluations: 500), onStep: { seen.append($0) })
        // Independent check of the returned point.
        let end = f.exact(x)
        let (_, after) = handStationarity(end.jacobian[0], end.jacobian[1])
        XCTAssertLessThanOrEqual(after, 1e-3)
        XCTAssertTrue(report.converged)
        XCTAssertEqual(report.stopReason, "tolerance")
        XCTAssertEqual(report.before, before, accuracy: 1e-12)
        XCTAssertEqual(report.after, after, accuracy: 1e-12)
        // Default weights: α* at the start point.
        XCTAssertEqual(report.weights[0], alpha0, accuracy: 1e-12)
        XCTAssertEqual(report.weights[1], 1 - alpha0, accuracy: 1e-12)
        // The weighted sum went down.
        XCTAssertLessThan(dot(report.weights, end.values), dot(report.weights, start.values))
        // Counts: every evaluation is one values + Jacobian call, the start point's included.
        XCTAssertEqual(f.counter.other, 0)
        XCTAssertEqual(report.evaluations, f.counter.jacobians)
        XCTAssertGreaterThan(report.evaluations, 2)
        XCTAssertEqual(seen, report.trajectory)
        XCTAssertEqual(report.trajectory.count, report.iterations + 1)
        XCTAssertEqual(report.trajectory.first?.evaluations, 1)
        XCTAssertEqual(report.trajectory.last?.evaluations, report.evaluations, "stopped right after the accepted point")
        for (earlier, later) in zip(report.trajectory, report.trajectory.dropFirst()) {
            XCTAssertGreaterThan(later.evaluations, earlier.evaluations)
        }
        XCTAssertEqual(report.trajectory.last!.stationarity, after, accuracy: 1e-12)
        XCTAssertEqual(report.trajectory.last!.losses, end.values)
        XCTAssertTrue(report.trajectory.dropLast().allSatisfy { $0.stationarity > 1e-3 }, "it stops at the first point within the tolerance")
    }

    func testWithoutToleranceItConvergesToTheWeightedMinimiser() throws {
        let f = TwoQuadratics()
        let w = [0.3, 0.7]
        let (x, report) = try StationarityPolish.polish(
            f, from: x0, options: StationarityPolishOptions(tolerance: 0, maxEvaluations: 300, weights: [3, 7]))
        XCTAssertEqual(report.weights[0], 0.3, accuracy: 1e-15)
        let target = f.minimizer(w)
        for j in 0..<6 { XCTAssertEqual(x[j], target[j], accuracy: 1e-6, "component \(j)") }
        let end = f.exact(x)
        XCTAssertLessThan(handStationarity(end.jacobian[0], end.jacobian[1]).ratio, 1e-6)
        XCTAssertLessThanOrEqual(report.evaluations, 300)
        XCTAssertEqual(report.evaluations, f.counter.jacobians)
    }

    func testEvaluationLimitAndAStationaryStart() throws {
        let f = TwoQuadratics()
        let (_, limited) = try StationarityPolish.polish(f, from: x0, options: StationarityPolishOptions(tolerance: 1e-9, maxEvaluations: 4))
        XCTAssertFalse(limited.converged)
        XCTAssertLessThanOrEqual(f.counter.jacobians, 4)
        XCTAssertEqual(limited.evaluations, f.counter.jacobians)
        XCTAssertGreaterThan(limited.after, 1e-9)

        let g = TwoQuadratics()
        let onFront = g.minimizer([0.6, 0.4])
        let (x, report) = try StationarityPolish.polish(g, from: onFront, options: StationarityPolishOptions(tolerance: 1e-8))
        XCTAssertEqual(x, onFront)
        XCTAssertTrue(report.converged)
        XCTAssertEqual(report.evaluations, 1)
        XCTAssertEqual(g.counter.jacobians, 1)
        XCTAssertEqual(report.iterations, 0)

        XCTAssertThrowsError(try StationarityPolish.polish(g, from: x0, options: StationarityPolishOptions(weights: [1, -1])))
        XCTAssertThrowsError(try StationarityPolish.polish(g, from: x0, options: StationarityPolishOptions(maxEvaluations: 0)))
    }

    /// On a network: the trainer's polish on chunks of the training set (three chunks of
    /// unequal size) against the tape engine on all composites at once, in double precision.
    func testTrainerPolishOnANetworkMatchesAnIndependentFullSetEvaluation() throws {
        let (train, test) = try SyntheticDigits.splits(train: 96, test: 32, side: 14)
        let model = MiniLeNet()
        let configuration = TrainingConfiguration(
            method: .linearScalarization(weights: [0.5, 0.5]), learningRate: 1e-2, epochs: 2, batchSize: 16, seed: 3,
            evaluatesEveryEpoch: false)
        let trainer = try Trainer<MiniLeNet, MiniLeNetLoss<Double>>(model: model, configuration: configuration) { batch in
            try MiniLeNetLoss(images: batch.images, labels: batch.labels)
        }
        let trained = try trainer.train(on: train, testingOn: test)
        XCTAssertNil(trained.report.polish)
        let polished = try trainer.polish(
            trained, on: train, testingOn: test, options: StationarityPolishOptions(tolerance: 0, maxEvaluations: 12, weights: [1, 1]),
            chunkSize: 40)
        let polish = try XCTUnwrap(polished.report.polish)
        XCTAssertLessThanOrEqual(polish.report.evaluations, 12)
        XCTAssertEqual(polish.trainImages, 96)
        XCTAssertEqual(polish.report.weights, [0.5, 0.5])

        let all: MultiDigitBatch<Double> = try train.batch(0..<train.count, as: Double.self)
        let tape = try MultiTaskLoss<MiniLeNet, Double>(model: model, images: all.images, labels: all.labels)
        let (v0, j0) = try tape.valuesAndJacobian(at: trained.parameters)
        let (v1, j1) = try tape.valuesAndJacobian(at: polished.parameters)
        XCTAssertEqual(polish.report.before, handStationarity(j0[0], j0[1]).ratio, accuracy: 1e-9)
        XCTAssertEqual(polish.report.after, handStationarity(j1[0], j1[1]).ratio, accuracy: 1e-9)
        XCTAssertEqual(polish.report.trajectory.first!.losses[0], v0[0], accuracy: 1e-10)
        XCTAssertEqual(polish.report.trajectory.last!.losses[1], v1[1], accuracy: 1e-10)
        XCTAssertLessThan(v1[0] + v1[1], v0[0] + v0[1], "L-BFGS lowers the weighted sum")
        XCTAssertGreaterThan(polish.report.iterations, 0)

        let evaluation = try Evaluation.evaluate(model: model, parameters: polished.parameters, on: test)
        XCTAssertEqual(polished.report.finalTest, evaluation)
        XCTAssertEqual(polish.test, evaluation)
        XCTAssertEqual(polish.batchEvaluations(batchSize: 16, tasks: 2), polish.report.evaluations * 3 * 6)
        XCTAssertEqual(polish.batchEvaluations(batchSize: 50, tasks: 2), polish.report.evaluations * 3 * 2)
    }
}
