import LinearAlgebra

/// Why ``conjugateGradient(_:_:start:relativeTolerance:maxIterations:)`` stopped.
public enum CGStopReason: Sendable, Equatable, CustomStringConvertible {
    /// `b = 0`, so `x = 0`; no iteration was run.
    case zeroRightHandSide
    /// `‖r_k‖ ≤ tol · ‖b‖` (the recursively updated residual, as in SciPy's `cg`).
    case converged
    /// The iteration cap was reached first.
    case iterationLimit
    /// A search direction with `pᵀ A p ≤ 0` appeared, so `A` is not positive definite; the
    /// iterate before the step along `p` is returned and `p` is in
    /// ``CGResult/nonPositiveCurvatureDirection``.
    case nonPositiveCurvature

    /// A one-line explanation of the case, for messages and logs.
    public var description: String {
        switch self {
        case .zeroRightHandSide: return "b = 0, so x = 0"
        case .converged: return "the residual reached the tolerance"
        case .iterationLimit: return "the iteration limit was reached"
        case .nonPositiveCurvature: return "a direction of non-positive curvature pᵀAp ≤ 0 was found"
        }
    }
}

/// The outcome of ``conjugateGradient(_:_:start:relativeTolerance:maxIterations:)``.
public struct CGResult: Sendable {
    /// The final iterate `x_k`.
    public var solution: [Double]
    /// The number `k` of CG steps taken (operator products, not counting set-up).
    public var iterations: Int
    /// `‖r_j‖` for `j = 0 … k` from the recurrence `r_{j+1} = r_j − α_j A p_j`; entry 0 is
    /// `‖b − A x₀‖`.
    public var residualNorms: [Double]
    /// Why the iteration stopped.
    public var stopReason: CGStopReason
    /// The direction `p` with `pᵀ A p ≤ 0` when ``stopReason`` is
    /// ``CGStopReason/nonPositiveCurvature``, otherwise `nil`.
    public var nonPositiveCurvatureDirection: [Double]?
    /// `pᵀ A p` of ``nonPositiveCurvatureDirection``, otherwise `nil`.
    public var curvature: Double?

    /// Whether the tolerance was met (``CGStopReason/converged`` or ``CGStopReason/zeroRightHandSide``).
    public var converged: Bool { stopReason == .converged || stopReason == .zeroRightHandSide }
}

/// Solves `A x = b` for symmetric positive definite `A` by the conjugate gradient method of
/// M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for solving linear systems",
/// J. Res. Nat. Bur. Standards 49(6):409–436 (1952), in the form of Y. Saad, *Iterative Methods
/// for Sparse Linear Systems*, 2nd ed., Algorithm 6.18:
///
///     α_j = r_jᵀr_j / p_jᵀAp_j,  x_{j+1} = x_j + α_j p_j,  r_{j+1} = r_j − α_j A p_j,
///     β_j = r_{j+1}ᵀr_{j+1} / r_jᵀr_j,  p_{j+1} = r_{j+1} + β_j p_j.
///
/// It stops when `‖r_j‖ ≤ relativeTolerance · ‖b‖` (SciPy `cg`'s `rtol` test), at the iteration
/// cap, or, if `A` is not positive definite, at the first direction with `pᵀ A p ≤ 0`
/// (the test of Steihaug's truncated CG). The work vectors are allocated once; the iteration
/// allocates nothing.
///
/// - Parameters:
///   - A: A symmetric positive definite operator.
///   - b: The right-hand side, `b.count == A.dimension`.
///   - x0: The start (default `0`).
///   - relativeTolerance: The residual tolerance relative to `‖b‖`.
///   - maxIterations: The cap on CG steps (default `10n`, as in SciPy).
/// - Throws: ``KrylovError`` on mismatched dimensions, non-finite input, invalid arguments, or
///   an operator that throws or returns NaN/∞.
public func conjugateGradient(
    _ A: some LinearOperator,
    _ b: [Double],
    start x0: [Double]? = nil,
    relativeTolerance: Double = 1e-5,
    maxIterations: Int? = nil
) throws -> CGResult {
    let solver = "CG"
    let n = A.dimension
    guard n >= 0 else {
        throw KrylovError.invalidArgument(solver: solver, argument: "A.dimension", reason: "negative dimension \(n)")
    }
    try validateVector(b, dimension: n, solver: solver, argument: "b")
    if let x0 { try validateVector(x0, dimension: n, solver: solver, argument: "start x0") }
    guard relativeTolerance >= 0, relativeTolerance.isFinite else {
        throw KrylovError.invalidArgument(
            solver: solver, argument: "relativeTolerance", reason: "\(relativeTolerance) is not a finite non-negative number")
    }
    let iterationLimit = maxIterations ?? 10 * n
    guard iterationLimit >= 0 else {
        throw KrylovError.invalidArgument(solver: solver, argument: "maxIterations", reason: "\(iterationLimit) is negative")
    }
    let bnorm = Vectors.norm(b)
    if bnorm == 0 {
        return CGResult(solution: [Double](repeating: 0, count: n), iterations: 0, residualNorms: [0], stopReason: .zeroRightHandSide)
    }

    // Work vectors x, r, p, q = A p, each with its own storage so that no copy-on-write can
    // happen in the loop.
    var x = [Double](repeating: 0, count: n)
    if let x0 { x.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: x0) } }
    var r = [Double](repeating: 0, count: n)
    r.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: b) }
    var q = [Double](repeating: 0, count: n)
    if x0 != nil {
        try applyOperator(A, x, into: &q, solver: solver, iteration: 0)
        if let index = q.firstNonFiniteIndex {
            throw KrylovError.nonFiniteOperatorOutput(solver: solver, iteration: 0, index: index, quantity: "A x0")
        }
        for i in 0..<n { r[i] = b[i] - q[i] }
    }
    var p = [Double](repeating: 0, count: n)
    p.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: r) }
    var rr = Vectors.dot(r, r)
    let threshold = relativeTolerance * bnorm
    var residualNorms = [Double]()
    residualNorms.reserveCapacity(iterationLimit + 1)
    residualNorms.append(rr.squareRoot())
    if rr.squareRoot() <= threshold {
        return CGResult(solution: x, iterations: 0, residualNorms: residualNorms, stopReason: .converged)
    }

    var iterations = 0
    var stopReason = CGStopReason.iterationLimit
    while iterations < iterationLimit {
        try applyOperator(A, p, into: &q, solver: solver, iteration: iterations + 1)
        let curvature = p.withUnsafeBufferPointer { pp in q.withUnsafeBufferPointer { qp in
            Kernels.dot(pp.baseAddress!, qp.baseAddress!, n)
        } }
        guard curvature.isFinite else {
            throw KrylovError.nonFiniteOperatorOutput(
                solver: solver, iteration: iterations + 1, index: q.firstNonFiniteIndex, quantity: "pᵀ(A p)")
        }
        if curvature <= 0 {
            return CGResult(
                solution: x, iterations: iterations, residualNorms: residualNorms,
                stopReason: .nonPositiveCurvature, nonPositiveCurvatureDirection: p, curvature: curvature)
        }
        let alpha = rr / curvature
        let rrNext = p.withUnsafeBufferPointer { pp in q.withUnsafeBufferPointer { qp in
            x.withUnsafeMutableBufferPointer { xp in r.withUnsafeMutableBufferPointer { rp in
                Kernels.conjugateGradientUpdate(
                    x: xp.baseAddress!, r: rp.baseAddress!, p: pp.baseAddress!, q: qp.baseAddress!, alpha: alpha, n)
            } }
        } }
        iterations += 1
        residualNorms.append(rrNext.squareRoot())
        if rrNext.squareRoot() <= threshold {
            stopReason = .converged
            break
        }
        let beta = rrNext / rr
        rr = rrNext
        r.withUnsafeBufferPointer { rp in p.withUnsafeMutableBufferPointer { pp in
            Kernels.conjugateDirection(pp.baseAddress!, rp.baseAddress!, beta: beta, n)
        } }
    }
    return CGResult(solution: x, iterations: iterations, residualNorms: residualNorms, stopReason: stopReason)
}
