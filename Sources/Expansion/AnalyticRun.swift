import Autodiff
import Foundation
import MultiObjective

/// Options of an analytic run (``AnalyticRun``).
public struct AnalyticRunOptions: Sendable, Equatable {
    /// Algorithm 1 (K, N, s, the tangent solve, ParetoOptimize of the seed and after each
    /// step, steering, β seed).
    public var expansion = ExpansionOptions()
    /// Samples of the continuous front, evenly spaced `t` in `[−1, 1]`.
    public var curveSamples = 1001
    /// The hypervolume reference point (`nil`: `1` per objective, the ZDT convention).
    public var reference: [Double]? = nil

    public init() {}
}

/// The result of an analytic run.
public struct AnalyticRunResult: Sendable {
    /// The contents of `front.json`.
    public var front: FrontFile
    /// Algorithm 1's final state.
    public var state: ExpansionState
    /// The continuous parametrisation.
    public var set: ContinuousParetoSet
    /// The seed's ParetoOptimize.
    public var seedOptimization: ParetoOptimizeResult
    /// The curve samples (also in ``front``).
    public var curve: [CurveSample]
    /// Evaluations of the curve sampling alone (``front``'s counts exclude them).
    public var curveEvaluations: EvaluationCounts
}

/// Algorithm 1 of Ma et al. (2020) on an analytic problem, from one start to a front file:
/// ParetoOptimize the start, expand, parametrise the chain, sample the continuous front and
/// measure it (hypervolume w.r.t. the reference; where the Pareto set is known, each point's
/// distance to the front and the set). The network counterpart is `NetworkExpansion`.
public enum AnalyticRun {
    /// Runs the expansion.
    /// - Parameters:
    ///   - function: the objectives (values, Jacobian and HVPs in `Double`).
    ///   - name: the problem's name, recorded in the front file.
    ///   - bounds: box constraints (steps are projected onto the box).
    ///   - knownSet: the analytic Pareto set, if known (distances in the front file).
    ///   - start: the start `x₀`, brought to the front first.
    ///   - onProgress: called after each candidate of Algorithm 1.
    /// - Throws: ``ExpansionError`` for a start or reference of the wrong size; errors of the
    ///   objective or Algorithm 1.
    public static func run<F: DifferentiableVectorFunction>(
        _ function: F, name: String, bounds: (lower: [Double], upper: [Double])? = nil, knownSet: (any KnownParetoSet)? = nil,
        from start: [Double], options: AnalyticRunOptions, onProgress: (ExpansionProgress) -> Void = { _ in }
    ) throws -> AnalyticRunResult where F.Scalar == Double {
        guard start.count == function.parameterCount else {
            throw ExpansionError.dimensionMismatch(argument: "start", expected: function.parameterCount, actual: start.count)
        }
        let reference = options.reference ?? [Double](repeating: 1, count: function.objectiveCount)
        guard reference.count == function.objectiveCount else {
            throw ExpansionError.dimensionMismatch(argument: "reference", expected: function.objectiveCount, actual: reference.count)
        }
        let objective = try ParetoObjective(function, bounds: bounds)
        let (seedState, seedOptimization) = try ParetoExpansion.start(objective, from: start, options: options.expansion)
        let state = try ParetoExpansion.run(objective, state: seedState, options: options.expansion, onProgress: onProgress)
        let set = ContinuousParetoSet(state)
        let countsBeforeCurve = objective.counts
        let curve = try set.sampleCurve(count: options.curveSamples, objective: objective)
        let front = try FrontFile(
            problem: name, knownSet: knownSet, seed: options.expansion.seed, method: options.expansion.direction.method,
            reference: reference, set: set, curve: curve, state: state, evaluations: countsBeforeCurve)
        let after = objective.counts
        return AnalyticRunResult(
            front: front, state: state, set: set, seedOptimization: seedOptimization, curve: curve,
            curveEvaluations: EvaluationCounts(
                objectives: after.objectives - countsBeforeCurve.objectives, gradients: after.gradients - countsBeforeCurve.gradients,
                hvps: after.hvps - countsBeforeCurve.hvps))
    }
}
