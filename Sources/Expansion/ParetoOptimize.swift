import LinearAlgebra
import MultiObjective

/// How ``paretoOptimize(_:from:options:stream:)`` steps toward the front.
public enum ParetoOptimizeMethod: Sendable, Equatable {
    /// Multiple-gradient descent (Désidéri 2012): step along `−Σ α*ᵢ ∇fᵢ` with the min-norm
    /// weights `α*`, a common descent direction of every objective.
    case mgda
    /// Gradient descent on the weighted sum `Σ wᵢ fᵢ` with fixed weights.
    case weightedSum([Double])
    /// Descent on the weighted Chebyshev scalarisation `maxᵢ wᵢ fᵢ` (ideal point 0): the
    /// min-norm direction of the ε-active objectives (`wᵢfᵢ ≥ (1 − 10⁻²) maxₖ wₖfₖ`), with
    /// Armijo on the maximum. Unlike weighted sums it reaches concave parts of a front
    /// (Miettinen 1999, §3.4), so it gives interior seeds on ZDT2.
    case chebyshev([Double])
}

/// Mini-batch ParetoOptimize (the stochastic variant of Ma et al.'s correction, as their
/// public code and the SGD trainers step): each step draws a mini-batch `B` of the objective's
/// ``ParetoObjective/miniBatches``, computes `∇f_B(x)` (one gradient evaluation) and, for
/// MGDA, the min-norm weights `α*_B` of *that batch's* gradients (Désidéri 2012; Sener & Koltun
/// 2018, Algorithm 2), and takes the SGD step `x ← P(x − η Σ α*_{B,i} ∇f_{B,i}(x))` (weighted
/// sums: `x ← P(x − η Σ wᵢ ∇f_{B,i}(x))`) at the fixed step size `η`, without line search.
///
/// The steps are a fixed number (``ParetoOptimizeOptions/maxIterations``) unless
/// ``checkEvery`` is set: then every `checkEvery` steps (and before the first, and after the
/// last) the point is evaluated on the *full* objectives and the steps stop once its
/// stationarity meets the tolerances of ``ParetoOptimizeOptions``; if none does, the checked
/// point with the lowest relative stationarity is returned (SGD iterates fluctuate; the
/// result's ``ParetoOptimizeResult/iterations`` still counts every step taken). Stationarity is
/// never judged on a mini-batch (its min-norm element is noisy); the returned point is always
/// evaluated on the full objectives.
public struct MiniBatchOptimization: Sendable, Equatable {
    /// Full-set stationarity check every this many steps (`nil`: none, a fixed number of steps).
    public var checkEvery: Int?
    /// Seed of the batch draws (each call has its own stream as well, see
    /// ``paretoOptimize(_:from:options:stream:)``).
    public var seed: UInt64

    /// Mini-batch steps with full-set checks every `checkEvery` steps (`nil`: a fixed number of
    /// steps) and batches drawn with `seed`.
    public init(checkEvery: Int? = nil, seed: UInt64 = 1) {
        self.checkEvery = checkEvery
        self.seed = seed
    }
}

/// Options of ``paretoOptimize(_:from:options:stream:)``.
public struct ParetoOptimizeOptions: Sendable, Equatable {
    /// The descent direction.
    public var method: ParetoOptimizeMethod = .mgda
    /// Initial step length `η` of each step `x ← P(x + η d)`.
    public var stepSize: Double = 0.5
    /// The most steps taken.
    public var maxIterations: Int = 100
    /// Stop when the method's descent direction is at most this long (free coordinates):
    /// `‖Σ α*ᵢ ∇fᵢ‖` for MGDA, `‖Σ wᵢ ∇fᵢ‖` for a weighted sum.
    public var stationarityTolerance: Double = 1e-6
    /// Also stop when that length divided by `maxᵢ ‖∇fᵢ‖` is at most this (scale-free; `nil`: not used).
    public var relativeStationarityTolerance: Double? = nil
    /// Halve the step until the Armijo condition holds (every objective decreases by at least
    /// `10⁻⁴ η ‖d‖²` for MGDA; the weighted sum for weighted-sum steps). Costs objective
    /// evaluations; without it, steps are taken at `stepSize` blindly (plain SGD style).
    public var backtracking = true
    /// Steps on mini-batches (``MiniBatchOptimization``) instead of the full objectives
    /// (`nil`: full-set steps, with Armijo if ``backtracking``). MGDA and weighted sums only.
    public var miniBatch: MiniBatchOptimization? = nil

    public init(
        method: ParetoOptimizeMethod = .mgda, stepSize: Double = 0.5, maxIterations: Int = 100,
        stationarityTolerance: Double = 1e-6, relativeStationarityTolerance: Double? = nil, backtracking: Bool = true,
        miniBatch: MiniBatchOptimization? = nil
    ) {
        self.method = method
        self.stepSize = stepSize
        self.maxIterations = maxIterations
        self.stationarityTolerance = stationarityTolerance
        self.relativeStationarityTolerance = relativeStationarityTolerance
        self.backtracking = backtracking
        self.miniBatch = miniBatch
    }
}

/// A point with its objective values, gradients and stationarity data.
public struct EvaluatedPoint: Sendable, Equatable {
    /// `x`.
    public var parameters: [Double]
    /// `f(x)`.
    public var objectives: [Double]
    /// `∇f(x)`, one row per objective.
    public var jacobian: [[Double]]
    /// The free coordinates (see ``ParetoObjective/freeVariables(at:jacobian:)``).
    public var freeVariables: [Int]
    /// The min-norm weights `α*` over the free coordinates.
    public var weights: [Double]
    /// `c = Σ α*ᵢ ∇fᵢ` on the free coordinates (Ma et al., Prop. 4.1).
    public var correction: [Double]
    /// `‖c‖`.
    public var stationarity: Double
    /// `‖c‖ / maxᵢ ‖∇fᵢ‖` over the free coordinates.
    public var relativeStationarity: Double

    /// Evaluates `f`, `∇f`, the free set, `α*` and `c` at `x`.
    public init(_ objective: ParetoObjective, at x: [Double]) throws {
        let (values, jacobian) = try objective.valuesAndJacobian(at: x)
        let free = objective.freeVariables(at: x, jacobian: jacobian)
        parameters = x
        objectives = values
        self.jacobian = jacobian
        freeVariables = free
        if free.isEmpty {
            weights = [Double](repeating: 1 / Double(values.count), count: values.count)
            correction = []
            stationarity = 0
            relativeStationarity = 0
        } else {
            let restricted = jacobian.map { Vector.restrict($0, to: free) }
            let result = try MinNormWeights.correction(gradients: restricted)
            weights = result.weights
            correction = result.correction
            stationarity = Vector.norm(result.correction)
            relativeStationarity = result.stationarity
        }
    }
}

/// The result of ``paretoOptimize(_:from:options:stream:)``.
public struct ParetoOptimizeResult: Sendable {
    /// The final point.
    public var point: EvaluatedPoint
    /// Steps taken.
    public var iterations: Int
    /// Whether a stationarity tolerance was met.
    public var converged: Bool
    /// Stationarity `‖Σ α*ᵢ∇fᵢ‖` at the start point (NaN when not measured: mini-batch steps
    /// without ``MiniBatchOptimization/checkEvery`` never evaluate the start on the full set).
    public var initialStationarity: Double
    /// Relative stationarity at the start point (NaN when not measured, as above).
    public var initialRelativeStationarity: Double
}

/// ParetoOptimize (Ma et al. 2020, Algorithm 1): brings `x0` back to the Pareto front by
/// projected descent steps `x ← P(x + η d)`, `P` the projection onto the box (if any), with
/// `d = −Σ α*ᵢ ∇fᵢ` (MGDA) or `d = −Σ wᵢ ∇fᵢ` (weighted sum) over the free coordinates, until
/// Pareto stationarity `‖Σ α*ᵢ ∇fᵢ‖ ≤ tolerance` or the iteration cap.
/// With ``ParetoOptimizeOptions/miniBatch`` the steps are taken on mini-batches instead
/// (``MiniBatchOptimization``); `stream` then selects the call's own sequence of batches (an
/// expansion passes one per candidate, so results do not depend on evaluation order and a
/// resumed run repeats them).
/// - Throws: Errors of the objective (non-finite values are reported, not stepped over);
///   ``ExpansionError/invalidOption(_:)`` for invalid options, or mini-batch steps on an
///   objective without mini-batches or with Chebyshev scalarisation.
public func paretoOptimize(
    _ objective: ParetoObjective, from x0: [Double], options: ParetoOptimizeOptions = ParetoOptimizeOptions(),
    stream: UInt64 = 0
) throws -> ParetoOptimizeResult {
    guard options.stepSize > 0, options.stepSize.isFinite else {
        throw ExpansionError.invalidOption("ParetoOptimize step size must be positive, got \(options.stepSize)")
    }
    switch options.method {
    case .weightedSum(let w), .chebyshev(let w):
        guard w.count == objective.objectiveCount, w.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw ExpansionError.invalidOption("scalarisation weights must be \(objective.objectiveCount) non-negative numbers, got \(w)")
        }
    case .mgda: break
    }
    if let miniBatch = options.miniBatch {
        return try miniBatchParetoOptimize(objective, from: x0, options: options, miniBatch: miniBatch, stream: stream)
    }
    var point = try EvaluatedPoint(objective, at: objective.project(x0))
    let (initial, initialRelative) = (point.stationarity, point.relativeStationarity)
    // The descent direction of the method on the free coordinates; its norm is the
    // stationarity measure that stops the iteration (‖Σ α*ᵢ∇fᵢ‖ for MGDA, ‖Σ wᵢ∇fᵢ‖ for a
    // weighted sum, whose minimisers need not be stationary in the MGDA sense and vice versa).
    func descent(_ p: EvaluatedPoint) throws -> (direction: [Double], objectives: [Int]) {
        let n = objective.parameterCount, free = p.freeVariables
        let restricted = p.jacobian.map { Vector.restrict($0, to: free) }
        func minNormDirection(_ members: [Int]) throws -> [Double] {
            // Every coordinate fixed by a bound (a vertex of the box that every gradient pushes
            // against): no feasible descent direction, the point is stationary.
            guard !free.isEmpty else { return [Double](repeating: 0, count: n) }
            let combination = try MinNormWeights.correction(gradients: members.map { restricted[$0] }).correction
            return Vector.embed(combination.map { -$0 }, at: free, count: n)
        }
        switch options.method {
        case .mgda:
            let all = Array(p.objectives.indices)
            let direction = Vector.embed(p.correction.map { -$0 }, at: free, count: n)
            // Objectives whose gradient vanishes on the free coordinates are at a minimum
            // there; MGDA calls such a point stationary although the others may still improve
            // (a weakly Pareto-optimal point, e.g. ZDT's x₁ = 0 edge). Continue on the others.
            let largest = restricted.map(Vector.norm).max() ?? 0
            let moving = all.filter { Vector.norm(restricted[$0]) > 1e-12 * largest }
            if Vector.norm(direction) <= options.stationarityTolerance, !moving.isEmpty, moving.count < all.count {
                return (try minNormDirection(moving), moving)
            }
            return (direction, all)
        case .weightedSum(let w):
            var d = [Double](repeating: 0, count: n)
            for (weight, row) in zip(w, p.jacobian) { for i in free { d[i] -= weight * row[i] } }
            return (d, Array(p.objectives.indices))
        case .chebyshev(let w):
            let scaled = zip(w, p.objectives).map { $0 * $1 }
            let top = scaled.max()!
            let active = scaled.indices.filter { scaled[$0] >= top - 1e-2 * abs(top) }
            return (try minNormDirection(active), active)
        }
    }
    func isStationary(_ p: EvaluatedPoint, _ direction: [Double]) -> Bool {
        let norm = Vector.norm(direction)
        let largest = p.jacobian.map { Vector.norm(Vector.restrict($0, to: p.freeVariables)) }.max() ?? 0
        return norm <= options.stationarityTolerance
            || (options.relativeStationarityTolerance.map { norm <= $0 * largest } ?? false)
    }
    var iterations = 0
    var (direction, descending) = try descent(point)
    while iterations < options.maxIterations && !isStationary(point, direction) {
        if Vector.dot(direction, direction) == 0 { break }
        var eta = options.stepSize
        var candidate = objective.project(Vector.adding(point.parameters, direction, scaledBy: eta))
        if options.backtracking {
            // Armijo along the projected arc: with the actual displacement p = x⁺ − x (so that
            // d·p ≥ 0 under a box projection), every descending objective (MGDA; d is their
            // common descent direction; the others must not increase), the weighted sum, or the
            // Chebyshev maximum must decrease by at least 10⁻⁴ d·p.
            func acceptable(_ values: [Double], _ candidate: [Double]) -> Bool {
                let displacement = zip(candidate, point.parameters).map { $0 - $1 }
                let decrease = 1e-4 * Vector.dot(direction, displacement)
                switch options.method {
                case .mgda:
                    return values.indices.allSatisfy { i in
                        values[i] <= point.objectives[i] - (descending.contains(i) ? decrease : 0)
                    }
                case .weightedSum(let w):
                    return Vector.dot(w, values) <= Vector.dot(w, point.objectives) - decrease
                case .chebyshev(let w):
                    let before = zip(w, point.objectives).map { $0 * $1 }.max()!
                    return zip(w, values).map { $0 * $1 }.max()! <= before - decrease
                }
            }
            var halvings = 0
            while !acceptable(try objective.values(at: candidate), candidate) && halvings <= 40 {
                halvings += 1
                eta /= 2
                candidate = objective.project(Vector.adding(point.parameters, direction, scaledBy: eta))
            }
            if halvings > 40 { break }
        }
        if candidate == point.parameters { break }
        point = try EvaluatedPoint(objective, at: candidate)
        (direction, descending) = try descent(point)
        iterations += 1
    }
    return ParetoOptimizeResult(
        point: point, iterations: iterations, converged: isStationary(point, direction),
        initialStationarity: initial, initialRelativeStationarity: initialRelative)
}

/// The mini-batch path of ``paretoOptimize(_:from:options:stream:)`` (see ``MiniBatchOptimization``).
private func miniBatchParetoOptimize(
    _ objective: ParetoObjective, from x0: [Double], options: ParetoOptimizeOptions, miniBatch: MiniBatchOptimization,
    stream: UInt64
) throws -> ParetoOptimizeResult {
    guard let source = objective.miniBatches else {
        throw ExpansionError.invalidOption("mini-batch ParetoOptimize needs an objective with mini-batches")
    }
    if case .chebyshev = options.method {
        throw ExpansionError.invalidOption("mini-batch ParetoOptimize takes MGDA or weighted-sum steps, not Chebyshev")
    }
    if let every = miniBatch.checkEvery, every < 1 {
        throw ExpansionError.invalidOption("the full-set stationarity check interval must be at least 1 step, got \(every)")
    }
    guard options.maxIterations >= 0 else {
        throw ExpansionError.invalidOption("ParetoOptimize steps must not be negative, got \(options.maxIterations)")
    }
    let n = objective.parameterCount
    // "MBPO" in the upper 32 bits, the caller's stream below.
    var generator = SeededGenerator(seed: miniBatch.seed, stream: 0x4D42_504F << 32 ^ stream)
    var x = objective.project(x0)
    func meetsTolerance(_ p: EvaluatedPoint) -> Bool {
        p.stationarity <= options.stationarityTolerance
            || (options.relativeStationarityTolerance.map { p.relativeStationarity <= $0 } ?? false)
    }
    var measured: EvaluatedPoint? = nil
    var best: EvaluatedPoint? = nil
    var initial = (absolute: Double.nan, relative: Double.nan)
    var converged = false
    var iterations = 0
    while true {
        if let every = miniBatch.checkEvery, iterations % every == 0 || iterations == options.maxIterations {
            let point = try EvaluatedPoint(objective, at: x)
            if iterations == 0 { initial = (point.stationarity, point.relativeStationarity) }
            measured = point
            if meetsTolerance(point) {
                converged = true
                break
            }
            if best.map({ point.relativeStationarity < $0.relativeStationarity }) ?? true { best = point }
        }
        if iterations == options.maxIterations { break }
        let batch = source.draw(using: &generator)
        let (_, jacobian) = try objective.miniBatchValuesAndJacobian(at: x, batch: batch)
        let free = objective.freeVariables(at: x, jacobian: jacobian)
        if free.isEmpty { break }
        var direction = [Double](repeating: 0, count: n)
        switch options.method {
        case .mgda:
            let combination = try MinNormWeights.correction(gradients: jacobian.map { Vector.restrict($0, to: free) }).correction
            for (value, i) in zip(combination, free) { direction[i] = -value }
        case .weightedSum(let w):
            for (weight, row) in zip(w, jacobian) where weight != 0 { for i in free { direction[i] -= weight * row[i] } }
        case .chebyshev:
            break
        }
        x = objective.project(Vector.adding(x, direction, scaledBy: options.stepSize))
        iterations += 1
        measured = nil
    }
    let point = converged ? try measured ?? EvaluatedPoint(objective, at: x) : try best ?? measured ?? EvaluatedPoint(objective, at: x)
    return ParetoOptimizeResult(
        point: point, iterations: iterations, converged: converged || meetsTolerance(point),
        initialStationarity: initial.absolute, initialRelativeStationarity: initial.relative)
}
