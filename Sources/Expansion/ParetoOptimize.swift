import MultiObjective

/// How ``paretoOptimize(_:from:options:)`` steps toward the front.
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

/// Options of ``paretoOptimize(_:from:options:)``.
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

    public init(
        method: ParetoOptimizeMethod = .mgda, stepSize: Double = 0.5, maxIterations: Int = 100,
        stationarityTolerance: Double = 1e-6, relativeStationarityTolerance: Double? = nil, backtracking: Bool = true
    ) {
        self.method = method
        self.stepSize = stepSize
        self.maxIterations = maxIterations
        self.stationarityTolerance = stationarityTolerance
        self.relativeStationarityTolerance = relativeStationarityTolerance
        self.backtracking = backtracking
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

/// The result of ``paretoOptimize(_:from:options:)``.
public struct ParetoOptimizeResult: Sendable {
    /// The final point.
    public var point: EvaluatedPoint
    /// Steps taken.
    public var iterations: Int
    /// Whether a stationarity tolerance was met.
    public var converged: Bool
    /// Stationarity `‖Σ α*ᵢ∇fᵢ‖` at the start point.
    public var initialStationarity: Double
    /// Relative stationarity at the start point.
    public var initialRelativeStationarity: Double
}

/// ParetoOptimize (Ma et al. 2020, Algorithm 1): brings `x0` back to the Pareto front by
/// projected descent steps `x ← P(x + η d)`, `P` the projection onto the box (if any), with
/// `d = −Σ α*ᵢ ∇fᵢ` (MGDA) or `d = −Σ wᵢ ∇fᵢ` (weighted sum) over the free coordinates, until
/// Pareto stationarity `‖Σ α*ᵢ ∇fᵢ‖ ≤ tolerance` or the iteration cap.
/// - Throws: Errors of the objective (non-finite values are reported, not stepped over).
public func paretoOptimize(
    _ objective: ParetoObjective, from x0: [Double], options: ParetoOptimizeOptions = ParetoOptimizeOptions()
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
