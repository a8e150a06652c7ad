// Longer than 400 lines on purpose: one routine, the Paige–Saunders iteration read top to bottom in
// the order of SciPy's minres.py, plus its stop reasons and its documentation (about half the file).
import LinearAlgebra

/// Why ``minres(_:_:start:shift:relativeTolerance:maxIterations:preconditioner:checkSymmetry:workspace:)``
/// stopped. Each case is one value of `istop` in SciPy's
/// `scipy/sparse/linalg/_isolve/minres.py` (a translation of Paige & Saunders' MATLAB
/// `minres.m`); ``scipyIstop`` gives it. SciPy's `istop = 7, 8, 9` (non-symmetric `A` or `M`,
/// indefinite `M`) are thrown as ``KrylovError`` instead.
public enum MINRESStopReason: Sendable, Equatable, CustomStringConvertible {
    /// `b = 0`, so `x = 0` solves the system exactly; no iteration was run (SciPy: `bnorm == 0`
    /// returns `x = b`, `istop = 0`).
    case zeroRightHandSide
    /// The initial residual `b − (A − σI) x₀` is zero (`β₁ = 0`), so the start is the exact
    /// solution and is returned unchanged; no iteration was run (SciPy `istop = 0`).
    case exactSolution
    /// `β₂ = 0` in the first step (`β₂/β₁ ≤ 10ε`): the initial residual is an eigenvector of
    /// `A − σI` (of `M(A − σI)` with a preconditioner), and the one-step iterate is exact
    /// (SciPy `istop = −1`).
    case eigenvectorFound
    /// The residual test `‖r‖ ≤ tol · ‖A‖ ‖x‖` held (SciPy `istop = 1`, `test1 ≤ rtol`, or
    /// `1 + test1 ≤ 1` when the tolerance is below ε).
    case converged
    /// The least-squares test `‖A r‖ ≤ tol · ‖A‖ ‖r‖` held: `x` solves `min ‖b − (A − σI) x‖`,
    /// the outcome for singular inconsistent systems (SciPy `istop = 2`).
    case leastSquaresConverged
    /// `‖A‖ ‖x‖ ε ≥ β₁`: the residual cannot be reduced further in floating point
    /// ("Reasonable accuracy achieved, given eps", SciPy `istop = 3`).
    case accuracyLimitReached
    /// The condition estimate reached `0.1/ε` (SciPy's code sets `istop = 4` for
    /// `Acond ≥ 0.1/eps`; its message table, offset by one, prints it as "x has converged to an
    /// eigenvector" while the comment and `minres.m` call it "acond has exceeded 0.1/eps").
    case illConditioned
    /// The iteration cap was reached before any other test held (SciPy `istop = 6`).
    case iterationLimit

    /// The `istop` value SciPy's `minres.py` reports for the same event.
    public var scipyIstop: Int {
        switch self {
        case .zeroRightHandSide, .exactSolution: return 0
        case .eigenvectorFound: return -1
        case .converged: return 1
        case .leastSquaresConverged: return 2
        case .accuracyLimitReached: return 3
        case .illConditioned: return 4
        case .iterationLimit: return 6
        }
    }

    /// Whether the returned `x` solves the system (or the least-squares problem) to the
    /// requested tolerance or to working precision: every case except ``illConditioned`` and
    /// ``iterationLimit``.
    public var isSolved: Bool {
        switch self {
        case .illConditioned, .iterationLimit: return false
        default: return true
        }
    }

    /// A one-line explanation of the case, for messages and logs.
    public var description: String {
        switch self {
        case .zeroRightHandSide: return "b = 0, so x = 0"
        case .exactSolution: return "beta1 = 0: the start x0 is the exact solution"
        case .eigenvectorFound: return "beta2 = 0: b and x are eigenvectors"
        case .converged: return "a solution to (A - shift I) x = b was found, given the tolerance"
        case .leastSquaresConverged: return "a least-squares solution was found, given the tolerance"
        case .accuracyLimitReached: return "reasonable accuracy achieved, given eps"
        case .illConditioned: return "the condition estimate exceeded 0.1/eps"
        case .iterationLimit: return "the iteration limit was reached"
        }
    }
}

/// The outcome of ``minres(_:_:start:shift:relativeTolerance:maxIterations:preconditioner:checkSymmetry:workspace:)``.
/// The estimates are those of Paige & Saunders (1975) as computed in SciPy's `minres.py`
/// (names there in parentheses); they come from the Lanczos recurrences, not from extra
/// operator products.
public struct MINRESResult: Sendable {
    /// The final iterate `x_k` (SciPy `x`); after an early stop, the current MINRES iterate.
    public var solution: [Double]
    /// The index `k` of the returned iterate `x_k`: the number of MINRES steps (operator
    /// products, not counting set-up), except after ``MINRESStopReason/leastSquaresConverged``,
    /// where one further step was taken to evaluate the test that certifies `x_k`.
    public var iterations: Int
    /// Why the iteration stopped.
    public var stopReason: MINRESStopReason
    /// The residual-norm estimates: entry 0 is `β₁ = ‖b − (A − σI) x₀‖` and entry `j` is
    /// `φ̄_{j+1} = ‖b − (A − σI) x_j‖` (SciPy `rnorm`) in exact arithmetic. With a
    /// preconditioner `M` these are `M`-norms `√(rᵀ M r)`. Non-increasing.
    public var residualNorms: [Double]
    /// The final residual-norm estimate, `residualNorms.last` (SciPy `rnorm`).
    public var residualNorm: Double { residualNorms.last ?? 0 }
    /// `‖T_k‖_F`, the Frobenius norm of the Lanczos tridiagonal matrix, a lower bound on
    /// `‖A − σI‖` (SciPy `Anorm`).
    public var operatorNormEstimate: Double
    /// `max γ_j / min γ_j` over the diagonals of the QR factor of the Lanczos matrix, a lower
    /// bound on the condition number of `A − σI` (SciPy `Acond`).
    public var conditionEstimate: Double
    /// `‖x_k‖` (SciPy `ynorm`).
    public var solutionNorm: Double
    /// `φ̄_k √(γ̄_k² + δ̄_{k+1}²)`, the estimate of `‖(A − σI) r_{k−1}‖` for the residual of the
    /// previous iterate (SciPy `Arnorm`); small relative to `‖A‖ ‖r‖` at a least-squares solution.
    public var arnorm: Double
}

/// Solves the symmetric system `(A − σI) x = b` by MINRES (minimum residual), the Krylov method
/// of C. C. Paige and M. A. Saunders, "Solution of sparse indefinite systems of linear
/// equations", SIAM J. Numer. Anal. 12(4):617–629 (1975).
///
/// The recurrences, estimates and stopping tests follow SciPy's
/// `scipy/sparse/linalg/_isolve/minres.py` (itself a translation of the Stanford SOL MATLAB
/// `minres.m`) line by line: a Lanczos step on `A − σI` (preconditioned by `M`), a Givens QR
/// update of the tridiagonal matrix, and the three-term update of the direction vectors `w`.
/// Each iterate minimises `‖b − (A − σI) x‖` (the `M`-norm with a preconditioner) over
/// `x₀ + 𝒦_k`, so the residual norms never increase, and an early stop returns a meaningful
/// iterate. `A` may be indefinite or singular: for a consistent singular system started at
/// `x₀ = 0` the iterates stay in `range(A)` and converge to the minimum-norm solution; for an
/// inconsistent one MINRES stops with ``MINRESStopReason/leastSquaresConverged`` at a
/// least-squares solution whose `range(A)` part is the minimum-norm one but which in general
/// carries a `null(A)` component (a multiple of the null-space part of `b`); MINRES-QLP
/// (Choi, Paige & Saunders 2011) would be needed for the minimum-length solution.
///
/// The solver allocates its work vectors once (or takes them from a ``MINRESWorkspace``); the
/// iteration itself allocates nothing.
///
/// Differences from SciPy:
/// * When the least-squares test `‖A r‖ ≤ tol ‖A‖ ‖r‖` ends the iteration in step `k`, the
///   iterate `x_{k−1}` is returned (with `iterations = k − 1`), because SciPy's `Arnorm`
///   estimate `φ̄_k √(γ̄_k² + δ̄_{k+1}²)` is the one of `r_{k−1}`. SciPy returns `x_k`, which on a
///   singular inconsistent system can be useless: once the Krylov space of `range(A)` is
///   exhausted, `γ_k ≈ 0` and the step adds a huge `null(A)` component (observed: `‖x‖` from 5
///   to 10⁶). The previous iterate is kept by the fused update loop at the cost of one store
///   per entry.
/// * When the least-squares test and the residual test `‖r‖ ≤ tol ‖A‖ ‖x‖` both hold in step `k`,
///   the least-squares stop wins (SciPy lets the residual test win and returns `x_k`). On a
///   nonsingular, well-conditioned system the two cannot hold together unless `r = 0`
///   (`‖A r‖ ≥ σ_min ‖r‖`); on a singular inconsistent one they do exactly in the step where
///   `γ_k ≈ 0` makes `‖x_k‖` explode, which satisfies the residual test spuriously (observed:
///   `γ = 1e−8`, `‖x‖` from 5 to 1.4·10⁷, depending on the BLAS kernel's rounding), while
///   `x_{k−1}` is the certified least-squares iterate.
/// * The initial residual with a start `x₀` is `b − (A − σI) x₀` (SciPy computes `b − A x₀`,
///   omitting the shift).
/// * `b = 0` is tested before `β₁ = 0` and returns `x = 0`.
/// * If `(A − σI) r₀ = 0` exactly (`β₂ = 0` and `α₁ = 0`), SciPy reports `istop = −1` with the
///   residual estimate 0, which is false; this is reported as
///   ``MINRESStopReason/leastSquaresConverged`` with `x = x₀` and residual `‖r₀‖`.
/// * The display-only quantities (`qrnorm`, `rhs1`, `rhs2`, `diag`, `epsr`) are not computed;
///   bad input and non-finite operator output are thrown as ``KrylovError``.
///
/// Caveat (as in SciPy and `minres.m`): on a singular *inconsistent* system, a tolerance below
/// what the least-squares test can reach before the Krylov space is exhausted lets `‖x_k‖`
/// explode, and the residual test `‖r‖ ≤ tol ‖A‖ ‖x‖` then passes spuriously. Use a tolerance
/// around `1e-8` or larger there, or an iteration cap well below the rank (as Ma et al. do with
/// `k = 50`); MINRES-QLP (Choi, Paige & Saunders, SIAM J. Sci. Comput. 33(4), 2011) is the
/// robust alternative.
///
/// - Parameters:
///   - A: The symmetric operator (never formed as a matrix).
///   - b: The right-hand side, `b.count == A.dimension`.
///   - x0: The start (default `0`).
///   - shift: `σ` in `(A − σI) x = b`. A positive damping `δ`, as in `(H + δI) v = g`, is
///     `shift = −δ`.
///   - relativeTolerance: SciPy's `rtol`: stop when `‖r‖ ≤ tol · ‖A‖ ‖x‖` (``MINRESStopReason/converged``)
///     or `‖A r‖ ≤ tol · ‖A‖ ‖r‖` (``MINRESStopReason/leastSquaresConverged``), with the
///     estimates `‖A‖ ≈ ‖T_k‖_F`. Note the scale: relative to `‖A‖ ‖x‖`, not to `‖b‖`.
///   - maxIterations: The cap on MINRES steps (default `5n`, as in SciPy).
///   - preconditioner: An optional symmetric positive definite `M ≈ (A − σI)⁻¹`.
///   - checkSymmetry: Run SciPy's `check=True` tests before iterating (two extra products
///     with `A` and one with `M`).
///   - workspace: Work vectors to reuse across solves of the same dimension (see
///     ``MINRESWorkspace``); without it they are allocated for this call.
/// - Throws: ``KrylovError`` on mismatched dimensions, non-finite input, invalid arguments,
///   an operator that throws or returns NaN/∞, a failed symmetry check, or an indefinite
///   preconditioner.
public func minres(
    _ A: some LinearOperator,
    _ b: [Double],
    start x0: [Double]? = nil,
    shift: Double = 0,
    relativeTolerance: Double = 1e-5,
    maxIterations: Int? = nil,
    preconditioner: (any LinearOperator)? = nil,
    checkSymmetry: Bool = false,
    workspace: MINRESWorkspace? = nil
) throws -> MINRESResult {
    let solver = "MINRES"
    let n = A.dimension
    guard n >= 0 else {
        throw KrylovError.invalidArgument(solver: solver, argument: "A.dimension", reason: "negative dimension \(n)")
    }
    try validateVector(b, dimension: n, solver: solver, argument: "b")
    if let x0 { try validateVector(x0, dimension: n, solver: solver, argument: "start x0") }
    if let M = preconditioner, M.dimension != n {
        throw KrylovError.dimensionMismatch(solver: solver, argument: "preconditioner", expected: n, actual: M.dimension)
    }
    guard shift.isFinite else {
        throw KrylovError.invalidArgument(solver: solver, argument: "shift", reason: "\(shift) is not finite")
    }
    guard relativeTolerance >= 0, relativeTolerance.isFinite else {
        throw KrylovError.invalidArgument(
            solver: solver, argument: "relativeTolerance", reason: "\(relativeTolerance) is not a finite non-negative number")
    }
    let iterationLimit = maxIterations ?? 5 * n
    guard iterationLimit >= 0 else {
        throw KrylovError.invalidArgument(solver: solver, argument: "maxIterations", reason: "\(iterationLimit) is negative")
    }
    let eps = Double.ulpOfOne
    let workspace = workspace ?? MINRESWorkspace(dimension: n)
    guard workspace.dimension == n else {
        throw KrylovError.dimensionMismatch(solver: solver, argument: "workspace", expected: n, actual: workspace.dimension)
    }

    // b = 0: x = 0 is exact.
    if b.allSatisfy({ $0 == 0 }) {
        return MINRESResult(
            solution: [Double](repeating: 0, count: n), iterations: 0, stopReason: .zeroRightHandSide,
            residualNorms: [0], operatorNormEstimate: 0, conditionEstimate: 0, solutionNorm: 0, arnorm: 0)
    }

    // Work vectors, each with its own storage (no copy-on-write can happen in the loop): x, the
    // Lanczos vector v, the operator output y, the two previous residual-like vectors r1, r2,
    // the preconditioned z = M r2 (only with M; without it z is r2 itself), the direction
    // vectors w, w1, w2, and the previous iterate.
    var x = [Double](repeating: 0, count: n)
    if let x0 { x.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: x0) } }
    var v = workspace.take(.v)
    var y = workspace.take(.y)
    var r1 = workspace.take(.r1)
    var r2 = workspace.take(.r2)
    var z = workspace.take(.z, needed: preconditioner != nil)
    var w = workspace.take(.w)
    var w1 = workspace.take(.w1)
    var w2 = workspace.take(.w2)
    var previousX = workspace.take(.previousX)
    defer { workspace.restore(v: v, y: y, r1: r1, r2: r2, z: z, w: w, w1: w1, w2: w2, previousX: previousX) }
    for i in 0..<n { w[i] = 0; w2[i] = 0 }

    r1.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: b) }
    if x0 != nil {
        // r1 = b − (A − σI) x0.
        try applyOperator(A, x, into: &y, solver: solver, iteration: 0)
        if let index = y.firstNonFiniteIndex {
            throw KrylovError.nonFiniteOperatorOutput(solver: solver, iteration: 0, index: index, quantity: "A x0")
        }
        for i in 0..<n { r1[i] = b[i] - (y[i] - shift * x[i]) }
    }
    if let M = preconditioner {
        try applyOperator(M, r1, into: &z, solver: solver, iteration: 0)
        if let index = z.firstNonFiniteIndex {
            throw KrylovError.nonFiniteOperatorOutput(solver: solver, iteration: 0, index: index, quantity: "M r1")
        }
    }
    // y = M r1 (SciPy's y = psolve(r1)); beta1² = r1ᵀ y.
    let preconditioned = preconditioner != nil
    let beta1Squared = preconditioned ? Vectors.dot(r1, z) : Vectors.dot(r1, r1)
    guard beta1Squared.isFinite else {
        throw KrylovError.nonFiniteOperatorOutput(solver: solver, iteration: 0, index: nil, quantity: "r1ᵀ M r1")
    }
    if beta1Squared < 0 {
        throw KrylovError.preconditionerNotPositiveDefinite(iteration: 0, value: beta1Squared)
    }
    if beta1Squared == 0 {
        return MINRESResult(
            solution: x, iterations: 0, stopReason: .exactSolution, residualNorms: [0],
            operatorNormEstimate: 0, conditionEstimate: 0, solutionNorm: Vectors.norm(x), arnorm: 0)
    }
    let beta1 = beta1Squared.squareRoot()

    if checkSymmetry {
        // SciPy: w = A y, r2 = A w, s = wᵀw, t = yᵀr2, |s − t| ≤ (s + ε) ε^{1/3}
        // (v and r2 serve as scratch here).
        let firstDirection = preconditioned ? z : r1
        try applyOperator(A, firstDirection, into: &v, solver: solver, iteration: 0)
        try applyOperator(A, v, into: &r2, solver: solver, iteration: 0)
        let s = Vectors.dot(v, v)
        let t = Vectors.dot(firstDirection, r2)
        let discrepancy = abs(s - t)
        let tolerance = (s + eps) * Double.cbrtOfEpsilon
        if !(discrepancy <= tolerance) {
            throw KrylovError.operatorNotSymmetric(discrepancy: discrepancy, tolerance: tolerance)
        }
        if let M = preconditioner {
            // r2 = M y, s = yᵀy, t = r1ᵀ r2.
            try applyOperator(M, z, into: &r2, solver: solver, iteration: 0)
            let s = Vectors.dot(z, z)
            let t = Vectors.dot(r1, r2)
            let discrepancy = abs(s - t)
            let tolerance = (s + eps) * Double.cbrtOfEpsilon
            if !(discrepancy <= tolerance) {
                throw KrylovError.preconditionerNotSymmetric(discrepancy: discrepancy, tolerance: tolerance)
            }
        }
    }

    r2.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: r1) }
    var residualNorms = [Double]()
    residualNorms.reserveCapacity(iterationLimit + 1)
    residualNorms.append(beta1)

    // Scalars of the recurrences (SciPy's names).
    var istop: MINRESStopReason? = nil
    var itn = 0
    var oldb = 0.0
    var beta = beta1
    var dbar = 0.0
    var epsln = 0.0
    var phibar = beta1
    var tnorm2 = 0.0
    var gmax = 0.0
    var gmin = Double.greatestFiniteMagnitude
    var cs = -1.0
    var sn = 0.0
    var anorm = 0.0
    var acond = 0.0
    var ynorm = Vectors.norm(x)
    var arnorm = 0.0

    while itn < iterationLimit {
        itn += 1

        // v = y / beta, the next Lanczos vector (y = M r2, or r2 itself without M).
        let s = 1 / beta
        if preconditioned {
            z.withUnsafeBufferPointer { zp in v.withUnsafeMutableBufferPointer { vp in
                Kernels.scaledCopy(vp.baseAddress!, s, zp.baseAddress!, n)
            } }
        } else {
            r2.withUnsafeBufferPointer { zp in v.withUnsafeMutableBufferPointer { vp in
                Kernels.scaledCopy(vp.baseAddress!, s, zp.baseAddress!, n)
            } }
        }

        // y = A v − shift v − (beta/oldb) r1; alfa = vᵀy.
        try applyOperator(A, v, into: &y, solver: solver, iteration: itn)
        let previousCoefficient = itn >= 2 ? beta / oldb : 0
        let alfa = v.withUnsafeBufferPointer { vp in r1.withUnsafeBufferPointer { rp in
            y.withUnsafeMutableBufferPointer { yp in
                Kernels.lanczosStep(yp.baseAddress!, vp.baseAddress!, rp.baseAddress!,
                                    shift: shift, c: previousCoefficient, n)
            }
        } }
        guard alfa.isFinite else {
            throw KrylovError.nonFiniteOperatorOutput(
                solver: solver, iteration: itn, index: y.firstNonFiniteIndex, quantity: "vᵀ(A v)")
        }

        // y = y − (alfa/beta) r2; r1 = r2; r2 = y; y = M r2; beta = √(r2ᵀ y).
        let currentCoefficient = alfa / beta
        var betaSquared: Double
        if preconditioned {
            r2.withUnsafeBufferPointer { rp in y.withUnsafeMutableBufferPointer { yp in
                Kernels.axpy(yp.baseAddress!, currentCoefficient, rp.baseAddress!, n)
            } }
            swap(&r1, &r2)
            swap(&r2, &y)
            try applyOperator(preconditioner!, r2, into: &z, solver: solver, iteration: itn)
            betaSquared = r2.withUnsafeBufferPointer { rp in z.withUnsafeBufferPointer { zp in
                Kernels.dot(rp.baseAddress!, zp.baseAddress!, n)
            } }
            if !betaSquared.isFinite {
                throw KrylovError.nonFiniteOperatorOutput(
                    solver: solver, iteration: itn, index: z.firstNonFiniteIndex, quantity: "rᵀ M r")
            }
            if betaSquared < 0 {
                throw KrylovError.preconditionerNotPositiveDefinite(iteration: itn, value: betaSquared)
            }
        } else {
            betaSquared = r2.withUnsafeBufferPointer { rp in y.withUnsafeMutableBufferPointer { yp in
                Kernels.axpyNormSquared(yp.baseAddress!, currentCoefficient, rp.baseAddress!, n)
            } }
            swap(&r1, &r2)
            swap(&r2, &y)
            if !betaSquared.isFinite {
                throw KrylovError.nonFiniteOperatorOutput(solver: solver, iteration: itn, index: nil, quantity: "‖A v‖²")
            }
        }
        oldb = beta
        beta = betaSquared.squareRoot()
        tnorm2 += alfa * alfa + oldb * oldb + beta * beta

        if itn == 1 && beta / beta1 <= 10 * eps {
            istop = .eigenvectorFound
        }

        // Apply the previous rotation Q_{k−1}:
        //   [delta_k  epsln_{k+1}] = [cs  sn] [dbar_k    0        ]
        //   [gbar_k   dbar_{k+1} ]   [sn −cs] [alfa_k    beta_{k+1}].
        let oldeps = epsln
        let delta = cs * dbar + sn * alfa
        let gbar = sn * dbar - cs * alfa
        epsln = sn * beta
        dbar = -cs * beta
        let root = Kernels.hypot(gbar, dbar)
        arnorm = phibar * root
        if istop == .eigenvectorFound && gbar == 0 {
            // (A − σI) r₀ = 0: r₀ lies in the null space, x₀ is already a least-squares solution
            // (SciPy would report x₀ + 0 with the estimate ‖r‖ = 0).
            istop = .leastSquaresConverged
        }

        // The next rotation Q_k.
        let gamma = max(Kernels.hypot(gbar, beta), eps)
        cs = gbar / gamma
        sn = beta / gamma
        let phi = cs * phibar
        phibar = sn * phibar

        // w = (v − oldeps w1 − delta w2) / gamma with w1 = w2, w2 = w; x = x + phi w.
        swap(&w1, &w2)
        swap(&w2, &w)
        let xSquared = v.withUnsafeBufferPointer { vp in w1.withUnsafeBufferPointer { w1p in
            w2.withUnsafeBufferPointer { w2p in w.withUnsafeMutableBufferPointer { wp in
                x.withUnsafeMutableBufferPointer { xp in previousX.withUnsafeMutableBufferPointer { pp in
                    Kernels.minresUpdate(
                        w: wp.baseAddress!, v: vp.baseAddress!, w1: w1p.baseAddress!, w2: w2p.baseAddress!,
                        x: xp.baseAddress!, previousX: pp.baseAddress!, oldEpsilon: oldeps, delta: delta,
                        inverseGamma: 1 / gamma, phi: phi, n)
                } }
            } }
        } }
        let previousYnorm = ynorm
        // ynorm = ‖x‖; the scaled norm only if the plain sum of squares overflowed.
        ynorm = xSquared.isFinite
            ? xSquared.squareRoot() : x.withUnsafeBufferPointer { Kernels.scaledNorm($0.baseAddress!, n) }

        gmax = max(gmax, gamma)
        gmin = min(gmin, gamma)

        // Estimates and stopping tests.
        anorm = tnorm2.squareRoot()
        let epsx = anorm * ynorm * eps
        let rnorm = phibar
        residualNorms.append(rnorm)
        let test1 = (ynorm == 0 || anorm == 0) ? Double.infinity : rnorm / (anorm * ynorm)
        let test2 = anorm == 0 ? Double.infinity : root / anorm
        acond = gmax / gmin

        if istop == nil {
            // The order matters: later tests override earlier ones, as in SciPy, except that the
            // least-squares test wins over the residual test when both hold in one step (see
            // the doc comment).
            let t1 = 1 + test1
            let t2 = 1 + test2
            if t2 <= 1 { istop = .leastSquaresConverged }
            if t1 <= 1 { istop = .converged }
            if itn >= iterationLimit { istop = .iterationLimit }
            if acond >= 0.1 / eps { istop = .illConditioned }
            if epsx >= beta1 { istop = .accuracyLimitReached }
            if test1 <= relativeTolerance { istop = .converged }
            if test2 <= relativeTolerance { istop = .leastSquaresConverged }
        }
        if istop == .leastSquaresConverged {
            // test2 measures ‖A r_{k−1}‖, the residual of the previous iterate: return x_{k−1},
            // the iterate the test certifies (see the doc comment).
            swap(&x, &previousX)
            ynorm = previousYnorm
            itn -= 1
            residualNorms.removeLast()
        }
        if istop != nil { break }
    }

    return MINRESResult(
        solution: x, iterations: itn, stopReason: istop ?? .iterationLimit, residualNorms: residualNorms,
        operatorNormEstimate: anorm, conditionEstimate: acond, solutionNorm: ynorm, arnorm: arnorm)
}

extension Double {
    /// `ε^{1/3}` for binary64, the symmetry-test factor of SciPy's `minres.py` (`eps**(1.0/3.0)`).
    static let cbrtOfEpsilon: Double = 6.055454452393343e-06
}

/// Work vectors of ``minres(_:_:start:shift:relativeTolerance:maxIterations:preconditioner:checkSymmetry:workspace:)``
/// (`v`, `y`, `r1`, `r2`, `w`, `w1`, `w2`, the previous iterate, and `z = M r2` once a
/// preconditioner is used), kept between solves of one dimension.
///
/// A fresh `n`-vector costs more than its size suggests: large blocks come from `mmap`, so every
/// page faults on first touch (measured: about 0.5 ms per solve at `n = 22,350`, the cost of ten
/// MINRES iterations). Passing one workspace to repeated solves leaves only the returned solution
/// to allocate. A workspace is mutable state: use one per thread.
public final class MINRESWorkspace {
    /// The dimension `n` of the vectors.
    public let dimension: Int
    private var storage: [[Double]]

    enum Slot: Int, CaseIterable { case v, y, r1, r2, z, w, w1, w2, previousX }

    /// Allocates the work vectors for dimension `n` (`z` lazily, on the first preconditioned solve).
    public init(dimension: Int) {
        self.dimension = max(0, dimension)
        storage = Slot.allCases.map { $0 == .z ? [] : [Double](repeating: 0, count: max(0, dimension)) }
    }

    /// Moves a vector out (leaving an empty one), so that the solver holds the only reference.
    func take(_ slot: Slot, needed: Bool = true) -> [Double] {
        var vector = [Double]()
        swap(&vector, &storage[slot.rawValue])
        if needed && vector.count != dimension { vector = [Double](repeating: 0, count: dimension) }
        return vector
    }

    /// Puts the vectors back after a solve.
    func restore(
        v: [Double], y: [Double], r1: [Double], r2: [Double], z: [Double], w: [Double], w1: [Double],
        w2: [Double], previousX: [Double]
    ) {
        storage = [v, y, r1, r2, z, w, w1, w2, previousX]
    }
}
