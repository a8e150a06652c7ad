import Autodiff
import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training
import XCTest

/// Synthetic 28×28 "digits" (no files needed): class `c` is a fixed random pattern of six 4×4
/// ink blocks (from `SeededGenerator(seed: 1000 + c)`), each kept with probability 0.85, plus
/// 8 noise pixels.
private func syntheticDigits(count: Int, seed: UInt64) throws -> LabeledDigits {
    let side = 28
    let patterns: [[Int]] = (0..<10).map { c in
        var generator = SeededGenerator(seed: 1000 + UInt64(c))
        return (0..<6).map { _ in (4 + generator.uniformIndex(below: 17)) * side + 4 + generator.uniformIndex(below: 17) }
    }
    var generator = SeededGenerator(seed: seed)
    var images = [UInt8](repeating: 0, count: count * side * side)
    var labels: [UInt8] = []
    for i in 0..<count {
        let label = (i * 7 + Int(seed)) % 10
        labels.append(UInt8(label))
        let base = i * side * side
        for corner in patterns[label] where generator.unitDouble() < 0.85 {
            for dy in 0..<4 { for dx in 0..<4 { images[base + corner + dy * side + dx] = 255 } }
        }
        for _ in 0..<8 { images[base + generator.uniformIndex(below: side * side)] = 200 }
    }
    return try LabeledDigits(
        images: DigitImages(count: count, rows: side, columns: side, pixels: images), labels: labels, sourceName: "synthetic")
}

/// Network expansion on MiniLeNet and 14×14 synthetic composites (seconds in release mode).
final class NetworkExpansionTests: XCTestCase {
    private let model = MiniLeNet()

    private func data() throws -> NetworkObjectiveData<MiniLeNet> { try Self.makeData() }

    private static func makeData(train: Int = 240, test: Int = 240, hvp: Int = 96) throws -> NetworkObjectiveData<MiniLeNet> {
        let model = MiniLeNet()
        let trainSet = try MultiDigitDataset(digits: syntheticDigits(count: train, seed: 1), seed: 11, side: 14)
        let testSet = try MultiDigitDataset(digits: syntheticDigits(count: test, seed: 2), seed: 12, side: 14)
        return try NetworkObjectiveData(model: model, train: trainSet, test: testSet, hvpBatchSize: hvp, hvpSeed: 3, chunkSize: 64)
    }

    /// Random initial parameters trained by equal-weight gradient descent (Armijo), so the
    /// seed is a reasonable network (not yet Pareto-stationary). Computed once.
    private static let seedParameters: Result<[Double], any Error> = Result {
        let model = MiniLeNet()
        var generator = SeededGenerator(seed: 5)
        let x0: [Double] = model.initialParameters(using: &generator)
        let objective = try NetworkExpansionTests.makeData().makeObjective()
        let result = try paretoOptimize(
            objective, from: x0,
            options: ParetoOptimizeOptions(method: .weightedSum([0.5, 0.5]), stepSize: 1, maxIterations: 100, stationarityTolerance: 0))
        return result.point.parameters
    }

    private func trainedParameters(_ data: NetworkObjectiveData<MiniLeNet>) throws -> [Double] {
        try Self.seedParameters.get()
    }

    private func options(_ method: NetworkExpansionMethod = .tangent, points: Int = 7) -> NetworkExpansionOptions {
        var options = NetworkExpansionOptions()
        options.method = method
        options.expansion.directions = 1
        options.expansion.points = points
        options.expansion.stepSize = 0.1
        options.expansion.seed = 9
        options.expansion.direction = DirectionOptions(method: .tangent, minresIterations: 12, minresTolerance: 1e-5, damping: 0.1)
        options.expansion.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: 0.5, maxIterations: 4, stationarityTolerance: 0, relativeStationarityTolerance: 0.02)
        options.seedStationarityTolerance = 0.05
        options.seedSteps = 60
        options.curveSamples = 5
        options.weightedSumStepSize = 0.01
        return options
    }

    private func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-network-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The training objectives in double precision, computed independently of the expansion
    /// (one `MultiTaskLoss<MiniLeNet, Double>` over the whole training set).
    private func independentTrainingLoss(_ data: NetworkObjectiveData<MiniLeNet>, _ x: [Double]) throws -> [Double] {
        let batch: MultiDigitBatch<Double> = try data.train.batch(0..<data.train.count, as: Double.self)
        return try MultiTaskLoss(model: model, images: batch.images, labels: batch.labels).values(at: x)
    }

    /// The test-set losses at `x`, independently of the expansion's evaluation code.
    private func independentTestLoss(_ data: NetworkObjectiveData<MiniLeNet>, _ x: [Double]) throws -> [Double] {
        let batch: MultiDigitBatch<Double> = try data.test.batch(0..<data.test.count, as: Double.self)
        return try MultiTaskLoss(model: model, images: batch.images, labels: batch.labels).values(at: x)
    }

    func testTangentRunFrontIsNonDominatedConsistentAndImprovesTheHypervolume() throws {
        let data = try data()
        let x0 = try trainedParameters(data)
        let directory = try temporaryDirectory("tangent")
        let run = try NetworkExpansion(data: data, options: options(), directory: directory)
        let result = try run.run(from: x0)
        let front = result.front
        XCTAssertEqual(front.points.count, 7)
        // The seed's ParetoOptimize stops at the relative-stationarity tolerance or at its step budget.
        let seed = result.state.points[0]
        XCTAssertEqual(front.stationarity.after, seed.point.relativeStationarity)
        if front.stationarity.after > 0.05 { XCTAssertEqual(seed.optimizeIterations, 60, "stopped early without reaching the tolerance") }
        // Mutually non-dominated on the training objectives.
        for a in front.points {
            for b in front.points where a.id != b.id {
                XCTAssertFalse(dominates(a.objectives, b.objectives), "point \(a.id) dominates \(b.id)")
            }
        }
        // `hypervolume_before` is the input network's, recomputed independently here. Algorithm 1
        // starts from the seed after ParetoOptimize (point 0); the expansion must strictly enlarge
        // the hypervolume of that start. Whether it also beats the input network depends on how far
        // ParetoOptimize moves a non-stationary input on the *test* losses (this tiny synthetic
        // seed is far from stationary); on the full-size run it does (docs/network-expansion.md).
        let inputTestLoss = try independentTestLoss(data, x0)
        let inputHypervolume = try Hypervolume.compute([inputTestLoss], reference: front.reference)
        XCTAssertEqual(front.hypervolumeBefore, inputHypervolume, accuracy: 1e-5 * inputHypervolume)
        XCTAssertGreaterThan(front.hypervolumeBefore, 0)
        let startHypervolume = try Hypervolume.compute([front.points[0].testLoss], reference: front.reference)
        XCTAssertGreaterThan(front.hypervolumeAfter, startHypervolume)
        // Stored checkpoints reproduce the stored training and test losses (independent evaluation).
        for point in front.points {
            let checkpoint = try Checkpoint.load(from: directory.appendingPathComponent(point.checkpoint), model: model)
            let training = try independentTrainingLoss(data, checkpoint.parameters)
            for (stored, recomputed) in zip(point.objectives, training) {
                XCTAssertEqual(stored, recomputed, accuracy: 1e-4 * max(1, recomputed), "training loss of point \(point.id)")
            }
            let test = try Evaluation.evaluate(model: model, parameters: checkpoint.parameters, on: data.test)
            for (stored, recomputed) in zip(point.testLoss, test.loss) {
                XCTAssertEqual(stored, recomputed, accuracy: 1e-4 * max(1, recomputed), "test loss of point \(point.id)")
            }
        }
        // Both chains grow: the chain runs from t = −1 to 1 through the seed.
        XCTAssertEqual(result.set.chainParameters.first, -1)
        XCTAssertEqual(result.set.chainParameters.last, 1)
        XCTAssertTrue(result.set.chain.contains(0))
        XCTAssertEqual(front.curve.count, 5)
        // The files exist and decode.
        XCTAssertEqual(try NetworkRun.front(in: directory), front)
        let csv = try String(contentsOf: directory.appendingPathComponent("front.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 8)
    }

    /// MINRES residual norms of every tangent solve (HVPs on the mini-batch) never increase,
    /// and each solve reduces the residual below the right-hand side's norm.
    func testMinresResidualNormsDecrease() throws {
        let data = try data()
        let x0 = try trainedParameters(data)
        let result = try NetworkExpansion(data: data, options: options(points: 5), directory: try temporaryDirectory("minres")).run(from: x0)
        let solved = result.state.points.dropFirst()
        XCTAssertFalse(solved.isEmpty)
        for point in solved {
            let r = point.residualNorms
            XCTAssertGreaterThan(r.count, 1)
            for (a, b) in zip(r, r.dropFirst()) { XCTAssertLessThanOrEqual(b, a * (1 + 1e-12), "point \(point.id)") }
            XCTAssertLessThan(r.last!, r.first!)
            XCTAssertLessThanOrEqual(point.minresIterations, 12)
        }
    }

    /// The model at `t` (ContinuousParetoSet) reproduces the stored objectives at chain points,
    /// and `NetworkRun.parameters(at:)` (from the files) equals it everywhere.
    func testModelAtTReproducesChainPoints() throws {
        let data = try data()
        let x0 = try trainedParameters(data)
        let directory = try temporaryDirectory("at")
        let run = try NetworkExpansion(data: data, options: options(points: 5), directory: directory)
        let result = try run.run(from: x0)
        let set = result.set
        XCTAssertGreaterThan(set.chain.count, 2)
        for (id, t) in zip(set.chain, set.chainParameters) {
            let x = try set.parameters(at: t)
            let stored = result.state.points[id].objectives
            let values = try independentTrainingLoss(data, x)
            for (a, b) in zip(stored, values) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, b), "chain point \(id), t = \(t)") }
        }
        for t in [-1, -0.7, -0.1, 0, 0.3, 0.55, 1] + set.chainParameters {
            let fromFiles = try NetworkRun.parameters(at: t, in: directory, model: model)
            let fromSet = try set.parameters(at: t)
            XCTAssertEqual(fromFiles, fromSet, "t = \(t)")
        }
        XCTAssertThrowsError(try NetworkRun.parameters(at: 1.5, in: directory, model: model))
    }

    private struct Killed: Error {}

    /// A run killed after its third accepted point and resumed from the saved state gives the
    /// same front (points, parents, objectives, checkpoints, evaluation counts) as an
    /// uninterrupted run.
    func testResumeAfterKillGivesTheSameFront() throws {
        let data = try data()
        let x0 = try trainedParameters(data)
        let whole = try temporaryDirectory("whole"), killed = try temporaryDirectory("killed")
        let reference = try NetworkExpansion(data: data, options: options(), directory: whole).run(from: x0).front

        let interrupted = try NetworkExpansion(data: data, options: options(), directory: killed)
        interrupted.onSaved = { id in if id == 3 { throw Killed() } }
        XCTAssertThrowsError(try interrupted.run(from: x0)) { XCTAssertTrue($0 is Killed) }
        XCTAssertThrowsError(try NetworkExpansion(data: data, options: options(), directory: killed).run(from: x0)) {
            XCTAssertEqual($0 as? NetworkRunError, .existingRun(killed.path))
        }
        var other = options()
        other.expansion.stepSize = 0.2
        XCTAssertThrowsError(try NetworkExpansion(data: data, options: other, directory: killed).resume())
        let resumed = try NetworkExpansion(data: data, options: options(), directory: killed).resume().front

        XCTAssertEqual(resumed.points.count, reference.points.count)
        for (a, b) in zip(resumed.points, reference.points) {
            XCTAssertEqual(a.id, b.id)
            XCTAssertEqual(a.parent, b.parent)
            XCTAssertEqual(a.t, b.t)
            XCTAssertEqual(a.objectives, b.objectives)
            XCTAssertEqual(a.testLoss, b.testLoss)
            let pa = try Checkpoint.load(from: killed.appendingPathComponent(a.checkpoint), model: model).parameters
            let pb = try Checkpoint.load(from: whole.appendingPathComponent(b.checkpoint), model: model).parameters
            XCTAssertEqual(pa, pb, "parameters of point \(a.id)")
        }
        XCTAssertEqual(resumed.curve, reference.curve)
        XCTAssertEqual(resumed.evaluations, reference.evaluations)
        XCTAssertEqual(resumed.candidates, reference.candidates)
        XCTAssertEqual(resumed.hypervolumeAfter, reference.hypervolumeAfter)
        XCTAssertEqual(resumed.timing.minresIterations, reference.timing.minresIterations)
    }

    /// The gradient-direction run takes no HVPs; the weighted-sum baseline spends exactly its
    /// budget of gradient steps (split evenly over e₁, e₂ and equal weights) and records its
    /// one-hot trajectories as the two chains.
    func testBaselinesUseTheirBudgets() throws {
        let data = try data()
        let x0 = try trainedParameters(data)
        let gradient = try NetworkExpansion(data: data, options: options(.gradient, points: 5), directory: try temporaryDirectory("gradient"))
            .run(from: x0).front
        XCTAssertEqual(gradient.evaluations.hvps, 0)
        XCTAssertEqual(gradient.method, "gradient")
        XCTAssertGreaterThan(gradient.points.count, 1)

        var weighted = options(.weightedSum, points: 7)
        weighted.seedSteps = 0
        weighted.weightedSumBudget = 30
        let result = try NetworkExpansion(data: data, options: weighted, directory: try temporaryDirectory("ws")).run(from: x0)
        // One gradient at the seed, then 30 / 3 = 10 steps per trajectory.
        XCTAssertEqual(result.front.evaluations.gradients, 1 + 30)
        XCTAssertEqual(result.front.evaluations.hvps, 0)
        XCTAssertEqual(result.front.points.count, 1 + 3 * 2)
        XCTAssertEqual(result.set.chain.count, 5, "two points per one-hot trajectory plus the seed")
        // Descending on f₁ alone lowers f₁ along its chain.
        let f1Chain = result.state.points.filter { $0.heading == 0 }.map { $0.objectives[0] }
        XCTAssertLessThan(f1Chain.last!, result.state.points[0].objectives[0])
    }
}
