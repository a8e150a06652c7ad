import Foundation

/// The settings of LDC-MTL ("Loss discrepancy control for multi-task learning": the bilevel
/// problem of eq. 1, its penalised form eq. 2, the single-loop Algorithm 1).
public struct LDCSettings: Sendable, Equatable {
    /// The upper-level weights `τ` of the discrepancy: option (i) `τ = σ(W)`, option (ii) `τ = 1`.
    public enum UpperWeights: String, Sendable, Equatable, CaseIterable {
        /// `τ = σ(W)`, the router's output (Table 5: CelebA, QM9).
        case router
        /// `τ = 1` (Table 5: Cityscapes, NYU-v2).
        case ones
    }

    /// The loss normalisation `l̃ᵢ` applied to `Lᵢ − bᵢ` (`b` the ``lossOffsets``), §A.1.
    public enum Normalization: String, Sendable, Equatable, CaseIterable {
        /// `l̃ᵢ = Lᵢ − bᵢ` (Table 5's classification setting, CelebA).
        case none
        /// Rescaled: `l̃ᵢ = (Lᵢ − bᵢ)/(Lᵢ⁰ − bᵢ)`, `Lᵢ⁰` the loss of the first step.
        case rescale
        /// Logarithmic: `l̃ᵢ = log((Lᵢ − bᵢ)/(Lᵢ⁰ − bᵢ))` (QM9).
        case log
    }

    /// `λ`, the weight of the loss-discrepancy term (Table 5's penalty constant; CelebA: 0.01).
    public var penalty: Double
    /// `τ` (CelebA: the router).
    public var upperWeights: UpperWeights
    /// The normalisation (CelebA: none).
    public var normalization: Normalization
    /// `γ` of the smoothed absolute value `√(x² + γ)`; 0 for `|x|`.
    public var smoothing: Double
    /// Lower bounds `bᵢ` of the losses (0 for cross-entropies; the toy problem's FAMO offsets).
    public var lossOffsets: [Double]?

    /// Table 5's classification row (CelebA): `λ = 0.01`, `τ = σ(W)`, no normalisation, `|x|`.
    public init(
        penalty: Double = 0.01, upperWeights: UpperWeights = .router, normalization: Normalization = .none, smoothing: Double = 0,
        lossOffsets: [Double]? = nil
    ) {
        self.penalty = penalty
        self.upperWeights = upperWeights
        self.normalization = normalization
        self.smoothing = smoothing
        self.lossOffsets = lossOffsets
    }

    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless `λ > 0`, `γ ≥ 0` and the
    ///   offsets are finite, one per task.
    public func validate(taskCount: Int) throws {
        func fail(_ reason: String) -> TrainingError { .invalidConfiguration("LDC-MTL: \(reason)") }
        guard penalty.isFinite, penalty > 0 else { throw fail("penalty λ must be positive and finite, got \(penalty)") }
        guard smoothing.isFinite, smoothing >= 0 else { throw fail("smoothing γ must be non-negative and finite, got \(smoothing)") }
        if let lossOffsets, lossOffsets.count != taskCount || !lossOffsets.allSatisfy(\.isFinite) {
            throw fail("need \(taskCount) finite loss offsets, got \(lossOffsets)")
        }
    }
}

/// The router and the single-loop update of LDC-MTL.
///
/// The router is a linear layer with softmax output on the batch mean `z̄` of the shared
/// representation: `σ(W) = softmax(A z̄ + b)`, `W = (A, b)`, initialised to zero (`σ` uniform).
/// `z̄` is an input of the router and is not differentiated (the trunk is trained by the lower
/// level only); a model without a representation hook gives an empty `z̄`, so `σ = softmax(b)`.
///
/// With the normalised losses `l̃`, each step minimises, jointly in the model `x` and `W`, with one
/// step size,
///
///     Φ(W, x) = Σᵢ σᵢ(W) l̃ᵢ(x) + λ Σᵢ₌₁^{K−1} φ(τᵢ l̃ᵢ − τᵢ₊₁ l̃ᵢ₊₁),   φ(d) = √(d² + γ) or |d|,
///
/// i.e. `x ← x − α ∇ₓΦ`, `W ← W − α ∇_W Φ` from the same point. This is Algorithm 1 with the
/// lower-level sum `g` and the discrepancy `f` weighted as in the public code (`g + λ f`): the
/// paper's direction `∇f + λ′∇g` is `λ′ (∇g + ∇f/λ′)`, the same up to a factor, and Table 5's penalty
/// constants are the `λ` of this form. The model step is a weighted gradient `Σ cᵢ ∇Lᵢ` with
/// `cᵢ = (σᵢ + λ Σ_pairs φ′(dₚ) ∂dₚ/∂l̃ᵢ) ∂l̃ᵢ/∂Lᵢ`.
///
/// Fixed points (smoothed, `γ → 0`, two tasks): the router balances `σ₁ l̃₁ = σ₂ l̃₂` (when
/// `λ > |l̃₁ − l̃₂|/(l̃₁ + l̃₂)`, else `σ` collapses onto the smaller loss), and `x` is stationary
/// for `l̃₂² ∇l̃₁ + l̃₁² ∇l̃₂ = 0`.
public struct LDCState: Sendable {
    /// The settings.
    public let settings: LDCSettings
    /// The router's weight `A`, `K × d` row-major.
    public private(set) var routerWeight: [Double]
    /// The router's bias `b`.
    public private(set) var routerBias: [Double]
    /// `Lᵢ⁰ − bᵢ`, set by the first step.
    public private(set) var initialLosses: [Double]?
    /// `σ` of the last step.
    public private(set) var lastRouterWeights: [Double]
    private let taskCount: Int
    private let featureWidth: Int
    private var optimizer: OptimizerState<Double>

    /// A zero router for `taskCount` tasks on features of width `featureWidth` (0: bias only),
    /// updated with a fresh state of `optimizer`.
    public init(settings: LDCSettings, taskCount: Int, featureWidth: Int, optimizer: OptimizerKind) {
        self.settings = settings
        self.taskCount = taskCount
        self.featureWidth = featureWidth
        routerWeight = [Double](repeating: 0, count: taskCount * featureWidth)
        routerBias = [Double](repeating: 0, count: taskCount)
        lastRouterWeights = [Double](repeating: 1 / Double(taskCount), count: taskCount)
        self.optimizer = OptimizerState(kind: optimizer, count: taskCount * (featureWidth + 1))
    }

    /// `σ = softmax(A z̄ + b)`.
    public func routerWeights(feature: [Double]) -> [Double] {
        var logits = routerBias
        for i in 0..<taskCount {
            for j in 0..<featureWidth { logits[i] += routerWeight[i * featureWidth + j] * feature[j] }
        }
        let top = logits.max() ?? 0
        let exponentials = logits.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// The model's task weights `c` of this step (`∇ₓΦ = Σ cᵢ ∇Lᵢ`), then one router step on
    /// `∇_W Φ` with `learningRate` (the model's step size).
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` on a wrong feature width, a loss not
    ///   above its offset (rescale, log) or a non-finite value.
    public mutating func update(losses: [Double], feature: [Double], learningRate: Double) throws -> [Double] {
        func fail(_ reason: String) -> TrainingError { .invalidConfiguration("LDC-MTL: \(reason)") }
        guard feature.count == featureWidth else { throw fail("router input has \(feature.count) values, expected \(featureWidth)") }
        guard losses.allSatisfy(\.isFinite), feature.allSatisfy(\.isFinite) else { throw fail("non-finite losses \(losses) or router input") }
        let offsets = settings.lossOffsets ?? [Double](repeating: 0, count: taskCount)
        let shifted = zip(losses, offsets).map { $0 - $1 }
        var normalised = shifted
        var slope = [Double](repeating: 1, count: taskCount)
        if settings.normalization != .none {
            guard shifted.allSatisfy({ $0 > 0 }) else { throw fail("\(settings.normalization.rawValue) normalisation needs losses above their offsets, got \(shifted)") }
            if initialLosses == nil { initialLosses = shifted }
            for i in 0..<taskCount {
                let ratio = shifted[i] / initialLosses![i]
                normalised[i] = settings.normalization == .log ? Foundation.log(ratio) : ratio
                slope[i] = settings.normalization == .log ? 1 / shifted[i] : 1 / initialLosses![i]
            }
        }
        let sigma = routerWeights(feature: feature)
        lastRouterWeights = sigma
        let tau = settings.upperWeights == .router ? sigma : [Double](repeating: 1, count: taskCount)
        let lambda = settings.penalty
        // ∂Φ/∂l̃ᵢ and ∂Φ/∂σᵢ.
        var byLoss = sigma
        var bySigma = normalised
        for p in 0..<(taskCount - 1) {
            let d = tau[p] * normalised[p] - tau[p + 1] * normalised[p + 1]
            let phiPrime = settings.smoothing > 0 ? d / (d * d + settings.smoothing).squareRoot() : (d > 0 ? 1 : (d < 0 ? -1 : 0))
            byLoss[p] += lambda * phiPrime * tau[p]
            byLoss[p + 1] -= lambda * phiPrime * tau[p + 1]
            if settings.upperWeights == .router {
                bySigma[p] += lambda * phiPrime * normalised[p]
                bySigma[p + 1] -= lambda * phiPrime * normalised[p + 1]
            }
        }
        // Through the softmax: ∂Φ/∂uᵢ = σᵢ (∂Φ/∂σᵢ − Σⱼ σⱼ ∂Φ/∂σⱼ), u = A z̄ + b.
        let mean = zip(sigma, bySigma).reduce(0) { $0 + $1.0 * $1.1 }
        let byLogit = (0..<taskCount).map { sigma[$0] * (bySigma[$0] - mean) }
        var router = routerWeight + routerBias
        var gradient = [Double](repeating: 0, count: router.count)
        for i in 0..<taskCount {
            for j in 0..<featureWidth { gradient[i * featureWidth + j] = byLogit[i] * feature[j] }
            gradient[taskCount * featureWidth + i] = byLogit[i]
        }
        optimizer.step(&router, gradient: gradient, learningRate: learningRate)
        routerWeight = Array(router[0 ..< taskCount * featureWidth])
        routerBias = Array(router[(taskCount * featureWidth)...])
        return zip(byLoss, slope).map { $0 * $1 }
    }
}
