import Autodiff
import Expansion
import Foundation
import LinearAlgebra
import MultiObjective
import Optimization

/// Options of ``WeightedSumFront/solve(_:from:options:onSolution:)``.
public struct WeightedSumFrontOptions: Sendable, Equatable {
    /// The weight vectors `w`, one scalarisation `Σ wᵢ fᵢ` each, solved in this order
    /// (default: ``WeightedSumFront/uniformWeights(count:)`` with 101 weights, as in
    /// Ma et al. 2020, §6.2.2).
    public var weights: [[Double]]
    /// `false` (the paper's protocol): every weight is solved from the same `x₀`.
    /// `true`: each weight starts from the previous weight's solution (a continuation along
    /// the front; much cheaper, since neighbouring minimisers are close, but the solutions then
    /// depend on the order and may follow one branch of a non-convex problem).
    public var warmStart = false
    /// The L-BFGS minimiser's options (tolerances, memory, limits) per weight.
    public var lbfgs = LBFGSOptions()
    /// Whether each ``WeightedSumSolution`` keeps its parameters (`n` doubles per weight).
    public var keepsParameters = false

    /// - Throws: ``ExpansionError/invalidOption(_:)`` unless `weightCount ≥ 2`.
    public init(weightCount: Int = 101, warmStart: Bool = false, lbfgs: LBFGSOptions = LBFGSOptions(), keepsParameters: Bool = false) throws {
        weights = try WeightedSumFront.uniformWeights(count: weightCount)
        self.warmStart = warmStart
        self.lbfgs = lbfgs
        self.keepsParameters = keepsParameters
    }

    /// Options with explicit weight vectors.
    public init(weights: [[Double]], warmStart: Bool = false, lbfgs: LBFGSOptions = LBFGSOptions(), keepsParameters: Bool = false) {
        self.weights = weights
        self.warmStart = warmStart
        self.lbfgs = lbfgs
        self.keepsParameters = keepsParameters
    }
}

/// The minimiser of one weighted sum `Σ wᵢ fᵢ(x)`, with its convergence record.
public struct WeightedSumSolution: Sendable, Equatable {
    /// `w`.
    public var weights: [Double]
    /// `f(x_w)`.
    public var objectives: [Double]
    /// `Σ wᵢ fᵢ(x_w)`.
    public var weightedValue: Double
    /// `‖Σ wᵢ ∇fᵢ(x_w)‖∞`, the quantity L-BFGS's gradient test uses.
    public var gradientNorm: Double
    /// `‖Σ wᵢ ∇fᵢ(x_w)‖₂ / maxᵢ ‖∇fᵢ(x_w)‖₂` (scale-free; `0` if every gradient vanishes).
    public var relativeStationarity: Double
    /// L-BFGS iterations and evaluations of `(f, Σ wᵢ∇fᵢ)` (the final Jacobian for
    /// ``relativeStationarity`` is one further evaluation, not counted here).
    public var iterations: Int
    public var evaluations: Int
    /// Why L-BFGS stopped.
    public var stopReason: LBFGSStopReason
    /// `x_w` (if ``WeightedSumFrontOptions/keepsParameters``).
    public var parameters: [Double]?
}

/// An empirical Pareto front from weighted sums solved to convergence with L-BFGS: for each
/// weight vector `w`, `x_w = argmin Σ wᵢ fᵢ(x)` (Ma, Du & Matusik 2020, §6.2.2: 101 weights
/// `w₁ = 0, 0.01, …, 1`, each solved with L-BFGS from one initialisation). Weighted sums reach
/// only the convex hull of a front (Miettinen 1999, §3.1), and on a non-convex network each
/// solve finds a local minimiser, so the solutions are filtered for non-dominance.
public struct WeightedSumFront: Sendable {
    /// One solution per weight, in the order of ``WeightedSumFrontOptions/weights``.
    public var solutions: [WeightedSumSolution]
    /// Whether the solves were warm-started (see ``WeightedSumFrontOptions/warmStart``).
    public var warmStarted: Bool
    /// Indices of the non-dominated solutions (``nonDominatedIndices(_:)``: exact duplicates
    /// kept once), ordered by increasing `f₁`.
    public var nonDominated: [Int]

    /// The non-dominated objective vectors, ordered by increasing `f₁`.
    public var front: [[Double]] { nonDominated.map { solutions[$0].objectives } }

    /// Solutions whose L-BFGS run met the gradient tolerance.
    public var gradientConvergedCount: Int { solutions.filter { $0.stopReason == .gradientConverged }.count }

    /// Solutions whose L-BFGS run met the gradient or the function-decrease tolerance.
    public var convergedCount: Int { solutions.filter { $0.stopReason.isConverged }.count }

    /// The hypervolume of the solutions (dominated ones add nothing) w.r.t. `reference`
    /// (``Hypervolume/compute(_:reference:)``).
    public func hypervolume(reference: [Double]) throws -> Double {
        try Hypervolume.compute(front, reference: reference)
    }

    /// `count` weight vectors `(w₁, 1 − w₁)` with `w₁ = 0, 1/(count − 1), …, 1` (two objectives).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` unless `count ≥ 2`.
    public static func uniformWeights(count: Int) throws -> [[Double]] {
        guard count >= 2 else { throw ExpansionError.invalidOption("a weighted-sum front needs at least 2 weights, got \(count)") }
        return (0..<count).map { k in
            let w1 = Double(k) / Double(count - 1)
            return [w1, 1 - w1]
        }
    }

    /// Solves every weighted sum of `function` (any engine: a tape ``VectorObjective``,
    /// ``MiniLeNetLoss``, a fused kernel), in double precision at the boundary; each L-BFGS
    /// evaluation is one `valuesAndWeightedGradient` call.
    /// - Parameter onSolution: called after each weight (index, solution), e.g. for progress.
    /// - Throws: ``ExpansionError`` for mismatched or invalid weights or start point; errors of
    ///   the function and ``LBFGSError`` (a non-finite value is never stepped over).
    public static func solve<F: DifferentiableVectorFunction>(
        _ function: F, from x0: [Double], options: WeightedSumFrontOptions,
        onSolution: (Int, WeightedSumSolution) throws -> Void = { _, _ in }
    ) throws -> WeightedSumFront {
        try solve(
            parameterCount: function.parameterCount, objectiveCount: function.objectiveCount, from: x0, options: options,
            weightedGradient: { x, w in
                let (values, gradient) = try function.valuesAndWeightedGradient(at: x.map { F.Scalar($0) }, weights: w.map { F.Scalar($0) })
                return (values.map(Double.init), gradient.map(Double.init))
            },
            jacobian: { x in
                let (values, jacobian) = try function.valuesAndJacobian(at: x.map { F.Scalar($0) })
                return (values.map(Double.init), jacobian.map { $0.map(Double.init) })
            },
            onSolution: onSolution)
    }

    /// Solves every weighted sum of a ``ParetoObjective`` (the objective of
    /// ``NetworkNullSpaceStudy`` and ``ParetoExpansion``); each L-BFGS evaluation is one
    /// Jacobian evaluation (counted in ``ParetoObjective/counts``). Box bounds are not
    /// supported (L-BFGS is unconstrained).
    /// - Throws: as ``solve(_:from:options:onSolution:)``, and ``ExpansionError/invalidOption(_:)``
    ///   for a bounded objective.
    public static func solve(
        _ objective: ParetoObjective, from x0: [Double], options: WeightedSumFrontOptions,
        onSolution: (Int, WeightedSumSolution) throws -> Void = { _, _ in }
    ) throws -> WeightedSumFront {
        guard objective.bounds == nil else {
            throw ExpansionError.invalidOption("weighted-sum fronts with L-BFGS need an unconstrained objective (this one has bounds)")
        }
        return try solve(
            parameterCount: objective.parameterCount, objectiveCount: objective.objectiveCount, from: x0, options: options,
            weightedGradient: { x, w in
                let (values, jacobian) = try objective.valuesAndJacobian(at: x)
                var gradient = [Double](repeating: 0, count: x.count)
                for (weight, row) in zip(w, jacobian) where weight != 0 { Vectors.axpy(weight, row, &gradient) }
                return (values, gradient)
            },
            jacobian: { x in try objective.valuesAndJacobian(at: x) },
            onSolution: onSolution)
    }

    private static func solve(
        parameterCount n: Int, objectiveCount m: Int, from x0: [Double], options: WeightedSumFrontOptions,
        weightedGradient: ([Double], [Double]) throws -> (values: [Double], gradient: [Double]),
        jacobian: ([Double]) throws -> (values: [Double], jacobian: [[Double]]),
        onSolution: (Int, WeightedSumSolution) throws -> Void
    ) throws -> WeightedSumFront {
        guard x0.count == n else { throw ExpansionError.dimensionMismatch(argument: "start point", expected: n, actual: x0.count) }
        guard !options.weights.isEmpty else { throw ExpansionError.invalidOption("no weights given") }
        for (k, w) in options.weights.enumerated() {
            guard w.count == m else { throw ExpansionError.dimensionMismatch(argument: "weight vector \(k)", expected: m, actual: w.count) }
            guard w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.contains(where: { $0 > 0 }) else {
                throw ExpansionError.invalidOption("weight vector \(k) must be non-negative, finite and not all zero, got \(w)")
            }
        }
        var solutions: [WeightedSumSolution] = []
        var start = x0
        for (k, w) in options.weights.enumerated() {
            let result = try LBFGS.minimize(from: start, options: options.lbfgs) { x in
                let (values, gradient) = try weightedGradient(x, w)
                return (Vectors.dot(w, values), gradient)
            }
            let (values, rows) = try jacobian(result.x)
            var combined = [Double](repeating: 0, count: n)
            for (weight, row) in zip(w, rows) where weight != 0 { Vectors.axpy(weight, row, &combined) }
            let largest = rows.map { Vectors.norm($0) }.max() ?? 0
            let solution = WeightedSumSolution(
                weights: w, objectives: values, weightedValue: result.value, gradientNorm: result.gradientNorm,
                relativeStationarity: largest > 0 ? Vectors.norm(combined) / largest : 0,
                iterations: result.iterations, evaluations: result.evaluations, stopReason: result.stopReason,
                parameters: options.keepsParameters ? result.x : nil)
            solutions.append(solution)
            try onSolution(k, solution)
            if options.warmStart { start = result.x }
        }
        let kept = try nonDominatedIndices(solutions.map(\.objectives)).sorted {
            solutions[$0].objectives.lexicographicallyPrecedes(solutions[$1].objectives)
        }
        return WeightedSumFront(solutions: solutions, warmStarted: options.warmStart, nonDominated: kept)
    }
}

/// How a set of points (e.g. an expansion's objective vectors) lies relative to a reference
/// front (e.g. ``WeightedSumFront/front``), in objective space.
public struct FrontComparison: Sendable, Equatable {
    /// The compared points.
    public var points: [[Double]]
    /// The reference front, ordered by increasing `f₁`.
    public var front: [[Double]]
    /// Per point: the Euclidean distance to the nearest front point.
    public var nearestPointDistances: [Double]
    /// Per point (two objectives only, else `nil`): the Euclidean distance to the
    /// piecewise-linear curve through the front points in order of `f₁`.
    public var curveDistances: [Double]?
    /// Per point: whether some front point dominates it.
    public var isDominatedByFront: [Bool]
    /// Per point: how many front points it dominates.
    public var dominatedFrontPoints: [Int]
    /// GD, GD⁺ and IGD of the points against the front (``DistanceIndicators``, pymoo's
    /// definitions, no normalisation).
    public var generationalDistance: Double
    public var generationalDistancePlus: Double
    public var invertedGenerationalDistance: Double

    /// Compares `points` with `front`.
    /// - Throws: ``MultiObjectiveError`` for empty sets, mismatched dimensions or non-finite values.
    public init(points: [[Double]], front unsorted: [[Double]]) throws {
        generationalDistance = try DistanceIndicators.generationalDistance(points, referenceFront: unsorted)
        generationalDistancePlus = try DistanceIndicators.generationalDistancePlus(points, referenceFront: unsorted)
        invertedGenerationalDistance = try DistanceIndicators.invertedGenerationalDistance(points, referenceFront: unsorted)
        let front = unsorted.sorted { $0.lexicographicallyPrecedes($1) }
        self.points = points
        self.front = front
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        nearestPointDistances = points.map { p in front.map { distance(p, $0) }.min()! }
        if points[0].count == 2 {
            curveDistances = points.map { p in
                guard front.count > 1 else { return distance(p, front[0]) }
                return zip(front, front.dropFirst()).map { a, b in
                    let ab = [b[0] - a[0], b[1] - a[1]]
                    let length2 = ab[0] * ab[0] + ab[1] * ab[1]
                    let t = length2 > 0 ? min(max(((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / length2, 0), 1) : 0
                    return distance(p, [a[0] + t * ab[0], a[1] + t * ab[1]])
                }.min()!
            }
        } else {
            curveDistances = nil
        }
        isDominatedByFront = points.map { p in front.contains { dominates($0, p) } }
        dominatedFrontPoints = points.map { p in front.filter { dominates(p, $0) }.count }
    }
}
