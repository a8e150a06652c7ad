import Datasets
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
    /// The WeightedSum baseline of the necessity test (Ma et al. §6.1): full-batch gradient
    /// descent from the seed on `Σ wᵢ fᵢ` for each one-hot `w` and for equal weights, with a
    /// fixed evaluation budget shared evenly between the trajectories.
    case weightedSum = "weighted-sum"
}

/// Options of a network expansion.
public struct NetworkExpansionOptions: Sendable, Equatable {
    /// Algorithm 1 (K, N, s, the tangent solve, ParetoOptimize after each step, steering, β seed).
    public var expansion = ExpansionOptions()
    /// Tangent, gradient or the weighted-sum baseline.
    public var method: NetworkExpansionMethod = .tangent
    /// The seed is brought to relative stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` at most this
    /// before expanding.
    public var seedStationarityTolerance = 0.05
    /// ParetoOptimize steps at most for the seed.
    public var seedSteps = 50
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

    /// The defaults above.
    public init() {}

    /// The evaluation budget of the weighted-sum baseline.
    public var resolvedWeightedSumBudget: Int {
        weightedSumBudget
            ?? max(1, expansion.points - 1) * (expansion.direction.minresIterations + expansion.optimize.maxIterations + 1)
    }
}

/// The `state.json` of a network run: everything needed to continue an interrupted run
/// without losing or repeating points (the counters of ``ExpansionState``, each accepted
/// point's place in the tree and its checkpoint, evaluation counts and timings so far).
public struct NetworkRunRecord: Codable, Sendable, Equatable {
    /// One accepted point.
    public struct Point: Codable, Sendable, Equatable {
        public var id: Int
        public var parent: Int?
        public var heading: Int?
        public var directionIndex: Int
        public var minresIterations: Int
        public var residualNorms: [Double]
        public var optimizeIterations: Int
        /// Path of its checkpoint relative to the run directory.
        public var checkpoint: String
        /// Training objectives `f(x)`.
        public var trainLoss: [Double]
        public var testLoss: [Double]
        public var testAccuracy: [Double]
        /// Relative stationarity at the point.
        public var stationarity: Double

        enum CodingKeys: String, CodingKey {
            case id, parent, heading, checkpoint, stationarity
            case directionIndex = "direction_index", minresIterations = "minres_iterations", residualNorms = "residual_norms"
            case optimizeIterations = "optimize_iterations", trainLoss = "train_loss", testLoss = "test_loss"
            case testAccuracy = "test_accuracy"
        }
    }

    /// Relative stationarity of the seed before and after its ParetoOptimize.
    public struct Stationarity: Codable, Sendable, Equatable {
        public var before: Double
        public var after: Double
    }

    public var version = 1
    public var method: String
    /// Options and data that must agree on resume.
    public var configuration: [String: String]
    public var reference: [Double]
    /// Test loss and accuracy of the input network (before its ParetoOptimize).
    public var inputTestLoss: [Double]
    public var inputTestAccuracy: [Double]
    public var stationarity: Stationarity
    public var points: [Point] = []
    public var nextToExpand = 0
    public var nextDirection = 0
    public var candidates = 0
    public var rejected = 0
    public var optimizeIterations = 0
    public var minresIterations: [Int] = []
    /// Evaluations so far (re-evaluations on resume not included).
    public var evaluations = EvaluationCounts()
    public var gradientSeconds = 0.0
    public var hvpSeconds = 0.0
    /// Wall-clock seconds so far.
    public var elapsedSeconds = 0.0
    /// Wall-clock seconds from the previous accepted point (or the start) to each accepted point.
    public var stepSeconds: [Double] = []

    enum CodingKeys: String, CodingKey {
        case version, method, configuration, reference, stationarity, points, candidates, rejected, evaluations
        case inputTestLoss = "input_test_loss", inputTestAccuracy = "input_test_accuracy"
        case nextToExpand = "next_to_expand", nextDirection = "next_direction", optimizeIterations = "optimize_iterations"
        case minresIterations = "minres_iterations", gradientSeconds = "gradient_seconds", hvpSeconds = "hvp_seconds"
        case elapsedSeconds = "elapsed_seconds", stepSeconds = "step_seconds"
    }
}

extension NetworkRunRecord {
    /// Takes Algorithm 1's counters (queue position, candidates, rejections, iterations) from `state`.
    mutating func copyCounters(from state: ExpansionState) {
        nextToExpand = state.nextToExpand
        nextDirection = state.nextDirection
        candidates = state.candidates
        rejected = state.rejected
        optimizeIterations = state.optimizeIterations
        minresIterations = state.minresIterations
    }
}

/// The `front.json` of a network run: the keys of ``FrontFile`` (`problem`, `seed`, `method`,
/// `reference`, `hypervolume`, `points`, `curve`, `evaluations`, …) with network fields. Points
/// carry a `checkpoint` path instead of their parameters; `objectives` are the training losses
/// (the objectives Algorithm 1 works on); hypervolumes are of **test** losses w.r.t.
/// `reference`. The curve samples `x(t)` and evaluates the test loss (`objectives`).
public struct NetworkFrontFile: Codable, Sendable, Equatable {
    /// One accepted point (the fields of ``FrontFile/Point`` with `checkpoint` instead of `parameters`).
    public struct Point: Codable, Sendable, Equatable {
        /// Acceptance order (0: the seed).
        public var id: Int
        /// The point it was grown from.
        public var parent: Int?
        /// `t` on the chain, or `nil` off the chain.
        public var t: Double?
        public var checkpoint: String
        /// Training losses `f(x)`.
        public var objectives: [Double]
        /// The objective its chain favours, 1-based (`null` for the seed).
        public var favours: Int?
        public var trainLoss: [Double]
        public var testLoss: [Double]
        public var testAccuracy: [Double]
        public var minresIterations: Int
        public var optimizeIterations: Int
        /// Relative stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖`.
        public var stationarity: Double

        enum CodingKeys: String, CodingKey {
            case id, parent, t, checkpoint, objectives, favours, stationarity
            case trainLoss = "train_loss", testLoss = "test_loss", testAccuracy = "test_accuracy"
            case minresIterations = "minres_iterations", optimizeIterations = "optimize_iterations"
        }
    }

    /// One sample `x(t)` of the continuous chain, evaluated on the test split.
    public struct CurveSample: Codable, Sendable, Equatable {
        /// `t ∈ [−1, 1]`.
        public var t: Double
        /// Test loss per task of `x(t)`.
        public var objectives: [Double]
        public var testAccuracy: [Double]
        public var dominated: Bool

        enum CodingKeys: String, CodingKey {
            case t, objectives, dominated
            case testAccuracy = "test_accuracy"
        }
    }

    /// Wall-clock costs of the run.
    public struct Timing: Codable, Sendable, Equatable {
        /// The whole run (all sessions, without the curve sampling).
        public var totalSeconds: Double
        /// Seconds from the previous accepted point to each accepted point (0 for the seed).
        public var stepSeconds: [Double]
        /// Mean seconds per Hessian-vector product.
        public var hvpSecondsMean: Double
        /// Mean seconds per gradient (Jacobian) evaluation.
        public var gradientSecondsMean: Double
        /// MINRES iterations of each tangent solve.
        public var minresIterations: [Int]

        enum CodingKeys: String, CodingKey {
            case totalSeconds = "total_seconds", stepSeconds = "step_seconds", hvpSecondsMean = "hvp_seconds_mean"
            case gradientSecondsMean = "gradient_seconds_mean", minresIterations = "minres_iterations"
        }
    }

    public var problem: String
    public var architecture: String
    public var seed: UInt64
    public var method: String
    public var reference: [Double]
    /// How ``reference`` was chosen.
    public var referenceRule: String
    /// Test-loss hypervolume of the continuous front (points and curve samples).
    public var hypervolume: Double
    /// Test-loss hypervolume of the input network alone.
    public var hypervolumeBefore: Double
    /// Equal to ``hypervolume``.
    public var hypervolumeAfter: Double
    /// Test-loss hypervolume of the accepted points alone.
    public var pointsHypervolume: Double
    public var points: [Point]
    public var curve: [CurveSample]
    public var evaluations: EvaluationCounts
    public var candidates: Int
    public var rejected: Int
    public var stationarity: NetworkRunRecord.Stationarity
    public var timing: Timing
    public var trainImages: Int
    public var testImages: Int
    public var hvpImages: Int

    enum CodingKeys: String, CodingKey {
        case problem, architecture, seed, method, reference, hypervolume, points, curve, evaluations, candidates, rejected
        case stationarity, timing
        case referenceRule = "reference_rule", hypervolumeBefore = "hypervolume_before", hypervolumeAfter = "hypervolume_after"
        case pointsHypervolume = "points_hypervolume", trainImages = "train_images", testImages = "test_images"
        case hvpImages = "hvp_images"
    }

    /// JSON bytes with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// The points as CSV: `id,parent,t,checkpoint,f1…fm,test_loss1…m,test_accuracy1…m`.
    public func csv() -> String {
        guard let first = points.first else { return "" }
        let m = first.objectives.count
        var header = ["id", "parent", "t", "checkpoint"]
        header += (1...m).map { "f\($0)" } + (1...m).map { "test_loss\($0)" } + (1...m).map { "test_accuracy\($0)" }
        var lines = [header.joined(separator: ",")]
        for p in points {
            var fields = ["\(p.id)", p.parent.map(String.init) ?? "", p.t.map { "\($0)" } ?? "", p.checkpoint]
            fields += (p.objectives + p.testLoss + p.testAccuracy).map { "\($0)" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
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
    public var front: NetworkFrontFile
    /// Algorithm 1's final state (points reloaded on resume have no `direction`).
    public var state: ExpansionState
    /// The continuous parametrisation.
    public var set: ContinuousParetoSet
}

/// Errors of network runs.
public enum NetworkRunError: Error, Equatable, CustomStringConvertible {
    case existingRun(String)
    case noRun(String)
    case incompatibleResume(key: String, saved: String, requested: String)
    case unsupported(String)
    case noChain(String)

    public var description: String {
        switch self {
        case .existingRun(let path): return "\(path) already holds a run (state.json); use --resume to continue it or choose another --out"
        case .noRun(let path): return "\(path) holds no run to resume or read (no state.json / front.json)"
        case .incompatibleResume(let key, let saved, let requested):
            return "cannot resume: the run was started with \(key) = \(saved), now \(requested)"
        case .unsupported(let reason): return reason
        case .noChain(let path): return "\(path): the front has no chain points with t"
        }
    }
}

/// Algorithm 1 of Ma et al. (2020) on a network's parameters, with a run directory:
///
///     DIR/points/NNNN.safetensors   every accepted network (F64, exact, atomic)
///     DIR/state.json                ``NetworkRunRecord``, rewritten after each accepted point
///     DIR/front.json, front.csv     ``NetworkFrontFile`` at the end
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

    private var sessionStart = Date()
    private var sessionCounts = EvaluationCounts()
    private var sessionGradientSeconds = 0.0
    private var sessionHVPSeconds = 0.0
    private var savedCounts = EvaluationCounts()
    private var savedGradientSeconds = 0.0
    private var savedHVPSeconds = 0.0
    private var savedElapsed = 0.0
    private var lastAccept = Date()

    /// A run of `options` on `data` in `directory` (nothing is written until ``run(from:)`` or ``resume()``).
    public init(data: NetworkObjectiveData<Model>, options: NetworkExpansionOptions, directory: URL) throws {
        self.data = data
        self.options = options
        self.directory = directory
        objective = try data.makeObjective()
    }

    private var stateURL: URL { directory.appendingPathComponent("state.json") }

    /// The options and data a resumed run must share with the original.
    var configuration: [String: String] {
        let e = options.expansion
        return [
            "architecture": data.model.architecture, "method": options.method.rawValue, "directions": "\(e.directions)",
            "step_size": "\(e.stepSize)", "minres_iterations": "\(e.direction.minresIterations)",
            "minres_tolerance": "\(e.direction.minresTolerance)", "damping": "\(e.direction.damping)",
            "optimize_steps": "\(e.optimize.maxIterations)", "optimize_step_size": "\(e.optimize.stepSize)",
            "optimize_method": "\(e.optimize.method)", "seed": "\(e.seed)", "steering": e.steering.rawValue,
            "train_images": "\(data.train.count)", "test_images": "\(data.test.count)", "hvp_images": "\(data.hvpIndices.count)",
        ]
    }

    /// The expansion options with the seed's ParetoOptimize and the method's directions.
    var expansionOptions: ExpansionOptions {
        var e = options.expansion
        if options.method == .gradient { e.direction.method = .gradient }
        if options.method == .tangent { e.direction.method = .tangent }
        var seed = e.optimize
        seed.maxIterations = options.seedSteps
        seed.stationarityTolerance = 0
        seed.relativeStationarityTolerance = options.seedStationarityTolerance
        e.seedOptimize = seed
        return e
    }

    // MARK: Bookkeeping

    private func markSession() {
        sessionStart = Date()
        lastAccept = sessionStart
        sessionCounts = objective.counts
        sessionGradientSeconds = objective.gradientSeconds
        sessionHVPSeconds = objective.hvpSeconds
    }

    private func update(_ record: inout NetworkRunRecord) {
        let c = objective.counts
        record.evaluations = EvaluationCounts(
            objectives: savedCounts.objectives + c.objectives - sessionCounts.objectives,
            gradients: savedCounts.gradients + c.gradients - sessionCounts.gradients,
            hvps: savedCounts.hvps + c.hvps - sessionCounts.hvps)
        record.gradientSeconds = savedGradientSeconds + objective.gradientSeconds - sessionGradientSeconds
        record.hvpSeconds = savedHVPSeconds + objective.hvpSeconds - sessionHVPSeconds
        record.elapsedSeconds = savedElapsed + Date().timeIntervalSince(sessionStart)
    }

    private func save(_ record: NetworkRunRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(record), to: stateURL)
    }

    /// Writes the checkpoint of `point`, evaluates it on the test set and appends it to `record`.
    private func accept(_ point: ExpansionPoint, into record: inout NetworkRunRecord) throws {
        let name = String(format: "points/%04d.safetensors", point.id)
        let metrics = try data.testMetrics(point.parameters)
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

    private func hypervolume(_ record: NetworkRunRecord) -> Double {
        (try? Hypervolume.compute(record.points.map(\.testLoss), reference: record.reference)) ?? 0
    }

    // MARK: Running

    /// Starts a run from the input network `x0` in an empty (or new) directory.
    /// - Throws: ``NetworkRunError/existingRun(_:)`` if the directory holds a run; errors of
    ///   the objective, the files or Algorithm 1.
    public func run(from x0: [Double]) throws -> NetworkExpansionResult {
        if FileManager.default.fileExists(atPath: stateURL.path) { throw NetworkRunError.existingRun(directory.path) }
        if options.expansion.steering == .bothWays && data.model.taskCount != 2 {
            throw ExpansionError.invalidOption("both-ways steering needs two tasks")
        }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("points"), withIntermediateDirectories: true)
        markSession()
        let input = try data.testMetrics(x0)
        let reference = options.reference ?? input.loss.map { $0 * options.referenceScale }
        guard reference.count == data.model.taskCount else {
            throw ExpansionError.dimensionMismatch(argument: "reference", expected: data.model.taskCount, actual: reference.count)
        }
        let (state, optimization) = try ParetoExpansion.start(objective, from: x0, options: expansionOptions)
        var record = NetworkRunRecord(
            method: options.method.rawValue, configuration: configuration, reference: reference,
            inputTestLoss: input.loss, inputTestAccuracy: input.accuracy,
            stationarity: .init(before: optimization.initialRelativeStationarity, after: optimization.point.relativeStationarity))
        try accept(state.points[0], into: &record)
        update(&record)
        try save(record)
        try onSaved(0)
        return try proceed(state, record)
    }

    /// Continues the run saved in the directory.
    /// - Throws: ``NetworkRunError`` if there is no run or it was made with other options.
    public func resume() throws -> NetworkExpansionResult {
        guard let bytes = try? Data(contentsOf: stateURL) else { throw NetworkRunError.noRun(directory.path) }
        let record = try JSONDecoder().decode(NetworkRunRecord.self, from: bytes)
        for (key, value) in configuration where record.configuration[key] != value {
            throw NetworkRunError.incompatibleResume(key: key, saved: record.configuration[key] ?? "-", requested: value)
        }
        if options.method == .weightedSum {
            throw NetworkRunError.unsupported("--resume is not available for the weighted-sum baseline; rerun it")
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
        savedCounts = record.evaluations
        savedGradientSeconds = record.gradientSeconds
        savedHVPSeconds = record.hvpSeconds
        savedElapsed = record.elapsedSeconds
        markSession()
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
            state = try weightedSumBaseline(from: initial, record: &record)
        }
        record.copyCounters(from: state)
        update(&record)
        try save(record)
        return try finish(state, record)
    }

    /// The WeightedSum baseline (see ``NetworkExpansionMethod/weightedSum``): trajectory `j`
    /// runs gradient descent `x ← x − η Σ wᵢ ∇fᵢ(x)` for `w = e_j` (recorded as the chain
    /// favouring `f_j`) and for equal weights (off the chain); each gets `budget / (m + 1)`
    /// steps of one gradient evaluation and records `(N − 1) / (m + 1)` evenly spaced points.
    private func weightedSumBaseline(from initial: ExpansionState, record: inout NetworkRunRecord) throws -> ExpansionState {
        var state = initial
        let m = data.model.taskCount
        let weights: [[Double]] = (0..<m).map { j in (0..<m).map { $0 == j ? 1 : 0 } } + [[Double](repeating: 1 / Double(m), count: m)]
        let steps = max(1, options.resolvedWeightedSumBudget / weights.count)
        let recorded = max(1, (options.expansion.points - 1) / weights.count)
        let every = max(1, steps / recorded)
        let eta = options.weightedSumStepSize
        guard eta > 0, eta.isFinite else { throw ExpansionError.invalidOption("weighted-sum step size must be positive, got \(eta)") }
        for (trajectory, w) in weights.enumerated() {
            var current = state.points[0].point
            var parent = 0
            var since = 0
            for step in 1...steps {
                var x = current.parameters
                for (weight, row) in zip(w, current.jacobian) where weight != 0 { Vectors.axpy(-eta * weight, row, &x) }
                current = try EvaluatedPoint(objective, at: x)
                since += 1
                state.candidates += 1
                if step % every == 0 && (step / every) <= recorded {
                    let point = ExpansionPoint(
                        id: state.points.count, parent: parent, heading: trajectory < m ? trajectory : nil, directionIndex: 0,
                        point: current, direction: nil, minresIterations: 0, residualNorms: [], optimizeIterations: since)
                    state.points.append(point)
                    state.optimizeIterations += since
                    since = 0
                    parent = point.id
                    try accept(point, into: &record)
                    update(&record)
                    try save(record)
                    try onSaved(point.id)
                }
                onProgress(NetworkExpansionProgress(
                    accepted: state.points.count, target: 1 + recorded * weights.count, candidates: state.candidates,
                    lastResidual: nil, hypervolume: hypervolume(record), evaluations: objective.counts))
            }
        }
        state.nextToExpand = state.points.count
        return state
    }

    /// Samples the curve, writes front.json and front.csv.
    private func finish(_ state: ExpansionState, _ record: NetworkRunRecord) throws -> NetworkExpansionResult {
        let set = ContinuousParetoSet(state)
        var curve: [NetworkFrontFile.CurveSample] = []
        if set.chain.count > 1 {
            for k in 0..<options.curveSamples {
                let t = -1 + 2 * Double(k) / Double(max(options.curveSamples - 1, 1))
                let metrics = try data.testMetrics(try set.parameters(at: t))
                curve.append(.init(t: t, objectives: metrics.loss, testAccuracy: metrics.accuracy, dominated: false))
            }
            let keep = Set(try nonDominatedIndices(curve.map(\.objectives)))
            for k in curve.indices where !keep.contains(k) {
                curve[k].dominated = curve.contains { dominates($0.objectives, curve[k].objectives) }
            }
        }
        let points = record.points.map { p in
            NetworkFrontFile.Point(
                id: p.id, parent: p.parent, t: set.parameter(ofPoint: p.id), checkpoint: p.checkpoint, objectives: p.trainLoss,
                favours: p.heading.map { $0 + 1 }, trainLoss: p.trainLoss, testLoss: p.testLoss, testAccuracy: p.testAccuracy,
                minresIterations: p.minresIterations, optimizeIterations: p.optimizeIterations, stationarity: p.stationarity)
        }
        let after = try Hypervolume.compute(points.map(\.testLoss) + curve.map(\.objectives), reference: record.reference)
        let e = record.evaluations
        let front = NetworkFrontFile(
            problem: data.train.side == 14 ? "multimnist-14" : "multimnist", architecture: data.model.architecture,
            seed: options.expansion.seed, method: options.method.rawValue, reference: record.reference,
            referenceRule: options.reference == nil
                ? "\(options.referenceScale) × the input network's test loss" : "given",
            hypervolume: after, hypervolumeBefore: try Hypervolume.compute([record.inputTestLoss], reference: record.reference),
            hypervolumeAfter: after, pointsHypervolume: try Hypervolume.compute(points.map(\.testLoss), reference: record.reference),
            points: points, curve: curve, evaluations: e, candidates: record.candidates, rejected: record.rejected,
            stationarity: record.stationarity,
            timing: .init(
                totalSeconds: record.elapsedSeconds, stepSeconds: record.stepSeconds,
                hvpSecondsMean: e.hvps > 0 ? record.hvpSeconds / Double(e.hvps) : 0,
                gradientSecondsMean: e.gradients > 0 ? record.gradientSeconds / Double(e.gradients) : 0,
                minresIterations: record.minresIterations),
            trainImages: data.train.count, testImages: data.test.count, hvpImages: data.hvpIndices.count)
        try writeAtomically(try front.encoded(), to: directory.appendingPathComponent("front.json"))
        try writeAtomically(Data(front.csv().utf8), to: directory.appendingPathComponent("front.csv"))
        return NetworkExpansionResult(front: front, state: state, set: set)
    }
}

/// Reading finished network runs.
public enum NetworkRun {
    /// The front file of the run in `directory`.
    /// - Throws: ``NetworkRunError/noRun(_:)`` or a decoding error.
    public static func front(in directory: URL) throws -> NetworkFrontFile {
        guard let bytes = try? Data(contentsOf: directory.appendingPathComponent("front.json")) else {
            throw NetworkRunError.noRun(directory.path)
        }
        return try JSONDecoder().decode(NetworkFrontFile.self, from: bytes)
    }

    /// The parameters `x(t)` of the continuous chain of the run in `directory` (Ma et al. §5):
    /// the same piecewise-linear interpolation between neighbouring chain checkpoints as
    /// ``ContinuousParetoSet/parameters(at:)``, from the chain's `t` values in front.json.
    /// - Throws: ``ExpansionError/invalidParameter(t:)`` outside `[−1, 1]`,
    ///   ``NetworkRunError``, checkpoint errors.
    public static func parameters<Model: MultiTaskModel>(at t: Double, in directory: URL, model: Model) throws -> [Double] {
        guard t >= -1, t <= 1, t.isFinite else { throw ExpansionError.invalidParameter(t: t) }
        let chain = try front(in: directory).points.compactMap { p in p.t.map { (t: $0, checkpoint: p.checkpoint) } }
            .sorted { $0.t < $1.t }
        guard !chain.isEmpty else { throw NetworkRunError.noChain(directory.path) }
        func load(_ index: Int) throws -> [Double] {
            try Checkpoint.load(from: directory.appendingPathComponent(chain[index].checkpoint), model: model).parameters
        }
        guard chain.count > 1 else { return try load(0) }
        var segment = 0
        while segment < chain.count - 2 && chain[segment + 1].t < t { segment += 1 }
        let (t0, t1) = (chain[segment].t, chain[segment + 1].t)
        let lambda = t1 > t0 ? min(max((t - t0) / (t1 - t0), 0), 1) : 0
        let a = try load(segment), b = try load(segment + 1)
        return zip(a, b).map { $0 + lambda * ($1 - $0) }
    }
}
