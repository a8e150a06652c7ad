import Expansion
import Foundation
import LinearAlgebra
import Models

extension NetworkExpansion {
    /// The WeightedSum baseline (see ``NetworkExpansionMethod/weightedSum``): trajectory `j`
    /// runs gradient descent `x ← x − η Σ wᵢ ∇fᵢ(x)` for `w = e_j` (recorded as the chain
    /// favouring `f_j`) and for equal weights (off the chain); each gets `budget / (m + 1)`
    /// steps of one gradient evaluation and records `(N − 1) / (m + 1)` evenly spaced points.
    ///
    /// With ``WeightedSumOptimizer/fullBatch`` a step's gradient is the full training set's;
    /// with ``WeightedSumOptimizer/stochastic`` it is a fresh mini-batch's (Ma et al. §6.1's
    /// SGD), drawn from a generator seeded by ``ExpansionOptions/seed`` and the trajectory, so
    /// that a run repeats exactly.
    func weightedSumBaseline(from initial: ExpansionState, record: inout NetworkRunRecord) throws -> ExpansionState {
        var state = initial
        let m = data.model.taskCount
        let weights: [[Double]] = (0..<m).map { j in (0..<m).map { $0 == j ? 1 : 0 } } + [[Double](repeating: 1 / Double(m), count: m)]
        let steps = max(1, options.resolvedWeightedSumBudget / weights.count)
        let recorded = max(1, (options.expansion.points - 1) / weights.count)
        let every = max(1, steps / recorded)
        let eta = options.weightedSumStepSize
        guard eta > 0, eta.isFinite else { throw ExpansionError.invalidOption("weighted-sum step size must be positive, got \(eta)") }
        let stochastic = options.weightedSumOptimizer == .stochastic
        let source = objective.miniBatches
        if stochastic && source == nil {
            throw ExpansionError.invalidOption("the SGD weighted-sum baseline needs an objective with mini-batches")
        }
        for (trajectory, w) in weights.enumerated() {
            var current = state.points[0].point
            var x = current.parameters
            // "WSGD" in the upper 32 bits, the trajectory below.
            var generator = SeededGenerator(seed: options.expansion.seed, stream: 0x5753_4744 << 32 ^ UInt64(trajectory))
            var parent = 0
            var since = 0
            for step in 1...steps {
                if let source, stochastic {
                    let (_, jacobian) = try objective.miniBatchValuesAndJacobian(at: x, batch: source.draw(using: &generator))
                    for (weight, row) in zip(w, jacobian) where weight != 0 { Vectors.axpy(-eta * weight, row, &x) }
                } else {
                    x = current.parameters
                    for (weight, row) in zip(w, current.jacobian) where weight != 0 { Vectors.axpy(-eta * weight, row, &x) }
                    current = try EvaluatedPoint(objective, at: x)
                }
                since += 1
                state.candidates += 1
                if step % every == 0 && (step / every) <= recorded {
                    if stochastic { current = try objective.withPhase(.other) { try EvaluatedPoint(objective, at: x) } }
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
}
