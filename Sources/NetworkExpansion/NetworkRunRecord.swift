import Expansion
import Foundation

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

    public var version = 1
    public var method: String
    /// Options and data that must agree on resume.
    public var configuration: [String: String]
    public var reference: [Double]
    /// Test loss and accuracy of the input network (before its ParetoOptimize).
    public var inputTestLoss: [Double]
    public var inputTestAccuracy: [Double]
    public var stationarity: FrontFile.Stationarity
    public var points: [Point] = []
    public var nextToExpand = 0
    public var nextDirection = 0
    public var candidates = 0
    public var rejected = 0
    public var optimizeIterations = 0
    public var minresIterations: [Int] = []
    /// Candidates whose branch stopped on a numerical failure (absent in runs without any).
    public var failures: [CandidateFailure]? = nil
    /// Evaluations so far (re-evaluations on resume not included).
    public var evaluations = EvaluationCounts()
    /// ``evaluations`` split by phase, plus the test-set evaluations (``EvaluationPhase/test``)
    /// so far; `nil` in states written before phases were counted.
    public var evaluationsByPhase: EvaluationsByPhase? = nil
    public var gradientSeconds = 0.0
    public var hvpSeconds = 0.0
    /// Mini-batch gradient evaluations so far (counted in ``evaluations`` too); `nil` in
    /// states written before they existed or in runs without mini-batches.
    public var miniBatchGradients: Int? = nil
    /// Seconds of those mini-batch gradients (not in ``gradientSeconds``); `nil` as above.
    public var miniBatchSeconds: Double? = nil
    /// Wall-clock seconds so far.
    public var elapsedSeconds = 0.0
    /// Wall-clock seconds from the previous accepted point (or the start) to each accepted point.
    public var stepSeconds: [Double] = []

    enum CodingKeys: String, CodingKey {
        case version, method, configuration, reference, stationarity, points, candidates, rejected, evaluations
        case inputTestLoss = "input_test_loss", inputTestAccuracy = "input_test_accuracy"
        case nextToExpand = "next_to_expand", nextDirection = "next_direction", optimizeIterations = "optimize_iterations"
        case failures
        case evaluationsByPhase = "evaluations_by_phase"
        case miniBatchGradients = "mini_batch_gradients", miniBatchSeconds = "mini_batch_seconds"
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
        failures = state.failures.isEmpty ? nil : state.failures
    }
}

/// Errors of network runs.
public enum NetworkRunError: Error, Equatable, CustomStringConvertible {
    case existingRun(String)
    case noRun(String)
    case incompatibleResume(key: String, saved: String, requested: String)
    case unsupported(String)
    case noChain(String)
    /// The run's state.json is not valid.
    case corruptState(path: String, reason: String)
    /// The seed's ParetoOptimize used its whole step budget without bringing the relative
    /// stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` (on the full training objectives) to the tolerance.
    case nonStationarySeed(before: Double, after: Double, tolerance: Double, steps: Int)

    public var description: String {
        switch self {
        case .existingRun(let path): return "\(path) already holds a run (state.json): resume it, or choose another directory"
        case .noRun(let path): return "\(path) holds no run to resume or read (no state.json / front.json)"
        case .incompatibleResume(let key, let saved, let requested):
            return "cannot resume: the run was started with \(key) = \(saved), now \(requested)"
        case .unsupported(let reason): return reason
        case .noChain(let path): return "\(path): the front has no chain points with t"
        case .corruptState(let path, let reason): return "\(path) is not a valid run state: \(reason)"
        case .nonStationarySeed(let before, let after, let tolerance, let steps):
            return String(
                format: "the seed is not Pareto-stationary: relative stationarity %.3e (input) → %.3e after %d ParetoOptimize steps, above the tolerance %.3e; allow more seed steps, or expand the non-stationary seed anyway (force)",
                before, after, steps, tolerance)
        }
    }
}

