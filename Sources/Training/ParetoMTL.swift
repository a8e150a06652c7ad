import Foundation
import MultiObjective

/// The settings of Pareto MTL (Lin, Zhen, Li, Zhang & Kwong, "Pareto multi-task learning",
/// NeurIPS 2019): which of the `K` preference-constrained subproblems this run solves.
public struct ParetoMTLSettings: Sendable, Equatable {
    /// `k`, the subproblem (0-based) among ``preferenceCount``.
    public var preferenceIndex: Int
    /// `K`, the number of evenly spread preference vectors (the paper: 5).
    public var preferenceCount: Int
    /// The budget of phase 1 in optimisation steps (it ends earlier at the first feasible batch).
    public var feasibilitySteps: Int

    /// Subproblem `preferenceIndex` of `K = 5`, phase 1 at most 200 steps.
    public init(preferenceIndex: Int, preferenceCount: Int = 5, feasibilitySteps: Int = 200) {
        self.preferenceIndex = preferenceIndex
        self.preferenceCount = preferenceCount
        self.feasibilitySteps = feasibilitySteps
    }

    /// `K` unit vectors evenly spread over the positive quadrant, `u_k = (cos θ_k, sin θ_k)`,
    /// `θ_k = (k/(K−1)) π/2` (the public code's `circle_points`; two tasks only).
    public static func preferenceVectors(count: Int) -> [[Double]] {
        guard count > 1 else { return [[1 / 2.0.squareRoot(), 1 / 2.0.squareRoot()]] }
        return (0..<count).map { k in
            let angle = Double(k) / Double(count - 1) * Double.pi / 2
            return [Foundation.cos(angle), Foundation.sin(angle)]
        }
    }

    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless two tasks, `K ≥ 2`,
    ///   `0 ≤ k < K` and a non-negative phase-1 budget.
    public func validate(taskCount: Int) throws {
        func fail(_ reason: String) -> TrainingError { .invalidConfiguration("Pareto MTL: \(reason)") }
        guard taskCount == 2 else { throw fail("preference vectors are defined for two tasks, the model has \(taskCount)") }
        guard preferenceCount >= 2 else { throw fail("need at least 2 preference vectors, got \(preferenceCount)") }
        guard (0..<preferenceCount).contains(preferenceIndex) else {
            throw fail("preference index \(preferenceIndex) is out of range 0..<\(preferenceCount)")
        }
        guard feasibilitySteps >= 0 else { throw fail("phase-1 steps must be non-negative, got \(feasibilitySteps)") }
    }
}

/// One Pareto MTL subproblem and its two-phase procedure.
///
/// Subproblem `k` (Lin et al., eq. 5–7): `min_θ F(θ)` subject to
/// `Gⱼ(θ) = (uⱼ − u_k)ᵀ F(θ) ≤ 0` for all `j ≠ k` — the region of objective space closer (in angle)
/// to `u_k` than to any other preference. Both phases use the violated constraints
/// `I = {j : Gⱼ > 0}` (as in the public code; a constraint binds once crossed).
///
/// * Phase 1, a feasible initial point (§3.2, eq. 9–10): while `I ≠ ∅`, step on
///   `d = Σ_{j∈I} βⱼ ∇Gⱼ` with `β` the min-norm weights of `{∇Gⱼ}` (one constraint: `β = 1`), i.e.
///   task weights `cᵢ = Σⱼ βⱼ (uⱼᵢ − u_kᵢ)`. It ends at the first feasible batch or after
///   ``ParetoMTLSettings/feasibilitySteps`` steps.
/// * Phase 2, constrained MGDA (eq. 11–14): the min-norm point of
///   `{∇F₁, …, ∇F_m} ∪ {∇Gⱼ : j ∈ I}` with weights `(λ, β)`, task weights
///   `cᵢ = λᵢ + Σⱼ βⱼ (uⱼᵢ − u_kᵢ)`; without violated constraints this is MGDA.
///
/// The task weights are rescaled to `Σ |cᵢ| = m` (the public code's normalisation). Fixed point:
/// a Pareto-stationary point of `F` whose objective vector lies in the sector of `u_k`.
public struct ParetoMTLState: Sendable {
    /// The settings.
    public let settings: ParetoMTLSettings
    /// The `K` preference vectors.
    public let preferences: [[Double]]
    /// Whether phase 1 is over.
    public private(set) var isConstrainedPhase: Bool
    /// Steps taken in phase 1.
    public private(set) var feasibilityStepsTaken = 0

    /// Phase 1 of subproblem `settings.preferenceIndex` (phase 2 at once if its budget is 0).
    public init(settings: ParetoMTLSettings) {
        self.settings = settings
        preferences = ParetoMTLSettings.preferenceVectors(count: settings.preferenceCount)
        isConstrainedPhase = settings.feasibilitySteps == 0
    }

    /// `Gⱼ = (uⱼ − u_k)ᵀ F` for every `j` (`G_k = 0`).
    public func constraintValues(losses: [Double]) -> [Double] {
        let own = preferences[settings.preferenceIndex]
        return preferences.map { u in zip(zip(u, own), losses).reduce(0) { $0 + ($1.0.0 - $1.0.1) * $1.1 } }
    }

    /// The task weights `c` of this step from the losses `F` and the task gradients (rows of the
    /// Jacobian), advancing the phase.
    /// - Throws: ``MultiObjectiveError`` from the min-norm solver.
    public mutating func update(losses: [Double], gradients: [[Double]]) throws -> [Double] {
        let own = preferences[settings.preferenceIndex]
        let g = constraintValues(losses: losses)
        let violated = (0..<preferences.count).filter { $0 != settings.preferenceIndex && g[$0] > 0 }
        let differences = violated.map { j in zip(preferences[j], own).map { $0 - $1 } }
        func constraintGradient(_ difference: [Double]) -> [Double] {
            var row = [Double](repeating: 0, count: gradients[0].count)
            for (task, weight) in difference.enumerated() where weight != 0 {
                for i in 0..<row.count { row[i] += weight * gradients[task][i] }
            }
            return row
        }
        var weights = [Double](repeating: 0, count: losses.count)
        if !isConstrainedPhase {
            if violated.isEmpty || feasibilityStepsTaken >= settings.feasibilitySteps {
                isConstrainedPhase = true
            } else {
                feasibilityStepsTaken += 1
                let beta = differences.count == 1 ? [1.0] : try MinNormWeights.solve(gradients: differences.map(constraintGradient)).weights
                for (b, difference) in zip(beta, differences) {
                    for task in 0..<weights.count { weights[task] += b * difference[task] }
                }
                return Self.normalised(weights)
            }
        }
        let vectors = gradients + differences.map(constraintGradient)
        let solution = try MinNormWeights.solve(gradients: vectors).weights
        for task in 0..<weights.count { weights[task] = solution[task] }
        for (offset, difference) in differences.enumerated() {
            let b = solution[losses.count + offset]
            for task in 0..<weights.count { weights[task] += b * difference[task] }
        }
        return Self.normalised(weights)
    }

    private static func normalised(_ weights: [Double]) -> [Double] {
        let total = weights.reduce(0) { $0 + abs($1) }
        guard total > 0 else { return weights }
        return weights.map { $0 * Double(weights.count) / total }
    }
}
