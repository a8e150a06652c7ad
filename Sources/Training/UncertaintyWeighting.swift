import Foundation

/// The settings of uncertainty weighting (Kendall, Gal & Cipolla, "Multi-task learning using
/// uncertainty to weigh losses for scene geometry and semantics", CVPR 2018, §3).
public struct UncertaintySettings: Sendable, Equatable {
    /// The initial log-variances `sᵢ(0)` (default 0, i.e. `σᵢ = 1`), or `nil` for all zero.
    public var initialLogVariances: [Double]?

    /// `sᵢ(0) = 0`.
    public init(initialLogVariances: [Double]? = nil) {
        self.initialLogVariances = initialLogVariances
    }

    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` on a wrong count or non-finite value.
    public func validate(taskCount: Int) throws {
        guard let initial = initialLogVariances else { return }
        guard initial.count == taskCount, initial.allSatisfy(\.isFinite) else {
            throw TrainingError.invalidConfiguration("uncertainty: need \(taskCount) finite initial log-variances, got \(initial)")
        }
    }
}

/// Learned homoscedastic task uncertainty.
///
/// The form implemented, for every task: `L(θ, s) = Σᵢ exp(−sᵢ) fᵢ(θ) + sᵢ` with `sᵢ = log σᵢ²`.
/// This is twice Kendall et al.'s regression form `fᵢ/(2σᵢ²) + log σᵢ` (eq. 5) and the form
/// their classification approximation (eq. 10, `fᵢ/σᵢ² + log σᵢ`) is commonly implemented in;
/// eq. 10 itself would be `exp(−sᵢ) fᵢ + sᵢ/2`, whose optimum is `sᵢ = log 2fᵢ` instead of
/// `log fᵢ`. The network steps on `Σ exp(−sᵢ) ∇fᵢ`; `s` takes a step of the run's optimiser (own
/// state, same learning rate) along `∂L/∂sᵢ = 1 − exp(−sᵢ) fᵢ`, evaluated at the same point.
///
/// Fixed point: `sᵢ = log fᵢ` and `Σ ∇fᵢ / fᵢ = 0`, i.e. a stationary point of `Σ log fᵢ`.
public struct UncertaintyState: Sendable {
    /// The current log-variances `s`.
    public private(set) var logVariances: [Double]
    private var optimizer: OptimizerState<Double>

    /// `s = s(0)` with a fresh state of `optimizer`.
    public init(settings: UncertaintySettings, taskCount: Int, optimizer: OptimizerKind) {
        logVariances = settings.initialLogVariances ?? [Double](repeating: 0, count: taskCount)
        self.optimizer = OptimizerState(kind: optimizer, count: taskCount)
    }

    /// The network weights `exp(−sᵢ)` at the current `s`.
    public var weights: [Double] { logVariances.map { Foundation.exp(-$0) } }

    /// One optimiser step of `s` along `∂L/∂sᵢ = 1 − exp(−sᵢ) fᵢ` for the step's losses `fᵢ`
    /// (evaluated at the `s` the network step used).
    public mutating func update(losses: [Double], learningRate: Double) {
        let gradient = zip(weights, losses).map { 1 - $0 * $1 }
        optimizer.step(&logVariances, gradient: gradient, learningRate: learningRate)
    }
}
