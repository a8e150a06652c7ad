import Foundation

/// The settings of GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm: gradient
/// normalization for adaptive loss balancing in deep multitask networks", ICML 2018, §3).
public struct GradNormSettings: Sendable, Equatable {
    /// The asymmetry `α` of eq. 2 (the paper's MultiMNIST-like setting: 1.5).
    public var alpha: Double
    /// The step size of the weight update `w ← w − η_w ∇_w L_grad`.
    public var weightLearningRate: Double

    /// `α = 1.5`, `η_w = 0.025`.
    public init(alpha: Double = 1.5, weightLearningRate: Double = 0.025) {
        self.alpha = alpha
        self.weightLearningRate = weightLearningRate
    }

    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless `α > 0` and `η_w > 0` are finite.
    public func validate(taskCount: Int) throws {
        guard alpha.isFinite, alpha > 0 else { throw TrainingError.invalidConfiguration("GradNorm alpha must be positive and finite, got \(alpha)") }
        guard weightLearningRate.isFinite, weightLearningRate > 0 else {
            throw TrainingError.invalidConfiguration("GradNorm weight learning rate must be positive and finite, got \(weightLearningRate)")
        }
    }
}

/// The learned task weights of GradNorm.
///
/// With weights `wᵢ(t)` (all 1 at the start), the network steps on `Σ wᵢ fᵢ`. With `W` the last
/// shared layer's weights, `Gᵢ = ‖∇_W wᵢ fᵢ‖ = wᵢ ‖∇_W fᵢ‖`, `Ḡ = mean Gᵢ`, the inverse training
/// rates `f̃ᵢ = fᵢ(t)/fᵢ(0)` and `rᵢ = f̃ᵢ / mean f̃` (eq. 1), the gradient loss is
/// `L_grad = Σᵢ |Gᵢ − Ḡ rᵢ^α|` with the target `Ḡ rᵢ^α` held constant (eq. 2). Because `Gᵢ` is
/// linear in `wᵢ`, `∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ rᵢ^α) ‖∇_W fᵢ‖` exactly, without second
/// derivatives. After the step `w ← w − η_w ∇_w L_grad` the weights are clipped at 10⁻⁶ and
/// renormalised to `Σ wᵢ = T` (the task count), as in §3.2. `fᵢ(0)` are the losses of the first step.
///
/// Fixed point, for constant `‖∇_W fᵢ‖ = gᵢ` and ratios `rᵢ`: `wᵢ gᵢ = Ḡ rᵢ^α`, i.e.
/// `wᵢ ∝ rᵢ^α / gᵢ` with `Σ wᵢ = T`.
public struct GradNormState: Sendable {
    /// The settings.
    public let settings: GradNormSettings
    /// The current weights `w` (summing to `T`).
    public private(set) var weights: [Double]
    /// `fᵢ(0)`, set by the first update.
    public private(set) var initialLosses: [Double]?

    /// Weights all 1 for `taskCount` tasks.
    public init(settings: GradNormSettings, taskCount: Int) {
        self.settings = settings
        weights = [Double](repeating: 1, count: taskCount)
    }

    /// One GradNorm update from the step's losses `fᵢ` and the norms `‖∇_W fᵢ‖`; returns the
    /// weights the network step uses (those before the update) and moves ``weights`` on.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` on a non-positive first loss (`f̃`
    ///   undefined) or non-finite input.
    public mutating func update(losses: [Double], sharedGradientNorms norms: [Double]) throws -> [Double] {
        let used = weights
        guard losses.allSatisfy(\.isFinite), norms.allSatisfy(\.isFinite) else {
            throw TrainingError.invalidConfiguration("GradNorm: non-finite losses \(losses) or gradient norms \(norms)")
        }
        if initialLosses == nil {
            guard losses.allSatisfy({ $0 > 0 }) else {
                throw TrainingError.invalidConfiguration("GradNorm needs positive initial losses for the training rates, got \(losses)")
            }
            initialLosses = losses
        }
        let count = Double(weights.count)
        let ratios = zip(losses, initialLosses!).map { $0 / $1 }
        let meanRatio = ratios.reduce(0, +) / count
        let g = zip(weights, norms).map { $0 * $1 }
        let meanG = g.reduce(0, +) / count
        var updated = weights
        for i in 0..<weights.count {
            let target = meanG * Foundation.pow(ratios[i] / meanRatio, settings.alpha)
            let difference = g[i] - target
            let sign: Double = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
            updated[i] = max(weights[i] - settings.weightLearningRate * sign * norms[i], 1e-6)
        }
        let total = updated.reduce(0, +)
        weights = updated.map { $0 * count / total }
        return used
    }
}
