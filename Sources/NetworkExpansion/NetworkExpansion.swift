import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training

/// How a network expansion makes new points.
public enum NetworkExpansionMethod: String, Sendable, Codable, CaseIterable {
    /// Algorithm 1 with tangent directions (MINRES on the tangent system, Ma et al. eq. 6).
    case tangent
    /// Algorithm 1 with the right-hand side itself as direction (``DirectionMethod/gradient``).
    case gradient
    /// The WeightedSum baseline of the necessity test (Ma et al. §6.1): gradient descent from
    /// the seed on `Σ wᵢ fᵢ` for each one-hot `w` and for equal weights, with a fixed
    /// evaluation budget shared evenly between the trajectories; full-batch steps, or the
    /// paper's SGD on mini-batches (``NetworkExpansionOptions/weightedSumOptimizer``).
    case weightedSum = "weighted-sum"
}

/// The steps of the WeightedSum baseline (``NetworkExpansionMethod/weightedSum``).
public enum WeightedSumOptimizer: String, Sendable, Codable, CaseIterable {
    /// `x ← x − η Σ wᵢ ∇fᵢ(x)` on the full training objectives: one full-set gradient
    /// evaluation per step, which is also the recorded point's evaluation.
    case fullBatch = "gd"
    /// Plain SGD, `x ← x − η Σ wᵢ ∇f_{B,i}(x)` on a fresh seeded mini-batch `B` of
    /// ``NetworkObjectiveData/miniBatchSize`` composites per step (one mini-batch gradient
    /// evaluation, Ma et al.'s unit), the baseline of the paper's §6.1. Trajectory `j` (0-based:
    /// the one-hot weights first, equal weights last) draws its batches with
    /// ``MiniBatchSource/draw(using:)`` from `SeededGenerator(seed: ExpansionOptions.seed,
    /// stream: 0x5753_4744 << 32 ^ j)` ("WSGD"), so a run repeats exactly. A recorded point is
    /// evaluated on the full training objectives for its train loss and stationarity; those
    /// evaluations are counted in phase ``EvaluationPhase/other``, outside the budget.
    case stochastic = "sgd"
}

/// Options of a network expansion.
public struct NetworkExpansionOptions: Sendable, Equatable {
    /// Algorithm 1 (K, N, s, the tangent solve, ParetoOptimize after each step, steering, β seed).
    public var expansion = ExpansionOptions()
    /// Tangent, gradient or the weighted-sum baseline.
    public var method: NetworkExpansionMethod = .tangent
    /// The seed is brought to relative stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` (measured on the
    /// full training objectives, never on a mini-batch) at most this before expanding, by MGDA
    /// steps: on mini-batches when ``ExpansionOptions/optimize`` steps on mini-batches, else
    /// full-set steps with Armijo.
    public var seedStationarityTolerance = 0.05
    /// ParetoOptimize steps at most for the seed (mini-batch steps for mini-batch runs).
    public var seedSteps = 50
    /// Mini-batch seeds: the full-set stationarity is measured before the first step and every
    /// this many steps (each measurement one full-set gradient evaluation); the steps stop at the
    /// first measurement within the tolerance.
    public var seedCheckEvery = 25
    /// Expand a seed whose stationarity stays above ``seedStationarityTolerance`` after
    /// ``seedSteps`` steps; otherwise the run stops with ``NetworkRunError/nonStationarySeed(before:after:tolerance:steps:)``
    /// before anything is written (a tangent step from a non-stationary point is partly plain
    /// descent, Ma et al. §4.1).
    public var force = false
    /// Samples of the continuous curve (evenly spaced `t` in `[−1, 1]`), each a test evaluation.
    public var curveSamples = 21
    /// The hypervolume reference point (test loss per task); `nil`: ``referenceScale`` times
    /// the input seed's test loss.
    public var reference: [Double]? = nil
    /// See ``reference``.
    public var referenceScale = 2.0
    /// Weighted-sum baseline: evaluations (gradient steps) in all; `nil`: the cap of a tangent
    /// run, `(N − 1)·(k + optimize steps + 1)`.
    public var weightedSumBudget: Int? = nil
    /// Weighted-sum baseline: the gradient-descent learning rate.
    public var weightedSumStepSize = 0.01
    /// Weighted-sum baseline: full-batch gradient descent, or SGD on mini-batches as in
    /// Ma et al. §6.1 ("runs SGD from the last Pareto optimal solution").
    public var weightedSumOptimizer: WeightedSumOptimizer = .fullBatch

    /// The defaults above.
    public init() {}

    /// The evaluation budget of the weighted-sum baseline.
    public var resolvedWeightedSumBudget: Int {
        weightedSumBudget
            ?? max(1, expansion.points - 1) * (expansion.direction.minresIterations + expansion.optimize.maxIterations + 1)
    }
}

/// Progress of a network expansion, for progress lines.
public struct NetworkExpansionProgress: Sendable {
    /// Points accepted so far.
    public var accepted: Int
    /// Points to accept.
    public var target: Int
    /// Candidates tried so far.
    public var candidates: Int
    /// The last MINRES residual norm (tangent runs).
    public var lastResidual: Double?
    /// Test-loss hypervolume of the accepted points so far.
    public var hypervolume: Double
    /// Evaluations of this process so far.
    public var evaluations: EvaluationCounts
}

/// The result of a network expansion.
public struct NetworkExpansionResult {
    /// The contents of `front.json`.
    public var front: FrontFile
    /// The contents of `timing.json`: wall-clock costs (all sessions of the run).
    public var timing: FrontFile.Timing
    /// Algorithm 1's final state (points reloaded on resume have no `direction`).
    public var state: ExpansionState
    /// The continuous parametrisation.
    public var set: ContinuousParetoSet
}

/// Algorithm 1 of Ma et al. (2020) on a network's parameters, with a run directory:
///
///     DIR/points/NNNN.safetensors   every accepted network (F64, exact, atomic)
///     DIR/state.json                ``NetworkRunRecord``, rewritten after each accepted point
///     DIR/front.json, front.csv     ``FrontFile`` at the end (points with checkpoints and test metrics)
///     DIR/timing.json               wall-clock costs (``FrontFile/Timing``), apart so front.json repeats exactly
///
/// Objectives, gradients and HVPs are those of ``NetworkObjectiveData``. The seed is first
/// brought to relative stationarity ≤ ``NetworkExpansionOptions/seedStationarityTolerance``
/// by ParetoOptimize. A run interrupted at any moment continues with ``resume()``: accepted
/// points are reloaded from their checkpoints and re-evaluated (deterministically), and
/// Algorithm 1 continues from the saved counters; β draws are per point id, so the resumed
/// run accepts the same points as an uninterrupted one.
public final class NetworkExpansion<Model: MultiTaskModel> {
    /// The network, the data and the objectives.
    public let data: NetworkObjectiveData<Model>
    /// The options.
    public let options: NetworkExpansionOptions
    /// The run directory.
    public let directory: URL
    /// The objective (its counts and timings cover this process only).
    public let objective: ParetoObjective
    /// Called after each accepted point is saved, with its id (to stop a run, throw).
    public var onSaved: (Int) throws -> Void = { _ in }
    /// Called after each candidate.
    public var onProgress: (NetworkExpansionProgress) -> Void = { _ in }
    /// Called once the seed's ParetoOptimize has finished, with its stationarity, before the
    /// run stops on a non-stationary seed or expands it (to warn when ``NetworkExpansionOptions/force`` is set).
    public var onSeed: (FrontFile.Stationarity) -> Void = { _ in }

    private var sessionStart = Date()
    private var sessionCounts = EvaluationCounts()
    private var sessionGradientSeconds = 0.0
    private var sessionHVPSeconds = 0.0
    private var savedCounts = EvaluationCounts()
    private var savedGradientSeconds = 0.0
    private var savedHVPSeconds = 0.0
    private var savedElapsed = 0.0
    private var lastAccept = Date()
    private var sessionPhases = EvaluationsByPhase()
    /// `nil` when resuming a state written before phases were counted.
    private var savedPhases: EvaluationsByPhase? = EvaluationsByPhase()
    private var sessionMiniBatchGradients = 0
    private var sessionMiniBatchSeconds = 0.0
    private var savedMiniBatchGradients = 0
    private var savedMiniBatchSeconds = 0.0
    /// Test-set evaluations of this process (input, accepted points, curve samples).
    private var testEvaluations = 0

    /// A run of `options` on `data` in `directory` (nothing is written until ``run(from:)`` or ``resume()``).
    public init(data: NetworkObjectiveData<Model>, options: NetworkExpansionOptions, directory: URL) throws {
        self.data = data
        self.options = options
        self.directory = directory
        objective = try data.makeObjective()
    }

    private var stateURL: URL { directory.appendingPathComponent("state.json") }

    /// Everything that shapes the result, which a resumed run must share with the original:
    /// the options (all but ``ExpansionOptions/points``, which a resume may raise to grow the
    /// run) and the data's identity (digests of the composites and of the HVP mini-batch, so
    /// another data set, source, seed or size is refused whatever its name). The input
    /// network's digest is checked separately (``resume(input:)``).
    var configuration: [String: String] {
        let e = options.expansion
        var hvp = ContentDigest()
        hvp.combine(data.hvpIndices)
        return [
            "architecture": data.model.architecture, "engine": data.engine, "dataset": datasetName,
            "method": options.method.rawValue, "directions": "\(e.directions)",
            "step_size": "\(e.stepSize)", "minres_iterations": "\(e.direction.minresIterations)",
            "minres_tolerance": "\(e.direction.minresTolerance)", "damping": "\(e.direction.damping)",
            "optimize_steps": "\(e.optimize.maxIterations)", "optimize_step_size": "\(e.optimize.stepSize)",
            "optimize_method": "\(e.optimize.method)" + (e.optimize.miniBatch == nil ? "" : " on mini-batches"),
            "seed": "\(e.seed)", "steering": e.steering.rawValue,
            "stationarity_tolerance": e.optimize.relativeStationarityTolerance.map { "\($0)" } ?? "\(e.optimize.stationarityTolerance) (absolute)",
            "seed_stationarity_tolerance": "\(options.seedStationarityTolerance)", "seed_steps": "\(options.seedSteps)",
            "reference": options.reference.map { "\($0)" } ?? "\(options.referenceScale) × the input network's test loss",
            "curve_samples": "\(options.curveSamples)", "max_candidates_factor": "\(e.maxCandidatesFactor)",
            "chunk_size": "\(data.chunkSize)",
            "train_images": "\(data.train.count)", "test_images": "\(data.test.count)", "hvp_images": "\(data.hvpIndices.count)",
            "train_data": data.train.digest, "test_data": data.test.digest, "hvp_batch": hvp.hex,
        ].merging(miniBatchConfiguration) { $1 }
            .merging(options.method == .weightedSum && options.weightedSumOptimizer == .stochastic
                     ? ["weighted_sum_optimizer": options.weightedSumOptimizer.rawValue] : [:]) { $1 }
    }

    /// The keys only mini-batch runs have (so that older full-set runs still resume).
    private var miniBatchConfiguration: [String: String] {
        guard options.expansion.optimize.miniBatch != nil else { return [:] }
        return ["optimize_batch": data.miniBatchSize.map { "\($0)" } ?? "-", "seed_check_every": "\(options.seedCheckEvery)"]
    }

    /// The data set's name as recorded in the front file (`multimnist`, `multifashion-14`, …).
    var datasetName: String {
        data.train.composite?.name(side: data.train.side) ?? "multidigit-\(data.train.side)"
    }

    /// The expansion options with the seed's ParetoOptimize and the method's directions.
    var expansionOptions: ExpansionOptions {
        var e = options.expansion
        if options.method == .gradient { e.direction.method = .gradient }
        if options.method == .tangent { e.direction.method = .tangent }
        var seed = e.optimize
        seed.method = .mgda
        seed.maxIterations = options.seedSteps
        seed.stationarityTolerance = 0
        seed.relativeStationarityTolerance = options.seedStationarityTolerance
        if var miniBatch = seed.miniBatch {
            miniBatch.checkEvery = options.seedCheckEvery
            seed.miniBatch = miniBatch
        }
        e.seedOptimize = seed
        return e
    }

    /// Test loss and accuracy of `x`, counted as one test-set evaluation.
    private func testMetrics(_ x: [Double]) throws -> EvaluationResult {
        testEvaluations += 1
        return try data.testMetrics(x)
    }

    // MARK: Bookkeeping

    private func markSession() {
        sessionStart = Date()
        lastAccept = sessionStart
        sessionCounts = objective.counts
        sessionGradientSeconds = objective.gradientSeconds
        sessionHVPSeconds = objective.hvpSeconds
        sessionPhases = objective.countsByPhase
        sessionMiniBatchGradients = objective.miniBatchGradients
        sessionMiniBatchSeconds = objective.miniBatchSeconds
    }

    func update(_ record: inout NetworkRunRecord) {
        let c = objective.counts
        record.evaluations = EvaluationCounts(
            objectives: savedCounts.objectives + c.objectives - sessionCounts.objectives,
            gradients: savedCounts.gradients + c.gradients - sessionCounts.gradients,
            hvps: savedCounts.hvps + c.hvps - sessionCounts.hvps)
        record.gradientSeconds = savedGradientSeconds + objective.gradientSeconds - sessionGradientSeconds
        record.hvpSeconds = savedHVPSeconds + objective.hvpSeconds - sessionHVPSeconds
        record.elapsedSeconds = savedElapsed + Date().timeIntervalSince(sessionStart)
        if let savedPhases {
            var phases = savedPhases + (objective.countsByPhase - sessionPhases)
            phases[.test] = savedPhases[.test] + EvaluationCounts(objectives: testEvaluations)
            record.evaluationsByPhase = phases
        } else {
            record.evaluationsByPhase = nil
        }
        let miniBatches = savedMiniBatchGradients + objective.miniBatchGradients - sessionMiniBatchGradients
        if miniBatches > 0 || record.miniBatchGradients != nil {
            record.miniBatchGradients = miniBatches
            record.miniBatchSeconds = savedMiniBatchSeconds + objective.miniBatchSeconds - sessionMiniBatchSeconds
        }
    }

    func save(_ record: NetworkRunRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(record), to: stateURL)
    }

    /// Writes the checkpoint of `point`, evaluates it on the test set and appends it to `record`.
    func accept(_ point: ExpansionPoint, into record: inout NetworkRunRecord) throws {
        let name = String(format: "points/%04d.safetensors", point.id)
        let metrics = try testMetrics(point.parameters)
        let metadata = CheckpointMetadata(
            architecture: data.model.architecture, method: "expand-\(options.method.rawValue)",
            seed: options.expansion.seed,
            metrics: CheckpointMetrics(
                testLoss: metrics.loss, testAccuracy: metrics.accuracy, trainLoss: point.objectives,
                testImages: data.test.count, trainImages: data.train.count),
            other: ["expansion_id": "\(point.id)", "expansion_parent": point.parent.map(String.init) ?? ""])
        let checkpoint = try Checkpoint(layout: data.model.layout, parameters: point.parameters, precision: .float64, metadata: metadata)
        try checkpoint.write(to: directory.appendingPathComponent(name))
        record.points.append(NetworkRunRecord.Point(
            id: point.id, parent: point.parent, heading: point.heading, directionIndex: point.directionIndex,
            minresIterations: point.minresIterations, residualNorms: point.residualNorms,
            optimizeIterations: point.optimizeIterations, checkpoint: name, trainLoss: point.objectives,
            testLoss: metrics.loss, testAccuracy: metrics.accuracy, stationarity: point.point.relativeStationarity))
        let now = Date()
        record.stepSeconds.append(point.id == 0 ? 0 : now.timeIntervalSince(lastAccept))
        lastAccept = now
    }

    func hypervolume(_ record: NetworkRunRecord) -> Double {
        (try? Hypervolume.compute(record.points.map(\.testLoss), reference: record.reference)) ?? 0
    }

    // MARK: Running

    /// Starts a run from the input network `x0` in an empty (or new) directory.
    /// - Throws: ``NetworkRunError/existingRun(_:)`` if the directory holds a run;
    ///   ``NetworkRunError/nonStationarySeed(before:after:tolerance:steps:)`` if the seed does
    ///   not reach the stationarity tolerance within its steps (unless forced; nothing is
    ///   written then); errors of the objective, the files or Algorithm 1.
    public func run(from x0: [Double]) throws -> NetworkExpansionResult {
        let lock = try RunDirectoryLock(directory: directory)
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: stateURL.path) { throw NetworkRunError.existingRun(directory.path) }
        if options.expansion.steering == .bothWays && data.model.taskCount != 2 {
            throw ExpansionError.invalidOption("both-ways steering needs two tasks")
        }
        if options.expansion.optimize.miniBatch != nil && data.miniBatchSize == nil {
            throw ExpansionError.invalidOption("mini-batch ParetoOptimize needs NetworkObjectiveData with a miniBatchSize")
        }
        if options.method == .weightedSum && options.weightedSumOptimizer == .stochastic && data.miniBatchSize == nil {
            throw ExpansionError.invalidOption("the SGD weighted-sum baseline needs NetworkObjectiveData with a miniBatchSize")
        }
        guard options.seedCheckEvery >= 1 else {
            throw ExpansionError.invalidOption("the seed's stationarity check interval must be at least 1 step, got \(options.seedCheckEvery)")
        }
        markSession()
        let input = try testMetrics(x0)
        let reference = options.reference ?? input.loss.map { $0 * options.referenceScale }
        guard reference.count == data.model.taskCount else {
            throw ExpansionError.dimensionMismatch(argument: "reference", expected: data.model.taskCount, actual: reference.count)
        }
        let (state, optimization) = try ParetoExpansion.start(objective, from: x0, options: expansionOptions)
        let tolerance = options.seedStationarityTolerance
        let after = optimization.point.relativeStationarity
        let stationarity = FrontFile.Stationarity(
            before: optimization.initialRelativeStationarity, after: after, tolerance: tolerance,
            steps: optimization.iterations, converged: after <= tolerance)
        onSeed(stationarity)
        if after > tolerance && !options.force {
            throw NetworkRunError.nonStationarySeed(
                before: stationarity.before, after: after, tolerance: tolerance, steps: optimization.iterations)
        }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("points"), withIntermediateDirectories: true)
        var record = NetworkRunRecord(
            method: options.method.rawValue, configuration: configuration.merging(["input": ContentDigest.of(x0)]) { $1 },
            reference: reference,
            inputTestLoss: input.loss, inputTestAccuracy: input.accuracy,
            stationarity: stationarity)
        try accept(state.points[0], into: &record)
        update(&record)
        try save(record)
        try onSaved(0)
        return try proceed(state, record)
    }

    /// Continues the run saved in the directory.
    /// - Parameter input: the input network the run was started from, if known: refused if it
    ///   is not the one recorded (its digest), like any other difference.
    /// - Throws: ``NetworkRunError`` if there is no run, ``NetworkRunError/incompatibleResume(key:saved:requested:)``
    ///   naming the first option or data that differ, ``RunLockError`` if a running process
    ///   holds the directory.
    public func resume(input: [Double]? = nil) throws -> NetworkExpansionResult {
        let lock = try RunDirectoryLock(directory: directory)
        defer { lock.release() }
        guard FileManager.default.fileExists(atPath: stateURL.path) else { throw NetworkRunError.noRun(directory.path) }
        let record: NetworkRunRecord
        do {
            record = try JSONDecoder().decode(NetworkRunRecord.self, from: try Data(contentsOf: stateURL))
        } catch let error as DecodingError {
            throw NetworkRunError.corruptState(path: stateURL.path, reason: FrontFileError.describe(error))
        }
        var requested = configuration
        if let input { requested["input"] = ContentDigest.of(input) }
        // Options first, then the digests they imply, so the message names the direct cause
        // (another --train-size changes the composites' digest too).
        let digests = ["train_data", "test_data", "hvp_batch", "input"]
        for key in requested.keys.filter({ !digests.contains($0) }).sorted() + digests.filter(requested.keys.contains)
        where record.configuration[key] != requested[key] {
            throw NetworkRunError.incompatibleResume(key: key, saved: record.configuration[key] ?? "-", requested: requested[key]!)
        }
        if options.method == .weightedSum {
            throw NetworkRunError.unsupported("the weighted-sum baseline cannot be resumed; run it again")
        }
        var points: [ExpansionPoint] = []
        for saved in record.points {
            let checkpoint = try Checkpoint.load(from: directory.appendingPathComponent(saved.checkpoint), model: data.model)
            points.append(ExpansionPoint(
                id: saved.id, parent: saved.parent, heading: saved.heading, directionIndex: saved.directionIndex,
                point: try EvaluatedPoint(objective, at: checkpoint.parameters), direction: nil,
                minresIterations: saved.minresIterations, residualNorms: saved.residualNorms,
                optimizeIterations: saved.optimizeIterations))
        }
        guard let seed = points.first else { throw NetworkRunError.noRun(directory.path) }
        var state = ExpansionState(seed: seed)
        state.points = points
        state.nextToExpand = record.nextToExpand
        state.nextDirection = record.nextDirection
        state.candidates = record.candidates
        state.rejected = record.rejected
        state.optimizeIterations = record.optimizeIterations
        state.minresIterations = record.minresIterations
        state.failures = record.failures ?? []
        savedCounts = record.evaluations
        savedGradientSeconds = record.gradientSeconds
        savedHVPSeconds = record.hvpSeconds
        savedElapsed = record.elapsedSeconds
        savedPhases = record.evaluationsByPhase
        savedMiniBatchGradients = record.miniBatchGradients ?? 0
        savedMiniBatchSeconds = record.miniBatchSeconds ?? 0
        markSession()
        testEvaluations = 0
        return try proceed(state, record)
    }

    private func proceed(_ initial: ExpansionState, _ initialRecord: NetworkRunRecord) throws -> NetworkExpansionResult {
        var record = initialRecord
        let state: ExpansionState
        switch options.method {
        case .tangent, .gradient:
            state = try ParetoExpansion.run(
                objective, state: initial, options: expansionOptions,
                onAccept: { current in
                    try accept(current.points.last!, into: &record)
                    record.copyCounters(from: current)
                    update(&record)
                    try save(record)
                    try onSaved(current.points.count - 1)
                },
                onProgress: { progress in
                    onProgress(NetworkExpansionProgress(
                        accepted: progress.accepted, target: progress.target, candidates: progress.candidates,
                        lastResidual: progress.lastResidual, hypervolume: hypervolume(record), evaluations: progress.evaluations))
                })
        case .weightedSum:
            state = try objective.withPhase(.baseline) { try weightedSumBaseline(from: initial, record: &record) }
        }
        record.copyCounters(from: state)
        update(&record)
        try save(record)
        return try finish(state, record)
    }

    /// Samples the curve, writes front.json and front.csv.
    private func finish(_ state: ExpansionState, _ record: NetworkRunRecord) throws -> NetworkExpansionResult {
        let set = ContinuousParetoSet(state)
        var curveEvaluations = 0
        let curve = set.chain.count > 1
            ? try set.family.sampleCurve(count: options.curveSamples) { x in
                let metrics = try data.testMetrics(x)
                curveEvaluations += 1
                return SampleEvaluation(objectives: metrics.loss, accuracy: metrics.accuracy)
            }
            : []
        let points = record.points.map { p in
            FrontFile.Point(
                id: p.id, parent: p.parent, t: set.parameter(ofPoint: p.id), checkpoint: p.checkpoint, objectives: p.trainLoss,
                favours: p.heading.map { $0 + 1 }, trainLoss: p.trainLoss, testLoss: p.testLoss, testAccuracy: p.testAccuracy,
                minresIterations: p.minresIterations, optimizeIterations: p.optimizeIterations, stationarity: p.stationarity)
        }
        let testLosses = record.points.map(\.testLoss)
        let after = try Hypervolume.compute(testLosses + curve.map(\.objectives), reference: record.reference)
        let e = record.evaluations
        let phases = record.evaluationsByPhase.map { recorded -> EvaluationsByPhase in
            var phases = recorded
            phases[.test] = recorded[.test] + EvaluationCounts(objectives: curveEvaluations)
            return phases
        }
        let front = FrontFile(
            problem: datasetName, architecture: data.model.architecture,
            seed: options.expansion.seed, method: options.method.rawValue, reference: record.reference,
            referenceRule: options.reference == nil
                ? "\(options.referenceScale) × the input network's test loss" : "given",
            hypervolume: after, hypervolumeBefore: try Hypervolume.compute([record.inputTestLoss], reference: record.reference),
            hypervolumeAfter: after, pointsHypervolume: try Hypervolume.compute(testLosses, reference: record.reference),
            points: points, curve: curve.map(FrontFile.Sample.init), evaluations: e, candidates: record.candidates,
            rejected: record.rejected, failures: record.failures, stationarity: record.stationarity,
            trainImages: data.train.count, testImages: data.test.count, hvpImages: data.hvpIndices.count,
            evaluationsByPhase: phases)
        let miniBatches = record.miniBatchGradients ?? 0
        let fullGradients = e.gradients - miniBatches
        let timing = FrontFile.Timing(
            totalSeconds: record.elapsedSeconds, stepSeconds: record.stepSeconds,
            hvpSecondsMean: e.hvps > 0 ? record.hvpSeconds / Double(e.hvps) : 0,
            gradientSecondsMean: fullGradients > 0 ? record.gradientSeconds / Double(fullGradients) : 0,
            minresIterations: record.minresIterations,
            miniBatchGradientSecondsMean: miniBatches > 0 ? (record.miniBatchSeconds ?? 0) / Double(miniBatches) : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(timing), to: directory.appendingPathComponent("timing.json"))
        try front.write(to: directory)
        return NetworkExpansionResult(front: front, timing: timing, state: state, set: set)
    }
}
