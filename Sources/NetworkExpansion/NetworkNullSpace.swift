import Autodiff
import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models

/// The null-space experiment of Ma et al. (2020, §6.4, Figure 7 right; Prop. 5.1) on a small
/// network: bring a network to the Pareto front on one fixed batch (double precision), form
/// the dense weighted Hessian `H(α*)` from `n` HVPs, eigendecompose it, and compare
/// expansions along a tangent `v`, along `v + u` for a null vector `u`, and along `v + r` for
/// a random unit vector `r`: by Prop. 5.1 the first two agree to second order.
public struct NetworkNullSpaceStudy: Sendable {
    /// The Pareto-stationary point `x*` the analysis is made at.
    public var point: EvaluatedPoint
    /// ParetoOptimize iterations spent reaching it.
    public var optimizeIterations: Int
    /// Spectrum and null space of `H(α*)` at `x*`.
    public var analysis: NullSpaceAnalysis
    /// The unit tangent `v` (MINRES, β = e₁, favouring f₁).
    public var tangent: [Double]
    /// A unit null vector `u`: a seeded random combination of the null basis (`nil` if the null space is empty).
    public var nullVector: [Double]?
    /// A random unit vector `r`, orthogonalised against `v`.
    public var randomVector: [Double]
    /// `∇f(x*) u` (per objective) and `uᵀ H(α*) u`, both ≈ 0 for a null vector.
    public var nullVectorSlope: [Double]
    public var nullVectorCurvature: Double
    /// Step lengths `s` of the trajectories.
    public var steps: [Double]
    /// `f(x* + s v)`, `f(x* + s (v + u))` and `f(x* + s (v + r))` for each `s`.
    public var alongTangent: [[Double]]
    public var alongTangentPlusNull: [[Double]]
    public var alongTangentPlusRandom: [[Double]]

    /// Eigenvalues below `−tolerance · max|λ|`, within it, and above it.
    public var inertia: (negative: Int, zero: Int, positive: Int) {
        let scale = analysis.eigenvalues.map(abs).max() ?? 0
        let t = analysis.relativeTolerance * scale
        return (analysis.eigenvalues.filter { $0 < -t }.count, analysis.nullity, analysis.eigenvalues.filter { $0 > t }.count)
    }

    /// Runs the study.
    /// - Parameters:
    ///   - model: a network small enough for `n` HVPs and an `n × n` eigendecomposition
    ///     (``MiniLeNet``: n = 1,500).
    ///   - data: the composites the objectives average over (the paper: 2,048 at 14×14).
    ///   - x0: the starting parameters.
    ///   - training: ParetoOptimize steps from `x0` (e.g. a weighted sum, to get near the front).
    ///   - polishing: ParetoOptimize steps after that (e.g. MGDA, to reach Pareto stationarity).
    ///   - relativeTolerance: eigenvalues with `|λ| ≤ tolerance · max|λ|` span the null space.
    ///   - steps: step lengths of the three trajectories.
    ///   - seed: seed of `r`.
    /// - Throws: errors of the objective, ParetoOptimize, MINRES or LAPACK.
    public init<Model: MultiTaskModel>(
        model: Model, data: MultiDigitDataset, from x0: [Double], training: ParetoOptimizeOptions, polishing: ParetoOptimizeOptions,
        relativeTolerance: Double = 1e-7, minresIterations: Int = 50, steps: [Double] = [0, 0.05, 0.1, 0.2, 0.3, 0.5],
        seed: UInt64 = 1
    ) throws {
        let batch: MultiDigitBatch<Double> = try data.batch(0..<data.count, as: Double.self)
        // The architecture's default engine: MiniLeNet's hand-differentiated loss keeps the n
        // HVPs in constant memory.
        let objective = try ParetoObjective(model.loss(images: batch.images, labels: batch.labels))
        let trained = try paretoOptimize(objective, from: x0, options: training)
        let polished = try paretoOptimize(objective, from: trained.point.parameters, options: polishing)
        point = polished.point
        optimizeIterations = trained.iterations + polished.iterations
        let analysis = try NullSpaceAnalysis(objective, at: point.parameters, weights: point.weights, relativeTolerance: relativeTolerance)
        self.analysis = analysis
        let m = objective.objectiveCount
        tangent = try expansionDirection(
            objective, at: point, beta: (0..<m).map { $0 == 0 ? 1 : 0 }, favouring: 0,
            options: DirectionOptions(method: .tangent, minresIterations: minresIterations, minresTolerance: 1e-10, damping: 0)
        ).direction
        let v = tangent
        func orthogonalUnit(_ w: [Double]) -> [Double] {
            let projected = adding(w, v, scaledBy: -Vectors.dot(w, v))
            let length = Vectors.norm(projected)
            return length > 0 ? projected.map { $0 / length } : projected
        }
        // A random unit combination of the null basis (seeded): a typical null direction,
        // not only the exactly inert parameters of a dead unit.
        var generator = SeededGenerator(seed: seed, stream: 0x4E55_4C4C)  // "NULL"
        if analysis.nullSpace.isEmpty {
            nullVector = nil
        } else {
            var u = [Double](repeating: 0, count: objective.parameterCount)
            for basis in analysis.nullSpace { u = adding(u, basis, scaledBy: 2 * generator.unitDouble() - 1) }
            let length = Vectors.norm(u)
            nullVector = u.map { $0 / length }
        }
        randomVector = orthogonalUnit((0..<objective.parameterCount).map { _ in 2 * generator.unitDouble() - 1 })
        if let u = nullVector {
            nullVectorSlope = point.jacobian.map { Vectors.dot($0, u) }
            nullVectorCurvature = Vectors.dot(u, try objective.hessianVectorProduct(at: point.parameters, along: u, weights: point.weights))
        } else {
            nullVectorSlope = []
            nullVectorCurvature = 0
        }
        self.steps = steps
        let x = point.parameters, u = nullVector, r = randomVector
        func trajectory(_ d: [Double]) throws -> [[Double]] {
            try steps.map { s in try objective.values(at: adding(x, d, scaledBy: s)) }
        }
        alongTangent = try trajectory(v)
        alongTangentPlusNull = try trajectory(u.map { adding(v, $0, scaledBy: 1) } ?? v)
        alongTangentPlusRandom = try trajectory(adding(v, r, scaledBy: 1))
    }
}

/// `a + s b`.
private func adding(_ a: [Double], _ b: [Double], scaledBy s: Double) -> [Double] {
    var result = a
    Vectors.axpy(s, b, &result)
    return result
}
