import Foundation
import LinearAlgebra

/// Options of ``LBFGS/minimize(from:options:onStep:_:)``. The defaults follow SciPy's
/// `scipy.optimize.minimize(method="L-BFGS-B")` (`maxcor = 10`, `gtol = 1e-5`,
/// `ftol = 2.220446049250313e-09`, `maxiter = maxfun = 15000`) and Nocedal & Wright,
/// *Numerical Optimization*, 2nd ed. (2006), §3.1 (`c₁ = 10⁻⁴`, `c₂ = 0.9` for quasi-Newton
/// methods).
public struct LBFGSOptions: Sendable, Equatable {
    /// `m`, the number of correction pairs `(sₖ, yₖ)` kept (N&W §7.2).
    public var memory = 10
    /// Stop when `‖∇f(xₖ)‖∞` is at most this (SciPy's `gtol`; `0` disables it).
    public var gradientTolerance = 1e-5
    /// Also stop when `‖∇f(xₖ)‖∞ ≤ relativeGradientTolerance · ‖∇f(x₀)‖∞` (`nil`: not used).
    public var relativeGradientTolerance: Double? = nil
    /// Stop when the accepted step decreased `f` by at most
    /// `functionTolerance · max(|fₖ|, |fₖ₊₁|, 1)` (SciPy's `ftol`; `0` disables it).
    public var functionTolerance = 2.220446049250313e-09
    /// The most iterations (accepted steps).
    public var maxIterations = 15_000
    /// The most evaluations of `(f, ∇f)`, line-search trials included.
    public var maxEvaluations = 15_000
    /// `c₁` of the sufficient-decrease condition `f(xₖ + α pₖ) ≤ f(xₖ) + c₁ α ∇fₖᵀpₖ` (N&W eq. 3.6a).
    public var sufficientDecrease = 1e-4
    /// `c₂` of the strong curvature condition `|∇f(xₖ + α pₖ)ᵀpₖ| ≤ c₂ |∇fₖᵀpₖ|` (N&W eq. 3.7b).
    public var curvature = 0.9
    /// A pair is skipped (not stored) when `sᵀy ≤ curvatureSkipTolerance · ‖s‖ ‖y‖`, which keeps
    /// the implicit inverse Hessian positive definite (N&W §6.1, "skipping").
    public var curvatureSkipTolerance = 1e-10
    /// Trial steps per line search before it counts as failed.
    public var maxLineSearchEvaluations = 30
    /// Relative rounding level `ε_f` of `f`: value comparisons in the line search allow
    /// `ε_f |f(xₖ)|`, so that near a minimiser, where value differences fall below rounding,
    /// steps are still decided by the (accurate) slopes (the error term of Hager & Zhang's
    /// approximate Wolfe conditions, SIAM J. Optim. 16(1), 2005). `0`: exact comparisons.
    public var valueRoundingTolerance = 1e-14

    public init(
        memory: Int = 10, gradientTolerance: Double = 1e-5, relativeGradientTolerance: Double? = nil,
        functionTolerance: Double = 2.220446049250313e-09, maxIterations: Int = 15_000, maxEvaluations: Int = 15_000
    ) {
        self.memory = memory
        self.gradientTolerance = gradientTolerance
        self.relativeGradientTolerance = relativeGradientTolerance
        self.functionTolerance = functionTolerance
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations
    }
}

/// Why ``LBFGS/minimize(from:options:onStep:_:)`` stopped.
public enum LBFGSStopReason: String, Sendable, Equatable, Codable {
    /// `‖∇f‖∞` reached the absolute or relative gradient tolerance.
    case gradientConverged = "gradient"
    /// The last accepted step decreased `f` by at most the relative function tolerance.
    case functionDecreaseConverged = "function decrease"
    /// ``LBFGSOptions/maxIterations`` steps were taken.
    case iterationLimit = "iteration limit"
    /// ``LBFGSOptions/maxEvaluations`` evaluations were spent (a line search was cut short;
    /// the last accepted point is returned).
    case evaluationLimit = "evaluation limit"
    /// No step satisfying the strong Wolfe conditions was found, also not along the steepest
    /// descent direction (usually: `f` is at the limit of its rounding precision).
    case lineSearchFailure = "line-search failure"

    /// Whether the stop reason is one of the two convergence tests.
    public var isConverged: Bool { self == .gradientConverged || self == .functionDecreaseConverged }
}

/// Errors of ``LBFGS/minimize(from:options:onStep:_:)``.
public enum LBFGSError: Error, Equatable, CustomStringConvertible {
    /// The objective returned a non-finite value or gradient component.
    case nonFinite(quantity: String, index: Int?, evaluation: Int)
    /// The gradient has the wrong length.
    case dimensionMismatch(expected: Int, actual: Int)
    /// A meaningless option.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .nonFinite(let quantity, let index, let evaluation):
            let place = index.map { " at index \($0)" } ?? ""
            return "L-BFGS: non-finite \(quantity)\(place) in evaluation \(evaluation)"
        case .dimensionMismatch(let expected, let actual):
            return "L-BFGS: the objective returned a gradient of \(actual) components for \(expected) parameters"
        case .invalidOption(let reason):
            return "L-BFGS: \(reason)"
        }
    }
}

/// One accepted step `xₖ₊₁ = xₖ + αₖ pₖ`, reported to the `onStep` callback (e.g. to check the
/// strong Wolfe conditions independently or to log progress).
public struct LBFGSStep: Sendable {
    /// `k + 1`, the number of accepted steps including this one.
    public var iteration: Int
    /// `xₖ`.
    public var previousPoint: [Double]
    /// `pₖ`, the search direction (a descent direction: `∇fₖᵀpₖ < 0`).
    public var direction: [Double]
    /// `αₖ`.
    public var stepLength: Double
    /// `f(xₖ)` and `f(xₖ₊₁)`.
    public var previousValue: Double
    public var value: Double
    /// `∇fₖᵀpₖ` and `∇fₖ₊₁ᵀpₖ`.
    public var previousSlope: Double
    public var slope: Double
    /// `‖∇f(xₖ₊₁)‖∞`.
    public var gradientNorm: Double
    /// Evaluations so far.
    public var evaluations: Int
}

/// The result of ``LBFGS/minimize(from:options:onStep:_:)``.
public struct LBFGSResult: Sendable {
    /// The last accepted point.
    public var x: [Double]
    /// `f(x)`.
    public var value: Double
    /// `∇f(x)`.
    public var gradient: [Double]
    /// `‖∇f(x)‖∞`.
    public var gradientNorm: Double
    /// `‖∇f(x₀)‖∞`.
    public var initialGradientNorm: Double
    /// Accepted steps.
    public var iterations: Int
    /// Evaluations of `(f, ∇f)`, line-search trials included.
    public var evaluations: Int
    /// Why it stopped.
    public var stopReason: LBFGSStopReason
}

/// The limited-memory BFGS method (Nocedal & Wright, *Numerical Optimization*, 2nd ed., 2006,
/// Algorithm 7.5) for smooth unconstrained minimisation of `f: Rⁿ → R`.
///
/// Each iteration computes `pₖ = −Hₖ ∇fₖ` by the two-loop recursion (Algorithm 7.4) from the
/// last `m` pairs `sᵢ = xᵢ₊₁ − xᵢ`, `yᵢ = ∇fᵢ₊₁ − ∇fᵢ`, with `Hₖ⁰ = γₖ I`,
/// `γₖ = sₖ₋₁ᵀyₖ₋₁ / yₖ₋₁ᵀyₖ₋₁` (eq. 7.20), then finds a step length satisfying the strong
/// Wolfe conditions (eq. 3.7; the value test up to ``LBFGSOptions/valueRoundingTolerance``)
/// by Algorithm 3.5 with the zoom of Algorithm 3.6, trial steps
/// chosen by safeguarded cubic interpolation (eq. 3.59). The first trial is `α = 1`
/// (`α = min(1, 1/‖∇f₀‖₂)` on the first, steepest-descent iteration, N&W §3.5). Pairs with
/// `sᵀy ≤ ε ‖s‖‖y‖` are skipped. If a line search fails along the quasi-Newton direction, the
/// memory is cleared and steepest descent is tried once before stopping with
/// ``LBFGSStopReason/lineSearchFailure``.
public enum LBFGS {
    /// Minimises `objective` from `x0`.
    /// - Parameters:
    ///   - x0: the start point.
    ///   - options: memory, tolerances and limits.
    ///   - onStep: called after every accepted step.
    ///   - objective: `x ↦ (f(x), ∇f(x))`.
    /// - Throws: ``LBFGSError/nonFinite(quantity:index:evaluation:)`` when the objective returns
    ///   NaN or ±∞ (never stepped over), ``LBFGSError/dimensionMismatch(expected:actual:)``,
    ///   ``LBFGSError/invalidOption(_:)``, and whatever `objective` or `onStep` throws.
    public static func minimize(
        from x0: [Double], options: LBFGSOptions = LBFGSOptions(),
        onStep: (LBFGSStep) throws -> Void = { _ in },
        _ objective: (_ x: [Double]) throws -> (value: Double, gradient: [Double])
    ) throws -> LBFGSResult {
        try validate(options)
        guard !x0.isEmpty else { throw LBFGSError.invalidOption("the start point is empty") }
        if let index = x0.firstIndex(where: { !$0.isFinite }) {
            throw LBFGSError.nonFinite(quantity: "start point", index: index, evaluation: 0)
        }
        let n = x0.count
        var evaluations = 0
        func evaluate(_ x: [Double]) throws -> (value: Double, gradient: [Double]) {
            evaluations += 1
            let (value, gradient) = try objective(x)
            guard gradient.count == n else { throw LBFGSError.dimensionMismatch(expected: n, actual: gradient.count) }
            guard value.isFinite else { throw LBFGSError.nonFinite(quantity: "value", index: nil, evaluation: evaluations) }
            if let index = gradient.firstIndex(where: { !$0.isFinite }) {
                throw LBFGSError.nonFinite(quantity: "gradient", index: index, evaluation: evaluations)
            }
            return (value, gradient)
        }

        var x = x0
        var (value, gradient) = try evaluate(x)
        let initialGradientNorm = infinityNorm(gradient)
        var gradientNorm = initialGradientNorm
        var iterations = 0
        var memory = CorrectionMemory(capacity: options.memory)
        func result(_ reason: LBFGSStopReason) -> LBFGSResult {
            LBFGSResult(
                x: x, value: value, gradient: gradient, gradientNorm: gradientNorm, initialGradientNorm: initialGradientNorm,
                iterations: iterations, evaluations: evaluations, stopReason: reason)
        }
        func gradientConverged() -> Bool {
            gradientNorm <= options.gradientTolerance
                || (options.relativeGradientTolerance.map { gradientNorm <= $0 * initialGradientNorm } ?? false)
        }
        if gradientConverged() { return result(.gradientConverged) }

        while true {
            if iterations >= options.maxIterations { return result(.iterationLimit) }
            // Direction: the two-loop recursion, or steepest descent with an empty memory (or
            // when rounding made the quasi-Newton direction not a descent direction).
            var search: LineSearchOutcome? = nil
            for attempt in 0..<2 {
                let useMemory = attempt == 0 && !memory.isEmpty
                if attempt == 1 { memory.removeAll() }
                var direction = useMemory ? memory.direction(for: gradient) : gradient.map { -$0 }
                var slope = Vectors.dot(gradient, direction)
                if useMemory && !(slope < 0) {
                    direction = gradient.map { -$0 }
                    slope = Vectors.dot(gradient, direction)
                    memory.removeAll()
                }
                let initialStep = memory.isEmpty ? min(1, 1 / Vectors.norm(gradient)) : 1
                let outcome = try strongWolfeLineSearch(
                    from: x, value: value, slope: slope, direction: direction, initialStep: initialStep,
                    options: options, evaluationsLeft: options.maxEvaluations - evaluations, evaluate: evaluate)
                switch outcome {
                case .accepted: search = outcome
                case .evaluationLimit: return result(.evaluationLimit)
                case .failed: search = nil
                }
                if search != nil || !useMemory { break }
            }
            guard case .accepted(let step, let direction, let slope, let newX, let newValue, let newGradient, let newSlope) = search else {
                return result(.lineSearchFailure)
            }
            let previousX = x, previousValue = value, previousGradient = gradient
            x = newX
            value = newValue
            gradient = newGradient
            gradientNorm = infinityNorm(gradient)
            iterations += 1
            try onStep(LBFGSStep(
                iteration: iterations, previousPoint: previousX, direction: direction, stepLength: step,
                previousValue: previousValue, value: value, previousSlope: slope, slope: newSlope,
                gradientNorm: gradientNorm, evaluations: evaluations))
            // Correction pair (Algorithm 7.5), skipped unless sᵀy > ε ‖s‖ ‖y‖.
            let s = zip(x, previousX).map { $0 - $1 }
            let y = zip(gradient, previousGradient).map { $0 - $1 }
            let sy = Vectors.dot(s, y)
            if sy > options.curvatureSkipTolerance * Vectors.norm(s) * Vectors.norm(y) { memory.append(s: s, y: y, sy: sy) }

            if gradientConverged() { return result(.gradientConverged) }
            if options.functionTolerance > 0,
               previousValue - value <= options.functionTolerance * max(abs(previousValue), abs(value), 1) {
                return result(.functionDecreaseConverged)
            }
            if evaluations >= options.maxEvaluations { return result(.evaluationLimit) }
        }
    }

    private static func validate(_ options: LBFGSOptions) throws {
        guard options.memory >= 1 else { throw LBFGSError.invalidOption("memory must be at least 1, got \(options.memory)") }
        guard options.gradientTolerance >= 0, options.functionTolerance >= 0,
              (options.relativeGradientTolerance ?? 0) >= 0 else {
            throw LBFGSError.invalidOption("tolerances must be non-negative")
        }
        guard options.maxIterations >= 0, options.maxEvaluations >= 1, options.maxLineSearchEvaluations >= 1 else {
            throw LBFGSError.invalidOption("iteration and evaluation limits must be positive")
        }
        guard 0 < options.sufficientDecrease, options.sufficientDecrease < options.curvature, options.curvature < 1 else {
            throw LBFGSError.invalidOption(
                "Wolfe constants need 0 < c₁ < c₂ < 1, got c₁ = \(options.sufficientDecrease), c₂ = \(options.curvature)")
        }
        guard options.curvatureSkipTolerance >= 0, options.valueRoundingTolerance >= 0 else { throw LBFGSError.invalidOption("the curvature skip and rounding tolerances must be non-negative") }
    }

    private static func infinityNorm(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }

    /// The last `m` correction pairs and the two-loop recursion (N&W Algorithm 7.4).
    private struct CorrectionMemory {
        let capacity: Int
        private var s: [[Double]] = []
        private var y: [[Double]] = []
        private var rho: [Double] = []

        init(capacity: Int) { self.capacity = capacity }

        var isEmpty: Bool { s.isEmpty }

        mutating func removeAll() {
            s.removeAll()
            y.removeAll()
            rho.removeAll()
        }

        mutating func append(s newS: [Double], y newY: [Double], sy: Double) {
            if s.count == capacity {
                s.removeFirst()
                y.removeFirst()
                rho.removeFirst()
            }
            s.append(newS)
            y.append(newY)
            rho.append(1 / sy)
        }

        /// `−Hₖ g` with `Hₖ⁰ = γ I`, `γ = sᵀy / yᵀy` of the newest pair (eq. 7.20).
        func direction(for g: [Double]) -> [Double] {
            var q = g
            var alpha = [Double](repeating: 0, count: s.count)
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[i] = rho[i] * Vectors.dot(s[i], q)
                Vectors.axpy(-alpha[i], y[i], &q)
            }
            let newest = s.count - 1
            let gamma = 1 / (rho[newest] * Vectors.dot(y[newest], y[newest]))
            Vectors.scale(&q, by: gamma)
            for i in 0..<s.count {
                let beta = rho[i] * Vectors.dot(y[i], q)
                Vectors.axpy(alpha[i] - beta, s[i], &q)
            }
            Vectors.scale(&q, by: -1)
            return q
        }
    }

    private enum LineSearchOutcome {
        case accepted(step: Double, direction: [Double], slope: Double, x: [Double], value: Double, gradient: [Double], newSlope: Double)
        case failed
        case evaluationLimit
    }

    /// One trial `φ(α) = f(x + α p)`, `φ'(α) = ∇f(x + α p)ᵀp`.
    private struct Trial {
        var step: Double
        var value: Double
        var slope: Double
        var x: [Double]
        var gradient: [Double]
    }

    /// Algorithm 3.5 (bracketing) with Algorithm 3.6 (zoom) of N&W: a step satisfying the
    /// strong Wolfe conditions `φ(α) ≤ φ(0) + c₁ α φ'(0)` and `|φ'(α)| ≤ c₂ |φ'(0)|`.
    private static func strongWolfeLineSearch(
        from x: [Double], value: Double, slope: Double, direction: [Double], initialStep: Double,
        options: LBFGSOptions, evaluationsLeft: Int,
        evaluate: ([Double]) throws -> (value: Double, gradient: [Double])
    ) throws -> LineSearchOutcome {
        let c1 = options.sufficientDecrease, c2 = options.curvature
        let noise = options.valueRoundingTolerance * abs(value)
        let budget = min(options.maxLineSearchEvaluations, evaluationsLeft)
        var used = 0
        var limitReached: Bool { used >= evaluationsLeft }
        func trial(_ step: Double) throws -> Trial? {
            guard used < budget else { return nil }
            used += 1
            var point = x
            Vectors.axpy(step, direction, &point)
            let (v, g) = try evaluate(point)
            return Trial(step: step, value: v, slope: Vectors.dot(g, direction), x: point, gradient: g)
        }
        func accept(_ t: Trial) -> LineSearchOutcome {
            .accepted(step: t.step, direction: direction, slope: slope, x: t.x, value: t.value, gradient: t.gradient, newSlope: t.slope)
        }
        func sufficientDecrease(_ t: Trial) -> Bool { t.value <= value + c1 * t.step * slope + noise }
        func curvature(_ t: Trial) -> Bool { abs(t.slope) <= -c2 * slope }
        let origin = Trial(step: 0, value: value, slope: slope, x: x, gradient: [])

        // Algorithm 3.6: `low` satisfies sufficient decrease with the lowest value seen,
        // and `φ'(low)(high − low) < 0`.
        func zoom(_ lowStart: Trial, _ highStart: Trial) throws -> LineSearchOutcome {
            var low = lowStart, high = highStart
            while true {
                let width = abs(high.step - low.step)
                if width <= 1e-16 * max(abs(low.step), abs(high.step)) { return .failed }
                var step = cubicMinimizer(low, high)
                let lower = min(low.step, high.step), upper = max(low.step, high.step)
                if !(step.isFinite && step >= lower + 0.1 * width && step <= upper - 0.1 * width) {
                    step = (low.step + high.step) / 2
                }
                guard let t = try trial(step) else { return limitReached ? .evaluationLimit : .failed }
                if !sufficientDecrease(t) || t.value > low.value + noise {
                    high = t
                } else {
                    if curvature(t) { return accept(t) }
                    if t.slope * (high.step - low.step) >= 0 { high = low }
                    low = t
                }
            }
        }

        var previous = origin
        var step = initialStep
        var first = true
        while true {
            guard let t = try trial(step) else { return limitReached ? .evaluationLimit : .failed }
            if !sufficientDecrease(t) || (!first && t.value > previous.value + noise) { return try zoom(previous, t) }
            if curvature(t) { return accept(t) }
            if t.slope >= 0 { return try zoom(t, previous) }
            // Extrapolate: the cubic through the last two trials, kept within [2α, 10α]
            // (the extrapolation safeguard of Moré & Thuente 1994).
            let guess = cubicMinimizer(previous, t)
            step = guess.isFinite ? min(max(guess, 2 * t.step), 10 * t.step) : 2 * t.step
            previous = t
            first = false
        }
    }

    /// The minimiser of the cubic interpolating `φ` and `φ'` at `a` and `b` (N&W eq. 3.59);
    /// NaN when the cubic has no minimiser.
    private static func cubicMinimizer(_ a: Trial, _ b: Trial) -> Double {
        let d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step)
        let discriminant = d1 * d1 - a.slope * b.slope
        guard discriminant >= 0, a.step != b.step else { return .nan }
        let d2 = (b.step > a.step ? 1.0 : -1.0) * discriminant.squareRoot()
        let denominator = b.slope - a.slope + 2 * d2
        guard denominator != 0 else { return .nan }
        return b.step - (b.step - a.step) * (b.slope + d2 - d1) / denominator
    }
}
