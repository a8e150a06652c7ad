import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Optimization

/// Options of ``StationarityPolish/polish(_:from:options:onStep:)``.
public struct StationarityPolishOptions: Sendable, Equatable {
    /// Stop at the first accepted point whose relative stationarity
    /// `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` (full objectives, ``MinNormWeights/correction(gradients:)``) is at
    /// most this (the default of `pareto expand --stationarity-tolerance`).
    public var tolerance = 0.05
    /// The most full-objective evaluations (values and Jacobian), the one at the start point
    /// and every line-search trial included.
    public var maxEvaluations = 1000
    /// The fixed weights `w` of the minimised sum `Σ wᵢ fᵢ` (normalised to sum 1), or `nil`:
    /// the min-norm weights `α*` at the start point.
    public var weights: [Double]? = nil
    /// L-BFGS memory (correction pairs).
    public var memory = 10

    public init(tolerance: Double = 0.05, maxEvaluations: Int = 1000, weights: [Double]? = nil, memory: Int = 10) {
        self.tolerance = tolerance
        self.maxEvaluations = maxEvaluations
        self.weights = weights
        self.memory = memory
    }
}

/// One point of the polish: the start point (`iteration` 0) or an accepted L-BFGS step.
public struct StationarityPolishRecord: Sendable, Equatable, Codable {
    /// Accepted L-BFGS steps so far (0: the start point).
    public var iteration: Int
    /// Full-objective evaluations so far (including this point's).
    public var evaluations: Int
    /// Relative stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` at the point.
    public var stationarity: Double
    /// `fᵢ` at the point (the full objectives).
    public var losses: [Double]
    /// `‖Σ wᵢ∇fᵢ‖` of the minimised sum at the point.
    public var weightedGradientNorm: Double

    enum CodingKeys: String, CodingKey {
        case iteration, evaluations, stationarity, losses
        case weightedGradientNorm = "weighted_gradient_norm"
    }
}

/// The account of a polish.
public struct StationarityPolishReport: Sendable, Equatable, Codable {
    /// Relative stationarity at the start point and at the returned one.
    public var before: Double
    public var after: Double
    /// ``StationarityPolishOptions/tolerance``.
    public var tolerance: Double
    /// Whether `after ≤ tolerance`.
    public var converged: Bool
    /// Accepted L-BFGS steps.
    public var iterations: Int
    /// Full-objective evaluations (values and Jacobian of every task on all the data), the
    /// start point's included. Each is `1 + m` evaluations of Ma et al.'s unit per chunk of data.
    public var evaluations: Int
    /// The weights `w` of the minimised sum.
    public var weights: [Double]
    /// Why it stopped: `tolerance`, or L-BFGS's own reason (``LBFGSStopReason``).
    public var stopReason: String
    /// The start point and every accepted step.
    public var trajectory: [StationarityPolishRecord]

    enum CodingKeys: String, CodingKey {
        case before, after, tolerance, converged, iterations, evaluations, weights, trajectory
        case stopReason = "stop_reason"
    }
}

/// Brings a trained multi-task network to (relative) Pareto stationarity before it is expanded:
/// full-batch L-BFGS (``LBFGS``, strong Wolfe line search) on the fixed weighted sum
/// `Σ wᵢ fᵢ(x)` of the full objectives, stopped at the first accepted point whose relative
/// stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` is at most the tolerance.
///
/// Why a fixed weighted sum and not MGDA: `‖Σ α*ᵢ∇fᵢ‖ ≤ ‖Σ wᵢ∇fᵢ‖` for every `w` in the simplex
/// (α* is the min-norm point of the convex hull), so driving the weighted gradient to zero
/// drives the relative stationarity to zero whenever the tasks' gradients stay apart, and a
/// quasi-Newton method does that far faster than first-order MGDA steps on this
/// ill-conditioned landscape (full-set MGDA with Armijo halving left a MultiMNIST seed at
/// 0.63 after 50 steps, docs/network-expansion.md). With `w = α*(x₀)` the first step is the
/// MGDA direction; for a linear-scalarization seed its own weights make the polish "the same
/// training, to convergence". The limit is the stationary point of `Σ wᵢfᵢ`, which is Pareto
/// stationary with multipliers `w`.
///
/// Every evaluation is values + Jacobian (the Jacobian is needed for `α*`); evaluations are
/// counted, the start point's included.
public enum StationarityPolish {
    /// Polishes `x0` on `objective` (the full objectives, e.g. a ``ChunkedLoss`` over all the
    /// training composites).
    /// - Parameters:
    ///   - onStep: called with the start point and every accepted step.
    /// - Returns: the last accepted point (the first within the tolerance, if one is) and the report.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` for meaningless options,
    ///   ``LBFGSError`` (non-finite values), or the objective's errors.
    public static func polish<Objective: DifferentiableVectorFunction>(
        _ objective: Objective, from x0: [Objective.Scalar], options: StationarityPolishOptions = StationarityPolishOptions(),
        onStep: ((StationarityPolishRecord) -> Void)? = nil
    ) throws -> (parameters: [Objective.Scalar], report: StationarityPolishReport) {
        typealias Scalar = Objective.Scalar
        let m = objective.objectiveCount
        guard options.tolerance.isFinite, options.tolerance >= 0 else {
            throw TrainingError.invalidConfiguration("the polish tolerance must be non-negative, got \(options.tolerance)")
        }
        guard options.maxEvaluations >= 1 else {
            throw TrainingError.invalidConfiguration("the polish needs at least one evaluation, got \(options.maxEvaluations)")
        }
        guard options.memory >= 1 else { throw TrainingError.invalidConfiguration("the L-BFGS memory must be at least 1, got \(options.memory)") }
        guard x0.count == objective.parameterCount else {
            throw TrainingError.parameterCount(expected: objective.parameterCount, actual: x0.count)
        }
        if let w = options.weights {
            guard w.count == m, w.allSatisfy({ $0.isFinite && $0 >= 0 }), w.reduce(0, +) > 0 else {
                throw TrainingError.invalidConfiguration("the polish weights must be \(m) non-negative numbers, not all zero, got \(w)")
            }
        }

        var evaluations = 0
        func evaluate(_ x: [Double]) throws -> PolishEvaluation {
            evaluations += 1
            let (values, jacobian) = try objective.valuesAndJacobian(at: x.map { Scalar($0) })
            let j = jacobian.map { $0.map(Double.init) }
            let values64 = values.map(Double.init)
            guard values64.allSatisfy(\.isFinite), j.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                throw LBFGSError.nonFinite(quantity: "objective or gradient", index: nil, evaluation: evaluations)
            }
            return PolishEvaluation(x: x, values: values64, jacobian: j, stationarity: try MinNormWeights.correction(gradients: j).stationarity)
        }
        func weightedGradient(_ e: PolishEvaluation, _ w: [Double]) -> [Double] {
            var g = [Double](repeating: 0, count: e.x.count)
            for (task, row) in e.jacobian.enumerated() { Vectors.axpy(w[task], row, &g) }
            return g
        }

        let start = try evaluate(x0.map(Double.init))
        let weights: [Double] = {
            let w = options.weights ?? ((try? MinNormWeights.solve(gradients: start.jacobian).weights) ?? [Double](repeating: 1, count: m))
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }()
        func record(_ e: PolishEvaluation, iteration: Int) -> StationarityPolishRecord {
            StationarityPolishRecord(
                iteration: iteration, evaluations: evaluations, stationarity: e.stationarity, losses: e.values,
                weightedGradientNorm: Vectors.norm(weightedGradient(e, weights)))
        }
        var trajectory = [record(start, iteration: 0)]
        onStep?(trajectory[0])
        func report(_ accepted: PolishEvaluation, iterations: Int, reason: String) -> (parameters: [Scalar], report: StationarityPolishReport) {
            (accepted.x.map { Scalar($0) },
             StationarityPolishReport(
                before: start.stationarity, after: accepted.stationarity, tolerance: options.tolerance,
                converged: accepted.stationarity <= options.tolerance, iterations: iterations, evaluations: evaluations,
                weights: weights, stopReason: reason, trajectory: trajectory))
        }
        if start.stationarity <= options.tolerance || options.maxEvaluations == 1 {
            return report(start, iterations: 0, reason: start.stationarity <= options.tolerance ? "tolerance" : LBFGSStopReason.evaluationLimit.rawValue)
        }

        var lbfgs = LBFGSOptions(
            memory: options.memory, gradientTolerance: 0, relativeGradientTolerance: nil, functionTolerance: 0,
            maxIterations: Int.max / 2, maxEvaluations: options.maxEvaluations)  // L-BFGS's count is ours: its first call is `start`
        // Values in single precision carry rounding of ~1e-7 relative per chunk: compare values
        // up to that, and decide close steps by the slopes (LBFGSOptions.valueRoundingTolerance).
        lbfgs.valueRoundingTolerance = Scalar.self == Float.self ? 1e-6 : 1e-13
        var last = start
        var accepted = start
        var firstCall = true
        do {
            let result = try LBFGS.minimize(
                from: start.x, options: lbfgs,
                onStep: { step in
                    // The strong-Wolfe line search accepts the trial it evaluated last.
                    accepted = last
                    trajectory.append(record(accepted, iteration: step.iteration))
                    onStep?(trajectory[trajectory.count - 1])
                    if accepted.stationarity <= options.tolerance { throw PolishReachedTolerance() }
                }
            ) { x in
                if firstCall {
                    // L-BFGS starts by evaluating x₀, which is `start`: reuse it, uncounted.
                    firstCall = false
                } else {
                    guard evaluations < options.maxEvaluations else { throw PolishBudgetSpent() }
                    last = try evaluate(x)
                }
                let value = zip(weights, last.values).reduce(0) { $0 + $1.0 * $1.1 }
                return (value, weightedGradient(last, weights))
            }
            return report(accepted, iterations: result.iterations, reason: result.stopReason.rawValue)
        } catch is PolishReachedTolerance {
            return report(accepted, iterations: trajectory.count - 1, reason: "tolerance")
        } catch is PolishBudgetSpent {
            return report(accepted, iterations: trajectory.count - 1, reason: LBFGSStopReason.evaluationLimit.rawValue)
        }
    }
}

/// One full evaluation of the polish: the point, values, Jacobian, relative stationarity.
private struct PolishEvaluation {
    var x: [Double]
    var values: [Double]
    var jacobian: [[Double]]
    var stationarity: Double
}

/// Thrown from L-BFGS's step callback to stop at the tolerance.
private struct PolishReachedTolerance: Error {}
/// Thrown from the objective when the evaluation budget is spent (a safety net: L-BFGS's own limit is the same).
private struct PolishBudgetSpent: Error {}

extension Trainer {
    /// Polishes trained parameters to relative Pareto stationarity on the full training set
    /// (``StationarityPolish``): the objectives are the mean per-task losses over all of
    /// `train`, summed over chunks of `chunkSize` composites made by this trainer's objective
    /// factory (the same engine as the training). The test metrics of the returned result are
    /// those of the polished parameters.
    /// - Throws: ``TrainingError``, ``LBFGSError`` or the objective's errors.
    public func polish(
        _ result: TrainingResult<Scalar>, on train: MultiDigitDataset, testingOn test: MultiDigitDataset?,
        options: StationarityPolishOptions = StationarityPolishOptions(), chunkSize: Int = 1024,
        onStep: ((StationarityPolishRecord) -> Void)? = nil
    ) throws -> TrainingResult<Scalar> {
        guard train.count > 0 else { throw TrainingError.emptyDataset("training") }
        guard chunkSize >= 1 else { throw TrainingError.invalidConfiguration("the polish chunk size must be positive, got \(chunkSize)") }
        let starts = Array(stride(from: 0, to: train.count, by: chunkSize))
        let functions: [Objective] = try starts.map { start in
            try makeObjective(try train.batch(start..<min(start + chunkSize, train.count), as: Scalar.self))
        }
        let full = try ChunkedLoss<Scalar>(
            parameterCount: model.layout.parameterCount, objectiveCount: model.taskCount,
            chunkSizes: starts.map { min($0 + chunkSize, train.count) - $0 }
        ) { c in functions[c] }
        let (x, polishReport) = try StationarityPolish.polish(full, from: result.parameters, options: options, onStep: onStep)
        let evaluation = try test.map { try Evaluation.evaluate(model: model, parameters: x, on: $0, batchSize: configuration.evaluationBatchSize) }
        var report = result.report
        report.polish = TrainingPolish(report: polishReport, test: evaluation, trainImages: train.count, chunkSize: chunkSize)
        return TrainingResult(parameters: x, report: report)
    }
}

/// The polish of a training run (``Trainer/polish(_:on:testingOn:options:chunkSize:onStep:)``).
public struct TrainingPolish: Sendable, Equatable {
    /// What the polish did.
    public var report: StationarityPolishReport
    /// Test metrics of the polished parameters (if evaluated).
    public var test: EvaluationResult?
    /// Composites of the full objectives.
    public var trainImages: Int
    /// Composites per chunk of the full objectives.
    public var chunkSize: Int

    /// The polish's cost in Ma et al.'s unit counted in mini-batches of `batchSize` (the
    /// convention of TRAIN in docs/tables.md: one forward pass and each backward sweep count
    /// one per batch): each full evaluation is values + the `m`-task Jacobian, `1 + m`, on
    /// `⌈trainImages / batchSize⌉` batches.
    public func batchEvaluations(batchSize: Int, tasks: Int) -> Int {
        report.evaluations * (1 + tasks) * ((trainImages + batchSize - 1) / batchSize)
    }
}
