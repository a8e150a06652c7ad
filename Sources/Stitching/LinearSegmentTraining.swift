import Expansion
import Foundation
import LinearAlgebra
import MultiObjective
import PaLoRA

/// How a ray `λ` weighs the objectives in ``LinearSegmentTraining``.
public enum SegmentScalarization: String, Sendable, Equatable, CaseIterable {
    /// `λᵀf` — PaLoRA's objective (Dimitriadis et al., eq. 3). On a concave front it pulls
    /// every ray to an end of the front, so the family collapses onto one end unless the seed
    /// sits where the two ends tie.
    case linear
    /// `maxᵢ λᵢ fᵢ` (weighted Chebyshev, ideal point 0): each ray has its own point of the
    /// front, concave or not, so the family spreads along it; its subgradient is
    /// `λᵢ* ∇fᵢ*` for the largest term `i*`.
    case chebyshev
}

/// Options of ``LinearSegmentTraining``.
public struct LinearSegmentOptions: Sendable, Equatable {
    /// The preference rays of each step (PaLoRA's schedules; the public code's annealed
    /// deterministic rays by default).
    public var schedule: PreferenceSchedule = .publicDefault(rays: 5)
    /// Gradient steps.
    public var steps = 5000
    /// Step length of projected gradient descent on the vertices.
    public var stepSize = 0.02
    /// Seed of random schedules (Dirichlet).
    public var seed: UInt64 = 1
    /// How each ray weighs the objectives.
    public var scalarization = SegmentScalarization.chebyshev

    public init() {}
}

/// Training of an analytic linear family `x(λ) = Σₜ λₜ vₜ` (``LinearSegment``) with PaLoRA's
/// objective and preference schedules (Dimitriadis et al., eq. 3): each step draws the rays
/// `λ₁ … λ_M` of the schedule at progress `τ = step / steps` and descends
///
///     L(v) = (1/M) Σⱼ s(λⱼ, f(x(λⱼ))),   ∂L/∂vₜ = (1/M) Σⱼ λⱼₜ J(x(λⱼ))ᵀ wⱼ,
///
/// with `s(λ, f) = λᵀf` and `wⱼ = λⱼ` for ``SegmentScalarization/linear`` (PaLoRA's), or
/// `s(λ, f) = maxᵢ λᵢ fᵢ` and `wⱼ = λⱼᵢ* eᵢ*` for ``SegmentScalarization/chebyshev`` (the
/// default: ZDT2's front is concave),
/// projecting each vertex onto the box after the step (the box is convex, so every `x(λ)`
/// stays inside). Both vertices start at the seed; the rays pull them apart along the front.
public enum LinearSegmentTraining {
    /// Trains from `seed` (every vertex starts there).
    /// - Throws: ``ExpansionError`` for a seed of the wrong size or non-finite values;
    ///   ``PaLoRAError`` for a schedule of another task count than the objective's.
    public static func train(_ objective: ParetoObjective, from seed: [Double], options: LinearSegmentOptions = LinearSegmentOptions()) throws -> LinearSegment {
        let m = objective.objectiveCount
        guard options.schedule.taskCount == m else {
            throw ExpansionError.invalidOption("the preference schedule has \(options.schedule.taskCount) tasks, the problem \(m) objectives")
        }
        guard options.steps >= 1, options.stepSize.isFinite, options.stepSize > 0 else {
            throw ExpansionError.invalidOption("linear-family training needs at least one step and a positive step size")
        }
        var vertices = [[Double]](repeating: objective.project(seed), count: m)
        var generator = SeededGenerator(seed: options.seed)
        for step in 0..<options.steps {
            let rays = try options.schedule.rays(progress: Double(step) / Double(options.steps), using: &generator)
            var gradient = [[Double]](repeating: [Double](repeating: 0, count: seed.count), count: m)
            for lambda in rays {
                let family = try LinearSegment(vertices: vertices)
                let x = try family.parameters(at: .preference(lambda))
                let (values, jacobian) = try objective.valuesAndJacobian(at: x)
                var weights = lambda
                if options.scalarization == .chebyshev, let top = values.indices.max(by: { lambda[$0] * values[$0] < lambda[$1] * values[$1] }) {
                    weights = values.indices.map { $0 == top ? lambda[$0] : 0 }
                }
                var weighted = [Double](repeating: 0, count: x.count)
                for (weight, row) in zip(weights, jacobian) { Vectors.axpy(weight, row, &weighted) }
                for t in 0..<m { Vectors.axpy(lambda[t] / Double(rays.count), weighted, &gradient[t]) }
            }
            for t in 0..<m {
                Vectors.axpy(-options.stepSize, gradient[t], &vertices[t])
                vertices[t] = objective.project(vertices[t])
            }
        }
        return try LinearSegment(vertices: vertices)
    }
}
