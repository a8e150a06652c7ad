import LinearAlgebra

/// A square linear map `y = A x` on `ℝⁿ`, given only through its action on vectors
/// ("matrix-free"), which is all a Krylov method needs.
///
/// This is the role of `scipy.sparse.linalg.LinearOperator` (its `matvec`) in SciPy's
/// `minres.py` and `cg.py`. MINRES requires `A` to be symmetric, CG symmetric positive
/// definite; see ``minres(_:_:start:shift:relativeTolerance:maxIterations:preconditioner:checkSymmetry:workspace:)``
/// and ``conjugateGradient(_:_:start:relativeTolerance:maxIterations:)``.
public protocol LinearOperator {
    /// The dimension `n` of the space `ℝⁿ` the operator acts on.
    var dimension: Int { get }

    /// Computes `y ← A x`.
    ///
    /// - Parameters:
    ///   - x: The input vector, `x.count == dimension`.
    ///   - y: The output, preallocated by the caller with `y.count == dimension`; every entry
    ///     must be overwritten. It never shares storage with `x`.
    /// - Throws: Any error of the underlying computation (for example a Hessian-vector product
    ///   that met a NaN); the solvers wrap it in ``KrylovError/operatorFailed(solver:iteration:underlying:)``.
    func apply(_ x: [Double], into y: inout [Double]) throws
}

/// A dense square matrix used as a ``LinearOperator``: `y = A x` is one `dgemm` call with a
/// single right-hand column (a matrix–vector product).
public struct DenseMatrixOperator: LinearOperator, Sendable {
    /// The `n × n` row-major matrix `A`.
    public let matrix: Tensor<Double>

    /// The side `n` of the matrix.
    public var dimension: Int { matrix.shape[0] }

    /// Wraps a square matrix.
    /// - Throws: ``KrylovError/notSquare(shape:)`` if `matrix` is not an `n × n` matrix,
    ///   ``KrylovError/nonFiniteInput(solver:argument:index:)`` if an entry is NaN or infinite.
    public init(_ matrix: Tensor<Double>) throws {
        guard matrix.rank == 2, matrix.shape[0] == matrix.shape[1] else {
            throw KrylovError.notSquare(shape: matrix.shape)
        }
        if let index = matrix.firstNonFiniteIndex {
            throw KrylovError.nonFiniteInput(solver: "DenseMatrixOperator", argument: "matrix", index: index)
        }
        self.matrix = matrix
    }

    /// Computes `y ← A x` by `dgemm` (`m = n`, `n = 1`, `k = n`).
    /// - Throws: ``KrylovError/dimensionMismatch(solver:argument:expected:actual:)`` if `x` or `y`
    ///   does not have `dimension` entries.
    public func apply(_ x: [Double], into y: inout [Double]) throws {
        let n = dimension
        guard x.count == n else {
            throw KrylovError.dimensionMismatch(solver: "DenseMatrixOperator", argument: "x", expected: n, actual: x.count)
        }
        guard y.count == n else {
            throw KrylovError.dimensionMismatch(solver: "DenseMatrixOperator", argument: "y", expected: n, actual: y.count)
        }
        if n == 0 { return }
        matrix.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    Double.gemm(
                        transposeA: .none, transposeB: .none, m: n, n: 1, k: n,
                        alpha: 1, a: a.baseAddress!, lda: n, b: xp.baseAddress!, ldb: 1,
                        beta: 0, c: yp.baseAddress!, ldc: 1)
                }
            }
        }
    }
}

/// A ``LinearOperator`` defined by a closure, so that a matrix-free product such as a
/// Hessian-vector product `v ↦ ∇²f(θ) v` plugs into MINRES directly.
public struct ClosureOperator: LinearOperator {
    /// The dimension `n` of the space the operator acts on.
    public let dimension: Int
    private let body: (_ x: [Double], _ y: inout [Double]) throws -> Void

    /// Creates an operator of the given dimension whose product is `apply(x, &y)`, which must
    /// overwrite every entry of `y` with `(A x)ᵢ`.
    public init(dimension: Int, apply: @escaping (_ x: [Double], _ y: inout [Double]) throws -> Void) {
        self.dimension = dimension
        self.body = apply
    }

    /// Computes `y ← A x` by calling the closure.
    public func apply(_ x: [Double], into y: inout [Double]) throws {
        try body(x, &y)
    }
}

/// Applies `A` for a solver: wraps a thrown error with the solver's name and iteration and
/// checks that the output kept its length.
@inline(__always)
func applyOperator(
    _ A: some LinearOperator, _ x: [Double], into y: inout [Double], solver: String, iteration: Int
) throws(KrylovError) {
    let n = y.count
    do {
        try A.apply(x, into: &y)
    } catch {
        throw KrylovError.operatorFailed(solver: solver, iteration: iteration, underlying: error)
    }
    guard y.count == n else {
        throw KrylovError.operatorOutputResized(solver: solver, expected: n, actual: y.count)
    }
}

/// Validates an input vector: its length against the operator's dimension and its entries
/// for NaN / ±∞.
func validateVector(_ v: [Double], dimension: Int, solver: String, argument: String) throws(KrylovError) {
    guard v.count == dimension else {
        throw KrylovError.dimensionMismatch(solver: solver, argument: argument, expected: dimension, actual: v.count)
    }
    if let index = v.firstIndex(where: { !$0.isFinite }) {
        throw KrylovError.nonFiniteInput(solver: solver, argument: argument, index: index)
    }
}
