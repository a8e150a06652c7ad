import Foundation
import LinearAlgebra

/// Sampling and updating task weights on the probability simplex `Δᵐ = {λ ≥ 0, Σ λᵢ = 1}`.
public enum TaskWeighting {
    /// A draw from the flat Dirichlet distribution `Dir(1, …, 1)` on `Δᵐ`, i.e. uniform on the
    /// simplex: `λᵢ = Eᵢ / Σⱼ Eⱼ` with independent `Eᵢ = −ln Uᵢ ~ Exp(1)` = Gamma(1, 1)
    /// (Devroye, "Non-Uniform Random Variate Generation", 1986, §XI.4), `Uᵢ ∈ (0, 1]` from
    /// ``SeededGenerator/unitDouble()``.
    public static func flatDirichlet(count: Int, using generator: inout SeededGenerator) -> [Double] {
        let draws = (0..<count).map { _ in -Foundation.log(1 - generator.unitDouble()) }
        let total = draws.reduce(0, +)
        guard total > 0 else { return [Double](repeating: 1 / Double(count), count: count) }
        return draws.map { $0 / total }
    }

    /// One exponentiated-gradient (entropic mirror-ascent, multiplicative-weights) step of the
    /// dual weights of Chebyshev scalarization:
    /// `λᵢ ← λᵢ exp(η wᵢ fᵢ) / Σⱼ λⱼ exp(η wⱼ fⱼ)` (OMD-TCH, "Revisiting scalarization in
    /// multi-task learning"), computed with the exponents shifted by their maximum so that
    /// large losses do not overflow. Weights move towards the tasks with larger `wᵢ fᵢ`.
    public static func mirrorAscentStep(weights: [Double], preference: [Double], losses: [Double], rate: Double) -> [Double] {
        let exponents = zip(preference, losses).map { rate * $0 * $1 }
        let shift = exponents.max() ?? 0
        let unnormalised = zip(weights, exponents).map { $0 * Foundation.exp($1 - shift) }
        let total = unnormalised.reduce(0, +)
        return unnormalised.map { $0 / total }
    }
}
