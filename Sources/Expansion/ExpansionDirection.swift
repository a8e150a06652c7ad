import Krylov
import MultiObjective

/// How expansion directions are made.
public enum DirectionMethod: String, Sendable, Codable, CaseIterable {
    /// Tangent of the Pareto set: MINRES on `H v = (∇fᵀ − c 1ᵀ) β` (Ma et al., eq. 6).
    case tangent
    /// The right-hand side itself, `(∇fᵀ − c 1ᵀ) β` over all coordinates: plain gradient
    /// directions, the paper's comparison (Figures 2–3).
    case gradient
}

/// Options of the tangent solve.
public struct DirectionOptions: Sendable, Equatable {
    /// Tangent or gradient directions.
    public var method: DirectionMethod = .tangent
    /// MINRES iteration cap `k` (the paper: 50 on networks, 1–3 on the ZDT2 variant).
    public var minresIterations: Int = 50
    /// MINRES relative residual tolerance.
    public var minresTolerance: Double = 1e-5
    /// Damping `δ ≥ 0`: solves `(H + δ I) v = rhs` (MINRES shift `−δ`); the reference uses 0.1
    /// on networks.
    public var damping: Double = 0

    public init(method: DirectionMethod = .tangent, minresIterations: Int = 50, minresTolerance: Double = 1e-5, damping: Double = 0) {
        self.method = method
        self.minresIterations = minresIterations
        self.minresTolerance = minresTolerance
        self.damping = damping
    }
}

/// An expansion direction at a point.
public struct ExpansionDirection: Sendable, Equatable {
    /// The unit direction `v` in parameter space (zero on fixed coordinates).
    public var direction: [Double]
    /// `∇f(x) v`, the predicted first-order change of each objective per unit step.
    public var predictedChange: [Double]
    /// `β`.
    public var beta: [Double]
    /// MINRES iterations (0 for gradient directions).
    public var minresIterations: Int
    /// MINRES residual norms `‖rhs − H v_k‖`, one per iteration (index 0: `‖rhs‖`).
    public var residualNorms: [Double]
    /// Why MINRES stopped (`nil` for gradient directions).
    public var minresStop: MINRESStopReason?
}

/// ParetoExpand (Ma et al. 2020, §4.2 and Algorithm 1): a unit direction `v` at a (nearly)
/// Pareto-stationary point from the tangent system
///
///     H v = (∇f(x)ᵀ − c 1ᵀ) β,   H = Σ α*ᵢ ∇²fᵢ(x)   (eq. 6)
///
/// solved matrix-free by MINRES (Paige & Saunders 1975) with HVPs from the autodiff engine,
/// capped at `k` iterations, then normalised. `α*` are the min-norm weights and `c` the
/// correction of Prop. 4.1 at the point, both on its free coordinates.
///
/// **Sign rule.** With `favouring = j`, `v` is oriented so that `(∇f v)ⱼ < 0` (objective `j`
/// improves: "favour fⱼ"); otherwise `v` is flipped when every objective would get worse
/// (`∇f v > 0`, a retraction rather than a trade-off).
/// - Throws: ``ExpansionError/degenerateDirection(_:)`` if the right-hand side or the solution
///   vanishes; errors of the objective or MINRES.
public func expansionDirection(
    _ objective: ParetoObjective, at point: EvaluatedPoint, beta: [Double], favouring: Int? = nil,
    options: DirectionOptions = DirectionOptions()
) throws -> ExpansionDirection {
    let m = objective.objectiveCount, n = objective.parameterCount
    guard beta.count == m else { throw ExpansionError.dimensionMismatch(argument: "beta", expected: m, actual: beta.count) }
    let free = point.freeVariables
    guard !free.isEmpty else { throw ExpansionError.degenerateDirection("every coordinate is fixed by a bound") }
    // Gradient directions use every coordinate, as raw gradients would (the comparison of
    // Figures 2–3); tangents are solved on the free coordinates.
    let coordinates = options.method == .tangent ? free : Array(0..<n)
    let weights = point.weights
    // c = Σ α*ᵢ ∇fᵢ and rhs = Σ βᵢ (∇fᵢ − c) on those coordinates.
    var correction = [Double](repeating: 0, count: coordinates.count)
    for (alpha, row) in zip(weights, point.jacobian) {
        for (k, i) in coordinates.enumerated() { correction[k] += alpha * row[i] }
    }
    var rhs = [Double](repeating: 0, count: coordinates.count)
    for (b, row) in zip(beta, point.jacobian) {
        for (k, i) in coordinates.enumerated() { rhs[k] += b * (row[i] - correction[k]) }
    }
    guard Vector.norm(rhs) > 0 else { throw ExpansionError.degenerateDirection("right-hand side (∇fᵀ − c1ᵀ)β is zero") }
    var solution = rhs
    var iterations = 0
    var residuals: [Double] = []
    var stop: MINRESStopReason? = nil
    if options.method == .tangent {
        let x = point.parameters
        let hessian = ClosureOperator(dimension: free.count) { u, y in
            let product = try objective.hessianVectorProduct(at: x, along: Vector.embed(u, at: free, count: n), weights: weights)
            for (k, i) in free.enumerated() { y[k] = product[i] }
        }
        let result = try minres(
            hessian, rhs, shift: -options.damping, relativeTolerance: options.minresTolerance,
            maxIterations: options.minresIterations)
        solution = result.solution
        iterations = result.iterations
        residuals = result.residualNorms
        stop = result.stopReason
    }
    let length = Vector.norm(solution)
    guard length > 0, length.isFinite else {
        throw ExpansionError.degenerateDirection("the tangent system's solution is zero (stop: \(stop.map { "\($0)" } ?? "-"))")
    }
    var v = Vector.embed(solution.map { $0 / length }, at: coordinates, count: n)
    var change = point.jacobian.map { Vector.dot($0, v) }
    let flip: Bool
    if let j = favouring { flip = change[j] > 0 } else { flip = change.allSatisfy { $0 > 0 } }
    if flip {
        v = v.map { -$0 }
        change = change.map { -$0 }
    }
    return ExpansionDirection(
        direction: v, predictedChange: change, beta: beta, minresIterations: iterations, residualNorms: residuals, minresStop: stop)
}
