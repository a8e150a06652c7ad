import Foundation

/// How the per-task losses `f₁ … fₘ` of a batch are combined into one descent direction.
public enum TrainingMethod: Sendable, Equatable {
    /// Linear scalarization: step on `Σ wᵢ fᵢ` with fixed weights `w` (non-negative, not all
    /// zero, used as given).
    case linearScalarization(weights: [Double])
    /// MGDA (Désidéri 2012; Sener & Koltun, NeurIPS 2018): on every batch, the min-norm point
    /// `d = Σ α*ᵢ ∇fᵢ` of the convex hull of the gradients, `α* = argmin_{α ∈ Δ} ‖Σ αᵢ ∇fᵢ‖²`;
    /// `−d` is a common descent direction of all tasks on the batch (or `d = 0`).
    case mgda
    /// Random loss weighting (Lin et al., "Reasonable effectiveness of random weighting",
    /// TMLR 2022): on every batch, weights drawn from the flat Dirichlet distribution
    /// `Dir(1, …, 1)` (uniform on the simplex), step on `Σ λᵢ fᵢ`.
    case randomLossWeighting
    /// Chebyshev scalarization `min_θ max_i wᵢ fᵢ(θ)` solved by online mirror descent (OMD-TCH:
    /// Liu et al., arXiv:2410.21764; "Revisiting scalarization in multi-task learning", Zhao et al.):
    /// with preference `w` and dual weights `λ ∈ Δ` (uniform at the start), on every batch the
    /// model steps on `Σ λᵢ wᵢ fᵢ` (primal update `θ ← θ − η_θ λ ∘ w ∘ ∇f`) and the dual weights
    /// take an exponentiated-gradient (multiplicative-weights) step on the same batch's losses,
    /// `λᵢ ← λᵢ exp(η_λ wᵢ fᵢ(θ)) / Σⱼ λⱼ exp(η_λ wⱼ fⱼ(θ))`. The last iterate is returned.
    case chebyshev(preference: [Double], dualLearningRate: Double)
    /// GradNorm (Chen et al., ICML 2018): learned task weights balancing the gradient norms of
    /// the weighted losses on the last shared layer's weights (``GradNormSettings``).
    case gradNorm(GradNormSettings)
    /// Uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): learned log-variances `sᵢ`,
    /// loss `Σ exp(−sᵢ) fᵢ + sᵢ` (``UncertaintySettings``).
    case uncertainty(UncertaintySettings)
    /// MGDA-UB (Sener & Koltun, NeurIPS 2018, §3.3): the min-norm weights of the gradients with
    /// respect to the shared representation `Z`, `α* = argmin_{α∈Δ} ‖Σ αᵢ ∇_Z fᵢ‖²`, then a step
    /// on `Σ α*ᵢ fᵢ` (needs a ``SharedRepresentationModel``).
    case mgdaUpperBound
    /// Pareto MTL (Lin et al., NeurIPS 2019): one preference-constrained subproblem of
    /// ``ParetoMTLSettings``.
    case paretoMTL(ParetoMTLSettings)
    /// LDC-MTL (loss discrepancy control, single-loop Algorithm 1; ``LDCSettings``).
    case lossDiscrepancyControl(LDCSettings)

    /// The command-line name: `ls`, `mgda`, `rlw`, `chebyshev`, `gradnorm`, `uncertainty`,
    /// `mgda-ub`, `paretomtl`, `ldc`.
    public var name: String {
        switch self {
        case .linearScalarization: return "ls"
        case .mgda: return "mgda"
        case .randomLossWeighting: return "rlw"
        case .chebyshev: return "chebyshev"
        case .gradNorm: return "gradnorm"
        case .uncertainty: return "uncertainty"
        case .mgdaUpperBound: return "mgda-ub"
        case .paretoMTL: return "paretomtl"
        case .lossDiscrepancyControl: return "ldc"
        }
    }

    /// The weights recorded in a checkpoint: LS weights, the Chebyshev preference, `nil` otherwise.
    public var recordedWeights: [Double]? {
        switch self {
        case .linearScalarization(let weights): return weights
        case .chebyshev(let preference, _): return preference
        case .paretoMTL(let settings): return ParetoMTLSettings.preferenceVectors(count: settings.preferenceCount)[settings.preferenceIndex]
        case .mgda, .randomLossWeighting, .gradNorm, .uncertainty, .mgdaUpperBound, .lossDiscrepancyControl: return nil
        }
    }
}

/// The parameter update rule, with PyTorch's conventions (`torch.optim.SGD`, `torch.optim.Adam`).
public enum OptimizerKind: Sendable, Equatable {
    /// SGD with heavy-ball momentum `μ`: `b ← μ b + g` (`b = g` on the first step), `x ← x − η b`.
    case sgd(momentum: Double)
    /// Adam (Kingma & Ba, ICLR 2015): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
    /// `x ← x − η m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
    case adam(beta1: Double, beta2: Double, epsilon: Double)

    /// Adam with the usual constants `β₁ = 0.9`, `β₂ = 0.999`, `ε = 10⁻⁸`.
    public static let adamDefault = OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)

    /// `sgd` or `adam`.
    public var name: String {
        switch self {
        case .sgd: return "sgd"
        case .adam: return "adam"
        }
    }
}

/// The learning rate of each epoch (changed between epochs, as PyTorch's schedulers stepped
/// once per epoch).
public enum LearningRateSchedule: Sendable, Equatable {
    /// `η_e = η`.
    case constant
    /// Cosine annealing to zero over the run (`CosineAnnealingLR` with `T_max = E`,
    /// `η_min = 0`; Loshchilov & Hutter, ICLR 2017): `η_e = η (1 + cos(π e / E)) / 2`
    /// for epoch `e = 0 … E−1`.
    case cosine
    /// Step decay (`StepLR`): `η_e = η γ^⌊e / s⌋`.
    case step(every: Int, factor: Double)

    /// The learning rate of epoch `epoch` (0-based) of `epochs`, base rate `base`.
    public func learningRate(base: Double, epoch: Int, epochs: Int) -> Double {
        switch self {
        case .constant: return base
        case .cosine: return base * (1 + cos(Double.pi * Double(epoch) / Double(max(epochs, 1)))) / 2
        case .step(let every, let factor): return base * pow(factor, Double(epoch / max(every, 1)))
        }
    }

    /// `constant`, `cosine` or `step`.
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case .step: return "step"
        }
    }
}

/// Everything that determines a training run (together with the data and the model).
public struct TrainingConfiguration: Sendable, Equatable {
    /// How task losses are combined.
    public var method: TrainingMethod
    /// The update rule.
    public var optimizer: OptimizerKind
    /// The base learning rate `η`.
    public var learningRate: Double
    /// The learning-rate schedule.
    public var schedule: LearningRateSchedule
    /// Number of passes over the training set.
    public var epochs: Int
    /// Images per mini-batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Seed of the initial parameters, the batch order and any random weights.
    public var seed: UInt64
    /// Whether to evaluate on the test split after every epoch (otherwise only after the last).
    public var evaluatesEveryEpoch: Bool
    /// Images per forward pass during evaluation.
    public var evaluationBatchSize: Int

    /// A configuration; the defaults are the reference MultiMNIST settings of the PaLoRA
    /// comparison (Adam 10⁻³, batch 256, 10 epochs).
    public init(
        method: TrainingMethod, optimizer: OptimizerKind = .adamDefault, learningRate: Double = 1e-3,
        schedule: LearningRateSchedule = .constant, epochs: Int = 10, batchSize: Int = 256, seed: UInt64 = 1,
        evaluatesEveryEpoch: Bool = true, evaluationBatchSize: Int = 500
    ) {
        self.method = method
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.schedule = schedule
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.evaluatesEveryEpoch = evaluatesEveryEpoch
        self.evaluationBatchSize = evaluationBatchSize
    }

    /// Checks every field for `taskCount` tasks.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` naming the bad field.
    public func validate(taskCount: Int) throws {
        func fail(_ reason: String) -> TrainingError { .invalidConfiguration(reason) }
        guard epochs >= 1 else { throw fail("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw fail("batch size must be at least 1, got \(batchSize)") }
        guard evaluationBatchSize >= 1 else { throw fail("evaluation batch size must be at least 1, got \(evaluationBatchSize)") }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("learning rate must be positive and finite, got \(learningRate)") }
        switch optimizer {
        case .sgd(let momentum):
            guard momentum.isFinite, (0..<1).contains(momentum) else { throw fail("momentum must lie in [0, 1), got \(momentum)") }
        case .adam(let beta1, let beta2, let epsilon):
            guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
                throw fail("Adam betas must lie in [0, 1), got \(beta1), \(beta2)")
            }
            guard epsilon.isFinite, epsilon > 0 else { throw fail("Adam epsilon must be positive, got \(epsilon)") }
        }
        if case .step(let every, let factor) = schedule {
            guard every >= 1 else { throw fail("step schedule: step size must be at least 1 epoch, got \(every)") }
            guard factor.isFinite, factor > 0 else { throw fail("step schedule: factor must be positive, got \(factor)") }
        }
        func checkWeights(_ weights: [Double], _ what: String) throws {
            guard weights.count == taskCount else {
                throw fail("\(what) has \(weights.count) values, the model has \(taskCount) tasks")
            }
            guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.contains(where: { $0 > 0 }) else {
                throw fail("\(what) must be non-negative and not all zero, got \(weights)")
            }
        }
        switch method {
        case .linearScalarization(let weights): try checkWeights(weights, "linear-scalarization weights")
        case .chebyshev(let preference, let rate):
            try checkWeights(preference, "Chebyshev preference")
            guard rate.isFinite, rate > 0 else { throw fail("Chebyshev dual learning rate must be positive, got \(rate)") }
        case .gradNorm(let settings): try settings.validate(taskCount: taskCount)
        case .uncertainty(let settings): try settings.validate(taskCount: taskCount)
        case .paretoMTL(let settings): try settings.validate(taskCount: taskCount)
        case .lossDiscrepancyControl(let settings): try settings.validate(taskCount: taskCount)
        case .mgda, .randomLossWeighting, .mgdaUpperBound: break
        }
    }
}

/// Errors of training and evaluation.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration field is out of range.
    case invalidConfiguration(String)
    /// The loss, a gradient or the parameters became NaN or infinite; training stopped.
    case nonFiniteLoss(epoch: Int, batch: Int, detail: String)
    /// A data set has no images.
    case emptyDataset(String)
    /// Initial parameters of the wrong length.
    case parameterCount(expected: Int, actual: Int)
    /// An objective or model reported a shape it should not.
    case objectiveMismatch(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "invalid training configuration: \(reason)"
        case .nonFiniteLoss(let epoch, let batch, let detail):
            return "training diverged at epoch \(epoch), batch \(batch): \(detail); "
                + "no checkpoint was written (try a smaller learning rate)"
        case .emptyDataset(let which):
            return "the \(which) set has no images"
        case .parameterCount(let expected, let actual):
            return "initial parameters have \(actual) values, the model has \(expected)"
        case .objectiveMismatch(let detail):
            return "objective mismatch: \(detail)"
        }
    }
}
