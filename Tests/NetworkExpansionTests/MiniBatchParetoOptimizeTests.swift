import Autodiff
import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import NetworkExpansion
import XCTest

/// Mini-batch ParetoOptimize, its evaluation counts per phase and the stationary-seed rule, on
/// MiniLeNet and 14×14 synthetic composites (seconds in release mode).
final class MiniBatchParetoOptimizeTests: XCTestCase {
    private let model = MiniLeNet()
    private static let trainCount = 240, testCount = 120, hvpCount = 96, batchSize = 32

    private static func makeData(factory: NetworkLossFactory? = nil, miniBatch: Int? = batchSize) throws -> NetworkObjectiveData<MiniLeNet> {
        let trainSet = try MultiDigitDataset(digits: SyntheticDigits.make(count: trainCount, seed: 1), seed: 11, side: 14)
        let testSet = try MultiDigitDataset(digits: SyntheticDigits.make(count: testCount, seed: 2), seed: 12, side: 14)
        // One chunk holds the whole training split, so every full-set evaluation is one call of
        // one function of 240 images, every HVP one call of a function of 96, every mini-batch
        // one call of a function of 32: the counting factory below tells them apart by size.
        return try NetworkObjectiveData(
            model: MiniLeNet(), train: trainSet, test: testSet, hvpBatchSize: hvpCount, hvpSeed: 3, chunkSize: 256,
            factory: factory, miniBatchSize: miniBatch)
    }

    /// A seed trained by 60 full-set equal-weight gradient steps (Armijo) from a random start:
    /// a reasonable network, not Pareto-stationary. Computed once.
    private static let seedParameters: Result<[Double], any Error> = Result {
        var generator = SeededGenerator(seed: 5)
        let x0: [Double] = MiniLeNet().initialParameters(using: &generator)
        let objective = try makeData(miniBatch: nil).makeObjective()
        return try paretoOptimize(
            objective, from: x0,
            options: ParetoOptimizeOptions(method: .weightedSum([0.5, 0.5]), stepSize: 1, maxIterations: 60, stationarityTolerance: 0)
        ).point.parameters
    }

    /// `‖α g₁ + (1 − α) g₂‖ / max(‖g₁‖, ‖g₂‖)` with the closed-form two-task min-norm `α`
    /// (Sener & Koltun 2018, Algorithm 1) and gradients of the double-precision tape loss over
    /// all training composites: independent of ParetoObjective, ChunkedLoss and MinNormWeights.
    private func independentRelativeStationarity(_ data: NetworkObjectiveData<MiniLeNet>, _ x: [Double]) throws -> Double {
        let (g1, g2) = try independentGradients(data, x, indices: Array(0..<data.train.count))
        let alpha = minNormAlpha(g1, g2)
        let d = zip(g1, g2).map { alpha * $0 + (1 - alpha) * $1 }
        return norm(d) / max(norm(g1), norm(g2))
    }

    private func independentGradients(_ data: NetworkObjectiveData<MiniLeNet>, _ x: [Double], indices: [Int]) throws -> ([Double], [Double]) {
        let batch: MultiDigitBatch<Double> = try data.train.batch(indices, as: Double.self)
        let jacobian = try MultiTaskLoss(model: model, images: batch.images, labels: batch.labels).valuesAndJacobian(at: x).jacobian
        return (jacobian[0], jacobian[1])
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    private func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
    private func minNormAlpha(_ g1: [Double], _ g2: [Double]) -> Double {
        let difference = zip(g1, g2).map { $0 - $1 }
        return min(max(dot(zip(g2, g1).map { $0 - $1 }, g2) / dot(difference, difference), 0), 1)
    }

    private func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-minibatch-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// One mini-batch MGDA step whose batch is the whole training split (batch size = count, so
    /// the draw is fixed) is `x − η (α g₁ + (1 − α) g₂)` with the closed-form min-norm `α` of the
    /// independently computed gradients.
    func testOneStepIsTheMinNormSGDStep() throws {
        let data = try Self.makeData(miniBatch: Self.trainCount)
        let x0 = try Self.seedParameters.get()
        let eta = 0.05
        let result = try paretoOptimize(
            try data.makeObjective(), from: x0,
            options: ParetoOptimizeOptions(
                method: .mgda, stepSize: eta, maxIterations: 1, stationarityTolerance: 0, miniBatch: MiniBatchOptimization()))
        XCTAssertEqual(result.iterations, 1)
        let (g1, g2) = try independentGradients(data, x0, indices: Array(0..<Self.trainCount))
        let alpha = minNormAlpha(g1, g2)
        XCTAssertGreaterThan(alpha, 0.01)
        XCTAssertLessThan(alpha, 0.99)
        let expected = x0.indices.map { x0[$0] - eta * (alpha * g1[$0] + (1 - alpha) * g2[$0]) }
        let step = norm(zip(expected, x0).map { $0 - $1 })
        // Float32 gradients in the engine, double here: agreement to a small fraction of the step.
        XCTAssertLessThan(norm(zip(result.point.parameters, expected).map { $0 - $1 }), 1e-3 * step)
        // Without checks the start is not measured on the full set.
        XCTAssertTrue(result.initialRelativeStationarity.isNaN)
    }

    /// On small data, mini-batch MGDA (batches of 32 of 240 composites) lowers the relative
    /// stationarity measured on the full training objectives, recomputed here independently,
    /// and reports the measurements it made.
    func testMiniBatchMGDALowersRelativeStationarity() throws {
        let data = try Self.makeData()
        let x0 = try Self.seedParameters.get()
        let before = try independentRelativeStationarity(data, x0)
        let objective = try data.makeObjective()
        let result = try paretoOptimize(
            objective, from: x0,
            options: ParetoOptimizeOptions(
                method: .mgda, stepSize: 0.1, maxIterations: 600, stationarityTolerance: 0, relativeStationarityTolerance: 0,
                miniBatch: MiniBatchOptimization(checkEvery: 100, seed: 7)))
        let after = try independentRelativeStationarity(data, result.point.parameters)
        XCTAssertEqual(result.initialRelativeStationarity, before, accuracy: 1e-4)
        XCTAssertEqual(result.point.relativeStationarity, after, accuracy: 1e-4)
        XCTAssertEqual(result.iterations, 600)
        XCTAssertFalse(result.converged)
        // (The trajectory is noisy early on; by 600 steps the network fits the 240 composites.)
        XCTAssertLessThan(after, 0.5 * before, "relative stationarity \(before) → \(after)")
        // Both training losses fall too (MGDA is a common descent direction in expectation).
        let start = try EvaluatedPoint(try data.makeObjective(), at: x0).objectives
        for (a, b) in zip(result.point.objectives, start) { XCTAssertLessThan(a, b) }
        // 600 mini-batch gradients and 7 full-set ones (checks at 0, 100, …, 600).
        XCTAssertEqual(objective.miniBatchGradients, 600)
        XCTAssertEqual(objective.counts, EvaluationCounts(objectives: 0, gradients: 607, hvps: 0))
    }

    /// The same calls with the same seed give the same point (batches are drawn from a seeded
    /// stream), and another stream gives another point.
    func testBatchesAreSeeded() throws {
        let data = try Self.makeData()
        let x0 = try Self.seedParameters.get()
        let options = ParetoOptimizeOptions(method: .mgda, stepSize: 0.1, maxIterations: 5, stationarityTolerance: 0, miniBatch: MiniBatchOptimization(seed: 3))
        let a = try paretoOptimize(try data.makeObjective(), from: x0, options: options, stream: 4)
        let b = try paretoOptimize(try data.makeObjective(), from: x0, options: options, stream: 4)
        let c = try paretoOptimize(try data.makeObjective(), from: x0, options: options, stream: 5)
        XCTAssertEqual(a.point.parameters, b.point.parameters)
        XCTAssertNotEqual(a.point.parameters, c.point.parameters)
    }

    /// Mini-batch steps need mini-batches and refuse Chebyshev steps, with errors that say so.
    func testInvalidMiniBatchRequestsAreRefused() throws {
        let x0 = try Self.seedParameters.get()
        let withoutBatches = try Self.makeData(miniBatch: nil).makeObjective()
        let options = ParetoOptimizeOptions(method: .mgda, maxIterations: 1, miniBatch: MiniBatchOptimization())
        XCTAssertThrowsError(try paretoOptimize(withoutBatches, from: x0, options: options)) { error in
            XCTAssertTrue("\(error)".contains("mini-batches"), "\(error)")
        }
        var chebyshev = options
        chebyshev.method = .chebyshev([0.5, 0.5])
        XCTAssertThrowsError(try paretoOptimize(try Self.makeData().makeObjective(), from: x0, options: chebyshev)) { error in
            XCTAssertTrue("\(error)".contains("Chebyshev"), "\(error)")
        }
        XCTAssertThrowsError(try Self.makeData(miniBatch: 0))
    }

    // MARK: Counting

    /// Calls of the engine's functions, by the number of images of the function's batch.
    final class CallCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func add(_ key: String) { lock.lock(); counts[key, default: 0] += 1; lock.unlock() }
        subscript(key: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts[key, default: 0] }
    }

    /// A decorator that counts every call of `base` under "kind/images" and forwards it.
    struct CountingFunction: DifferentiableVectorFunction {
        let base: any DifferentiableVectorFunction<Float>
        let images: Int
        let counter: CallCounter
        var parameterCount: Int { base.parameterCount }
        var objectiveCount: Int { base.objectiveCount }
        func values(at x: [Float]) throws -> [Float] {
            counter.add("values/\(images)")
            return try base.values(at: x)
        }
        func valuesAndJacobian(at x: [Float]) throws -> (values: [Float], jacobian: [[Float]]) {
            counter.add("jacobian/\(images)")
            return try base.valuesAndJacobian(at: x)
        }
        func valuesAndWeightedGradient(at x: [Float], weights: [Float]) throws -> (values: [Float], gradient: [Float]) {
            counter.add("weighted/\(images)")
            return try base.valuesAndWeightedGradient(at: x, weights: weights)
        }
        func hessianVectorProduct(at x: [Float], along v: [Float], weights: [Float]) throws -> HessianVectorProduct<Float> {
            counter.add("hvp/\(images)")
            return try base.hessianVectorProduct(at: x, along: v, weights: weights)
        }
    }

    /// A tangent run with mini-batch MGDA corrections and a mini-batch seed: the phase counts
    /// in front.json add up to `evaluations`, and match the calls of the engine counted by a
    /// decorator and the counts implied by the run's own record (steps, candidates, MINRES
    /// iterations, points, curve samples).
    func testPhaseCountsAddUpAndMatchIndependentlyCountedCalls() throws {
        let counter = CallCounter()
        let engine = NetworkLossFactory.engine(model)
        let factory = NetworkLossFactory(name: "counting") { images, labels in
            CountingFunction(base: try engine.loss(images: images, labels: labels), images: images.shape[0], counter: counter)
        }
        let data = try Self.makeData(factory: factory)
        var options = NetworkExpansionOptions()
        options.expansion.directions = 1
        options.expansion.points = 5
        options.expansion.stepSize = 0.1
        options.expansion.seed = 9
        options.expansion.direction = DirectionOptions(method: .tangent, minresIterations: 6, minresTolerance: 1e-12, damping: 0.1)
        let optimizeSteps = 3
        options.expansion.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: 0.05, maxIterations: optimizeSteps, stationarityTolerance: 0, relativeStationarityTolerance: 0.05,
            miniBatch: MiniBatchOptimization(seed: 9))
        let seedSteps = 45, checkEvery = 10
        options.seedSteps = seedSteps
        options.seedCheckEvery = checkEvery
        options.seedStationarityTolerance = 1e-9
        options.force = true
        options.curveSamples = 4
        let directory = try temporaryDirectory("counts")
        let run = try NetworkExpansion(data: data, options: options, directory: directory)
        var reported: FrontFile.Stationarity? = nil
        run.onSeed = { reported = $0 }
        let result = try run.run(from: try Self.seedParameters.get())
        let front = result.front
        let phases = try XCTUnwrap(front.evaluationsByPhase)

        // Every phase but test adds up to the run's evaluations.
        XCTAssertEqual(phases.run, front.evaluations)
        XCTAssertEqual(
            [phases.seed, phases.tangent, phases.correction, phases.baseline, phases.other].compactMap { $0 }.reduce(EvaluationCounts(), +),
            front.evaluations)
        XCTAssertNil(phases.baseline)
        XCTAssertNil(phases.other)

        // The engine's calls, counted by the decorator: full-set Jacobians (240 images),
        // mini-batch Jacobians (32), HVPs (96); no objective-only calls (no Armijo).
        let full = counter["jacobian/\(Self.trainCount)"], mini = counter["jacobian/\(Self.batchSize)"]
        let hvps = counter["hvp/\(Self.hvpCount)"]
        XCTAssertEqual(front.evaluations.gradients, full + mini)
        XCTAssertEqual(front.evaluations.hvps, hvps)
        XCTAssertEqual(front.evaluations.objectives, counter["values/\(Self.trainCount)"])
        XCTAssertEqual(front.evaluations.objectives, 0)
        XCTAssertEqual(counter["weighted/\(Self.trainCount)"] + counter["weighted/\(Self.batchSize)"], 0)

        // The seed: all 45 steps (the tolerance 1e-9 is out of reach), full-set checks at
        // 0, 10, 20, 30, 40 and at the cap 45.
        let stationarity = try XCTUnwrap(front.stationarity)
        XCTAssertEqual(reported, stationarity)
        XCTAssertEqual(stationarity.steps, seedSteps)
        XCTAssertEqual(stationarity.converged, false)
        // Not converged: the seed is the checked iterate with the lowest stationarity, the
        // input (checked first) included, so never worse than the input.
        XCTAssertLessThanOrEqual(stationarity.after, stationarity.before)
        let checks = seedSteps / checkEvery + 1 + (seedSteps % checkEvery == 0 ? 0 : 1)
        XCTAssertEqual(phases.seed, EvaluationCounts(objectives: 0, gradients: seedSteps + checks, hvps: 0))
        // Corrections: each candidate takes exactly 3 mini-batch steps and one full-set
        // evaluation of its end point.
        let candidates = front.candidates
        XCTAssertGreaterThan(candidates, 0)
        XCTAssertEqual(phases.correction, EvaluationCounts(objectives: 0, gradients: candidates * (optimizeSteps + 1), hvps: 0))
        XCTAssertEqual(mini, seedSteps + candidates * optimizeSteps)
        XCTAssertEqual(full, checks + candidates)
        XCTAssertEqual(result.state.optimizeIterations, candidates * optimizeSteps)
        // Tangent solves: one HVP per MINRES iteration, nothing else.
        XCTAssertEqual(phases.tangent, EvaluationCounts(objectives: 0, gradients: 0, hvps: result.state.minresIterations.reduce(0, +)))
        XCTAssertEqual(result.state.minresIterations.count, candidates)
        // Test: the input network, every accepted point, every curve sample.
        XCTAssertEqual(phases.test, EvaluationCounts(objectives: 1 + front.points.count + front.curve.count, gradients: 0, hvps: 0))
        XCTAssertEqual(front.curve.count, 4)

        // Written to front.json under evaluations_by_phase, absent phases absent (not null).
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("front.json"))) as? [String: Any])
        let byPhase = try XCTUnwrap(json["evaluations_by_phase"] as? [String: Any])
        XCTAssertEqual(Set(byPhase.keys), ["seed", "tangent", "correction", "test"])
        XCTAssertEqual((byPhase["tangent"] as? [String: Any])?["hvps"] as? Int, hvps)
        // timing.json separates the mini-batch gradients' mean time.
        let timing = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("timing.json"))) as? [String: Any])
        XCTAssertNotNil(timing["mini_batch_gradient_seconds_mean"])
    }

    private struct Killed: Error {}

    /// A mini-batch run killed after point 2 and resumed writes the same front.json, byte for
    /// byte, as an uninterrupted one: every candidate's batches come from its own stream, and
    /// the phase counts survive the resume.
    func testResumedMiniBatchRunRepeatsTheFront() throws {
        let data = try Self.makeData()
        let x0 = try Self.seedParameters.get()
        var options = NetworkExpansionOptions()
        options.expansion.points = 5
        options.expansion.stepSize = 0.1
        options.expansion.direction = DirectionOptions(method: .tangent, minresIterations: 4, minresTolerance: 1e-12, damping: 0.1)
        options.expansion.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: 0.05, maxIterations: 3, stationarityTolerance: 0, miniBatch: MiniBatchOptimization(seed: 4))
        options.seedSteps = 30
        options.seedCheckEvery = 10
        options.force = true
        options.curveSamples = 3
        let whole = try temporaryDirectory("whole"), killed = try temporaryDirectory("killed")
        let reference = try NetworkExpansion(data: data, options: options, directory: whole).run(from: x0).front
        let interrupted = try NetworkExpansion(data: data, options: options, directory: killed)
        interrupted.onSaved = { id in if id == 2 { throw Killed() } }
        XCTAssertThrowsError(try interrupted.run(from: x0)) { XCTAssertTrue($0 is Killed) }
        var otherBatch = options
        otherBatch.expansion.optimize.maxIterations = 4
        XCTAssertThrowsError(try NetworkExpansion(data: data, options: otherBatch, directory: killed).resume(input: x0))
        let resumed = try NetworkExpansion(data: data, options: options, directory: killed).resume(input: x0).front
        XCTAssertEqual(resumed, reference)
        XCTAssertEqual(
            try Data(contentsOf: killed.appendingPathComponent("front.json")), try Data(contentsOf: whole.appendingPathComponent("front.json")))
        XCTAssertNotNil(reference.evaluationsByPhase)
    }

    // MARK: Stationary seeds

    /// Without `force`, a seed that stays above the tolerance stops the run before anything is
    /// written, with the numbers; a reachable tolerance expands, and the recorded stationarity
    /// is the independently recomputed one.
    func testNonStationarySeedIsRefusedUnlessForced() throws {
        let data = try Self.makeData()
        let x0 = try Self.seedParameters.get()
        var options = NetworkExpansionOptions()
        options.expansion.points = 3
        options.expansion.direction = DirectionOptions(method: .tangent, minresIterations: 4, minresTolerance: 1e-12, damping: 0.1)
        options.expansion.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: 0.05, maxIterations: 2, stationarityTolerance: 0, miniBatch: MiniBatchOptimization(seed: 2))
        options.expansion.stepSize = 0.1
        options.seedSteps = 20
        options.seedCheckEvery = 5
        options.seedStationarityTolerance = 1e-6
        options.curveSamples = 2
        let refused = try temporaryDirectory("refused")
        XCTAssertThrowsError(try NetworkExpansion(data: data, options: options, directory: refused).run(from: x0)) { error in
            guard case NetworkRunError.nonStationarySeed(let before, let after, let tolerance, let steps) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(before, (try? self.independentRelativeStationarity(data, x0)) ?? -1, accuracy: 1e-4)
            XCTAssertGreaterThan(after, 1e-6)
            XCTAssertEqual(tolerance, 1e-6)
            XCTAssertEqual(steps, 20)
            XCTAssertTrue("\(error)".contains("force"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.appendingPathComponent("state.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.appendingPathComponent("points").path))

        options.force = true
        let forced = try NetworkExpansion(data: data, options: options, directory: try temporaryDirectory("forced")).run(from: x0)
        let stationarity = try XCTUnwrap(forced.front.stationarity)
        XCTAssertEqual(stationarity.converged, false)
        // Float32 engine vs double tape: the ratio amplifies rounding of the gradients.
        XCTAssertEqual(stationarity.after, try independentRelativeStationarity(data, forced.state.points[0].parameters), accuracy: 2e-3)

        // A tolerance above the input's stationarity: no steps, converged, no force needed.
        options.force = false
        options.seedStationarityTolerance = 0.999
        let direct = try NetworkExpansion(data: data, options: options, directory: try temporaryDirectory("direct")).run(from: x0)
        XCTAssertEqual(direct.front.stationarity?.steps, 0)
        XCTAssertEqual(direct.front.stationarity?.converged, true)
        XCTAssertEqual(direct.state.points[0].parameters, x0)
    }

    /// A front.json written before `evaluations_by_phase` and the seed's `steps` / `converged`
    /// existed still decodes (the keys are optional).
    func testOldFrontFileDecodes() throws {
        let old = """
            {"problem": "multimnist", "seed": 1, "method": "tangent", "reference": [1, 1], "hypervolume": 0.4,
             "points_hypervolume": 0.3, "points": [{"id": 0, "objectives": [0.5, 0.6]}], "curve": [],
             "evaluations": {"objectives": 3, "gradients": 2, "hvps": 1}, "candidates": 0, "rejected": 0,
             "stationarity": {"before": 0.6, "after": 0.5}}
            """
        let front = try JSONDecoder().decode(FrontFile.self, from: Data(old.utf8))
        XCTAssertNil(front.evaluationsByPhase)
        XCTAssertEqual(front.stationarity, FrontFile.Stationarity(before: 0.6, after: 0.5))
        XCTAssertEqual(front.evaluations.total, 6)
    }
}
