import CLAPACKE

/// Dense LAPACK routines (through LAPACKE, row-major, double precision) that ParetoKit uses
/// for small dense problems and as independent references in tests.
public enum LAPACK {
    /// Eigendecomposition of a symmetric matrix, `A = Q diag(λ) Qᵀ` (`dsyevd`, divide and conquer).
    ///
    /// - Parameter matrix: An `n × n` symmetric matrix in row-major order (only its lower
    ///   triangle is read).
    /// - Returns: The eigenvalues in ascending order and the eigenvectors as the columns of
    ///   an `n × n` row-major matrix (`vectors[i * n + j]` is component `i` of eigenvector `j`).
    /// - Throws: ``TensorError`` on a non-square input or LAPACK failure.
    public static func symmetricEigen(_ matrix: Tensor<Double>) throws -> (values: [Double], vectors: Tensor<Double>) {
        let n = try squareSide(matrix, "symmetricEigen")
        var a = matrix.scalars
        var w = [Double](repeating: 0, count: n)
        if n == 0 { return ([], matrix) }
        let info = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { wp in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                               Int32(n), ap.baseAddress, Int32(n), wp.baseAddress)
            }
        }
        guard info == 0 else { throw TensorError.lapackFailure(routine: "dsyevd", info: Int(info)) }
        return (w, Tensor(uncheckedShape: [n, n], scalars: a))
    }

    /// Solves `A X = B` for symmetric (possibly indefinite) `A` by Bunch–Kaufman
    /// factorisation (`dsysv`).
    ///
    /// - Parameters:
    ///   - matrix: `n × n` symmetric, row-major (lower triangle read).
    ///   - rhs: `n` values (one right-hand side) or an `n × r` matrix.
    /// - Throws: ``TensorError/lapackFailure(routine:info:)`` if `A` is exactly singular.
    public static func solveSymmetric(_ matrix: Tensor<Double>, _ rhs: Tensor<Double>) throws -> Tensor<Double> {
        let n = try squareSide(matrix, "solveSymmetric")
        let columns = try rhsColumns(rhs, n, "solveSymmetric")
        var a = matrix.scalars
        var b = rhs.scalars
        var pivots = [Int32](repeating: 0, count: max(n, 1))
        if n == 0 { return rhs }
        let info = a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                pivots.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_dsysv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(columns),
                                  ap.baseAddress, Int32(n), pp.baseAddress, bp.baseAddress, Int32(columns))
                }
            }
        }
        guard info == 0 else { throw TensorError.lapackFailure(routine: "dsysv", info: Int(info)) }
        return Tensor(uncheckedShape: rhs.shape, scalars: b)
    }

    /// Solves `A X = B` for a general square `A` by LU with partial pivoting (`dgesv`).
    /// - Throws: ``TensorError/lapackFailure(routine:info:)`` if `A` is exactly singular.
    public static func solve(_ matrix: Tensor<Double>, _ rhs: Tensor<Double>) throws -> Tensor<Double> {
        let n = try squareSide(matrix, "solve")
        let columns = try rhsColumns(rhs, n, "solve")
        var a = matrix.scalars
        var b = rhs.scalars
        var pivots = [Int32](repeating: 0, count: max(n, 1))
        if n == 0 { return rhs }
        let info = a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                pivots.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(columns), ap.baseAddress,
                                  Int32(n), pp.baseAddress, bp.baseAddress, Int32(columns))
                }
            }
        }
        guard info == 0 else { throw TensorError.lapackFailure(routine: "dgesv", info: Int(info)) }
        return Tensor(uncheckedShape: rhs.shape, scalars: b)
    }

    /// Minimum-norm least-squares solution of `min ‖A x − b‖₂` by SVD (`dgelsd`), for any
    /// `m × n` matrix (rank-deficient allowed).
    /// - Parameter rcond: Singular values below `rcond · σ_max` are treated as zero.
    /// - Returns: The `n` components of `x` and the effective rank of `A`.
    public static func leastSquares(_ matrix: Tensor<Double>, _ rhs: [Double], rcond: Double = 1e-12) throws -> (solution: [Double], rank: Int) {
        guard matrix.rank == 2 else {
            throw TensorError.invalidShape(operation: "leastSquares", shape: matrix.shape, reason: "expected a matrix")
        }
        let (m, n) = (matrix.shape[0], matrix.shape[1])
        guard rhs.count == m else {
            throw TensorError.shapeMismatch(operation: "leastSquares", shapes: [matrix.shape, [rhs.count]])
        }
        var a = matrix.scalars
        var b = rhs + [Double](repeating: 0, count: max(0, n - m))
        var s = [Double](repeating: 0, count: max(1, min(m, n)))
        var rank: Int32 = 0
        if m == 0 || n == 0 { return ([Double](repeating: 0, count: n), 0) }
        let info = a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                s.withUnsafeMutableBufferPointer { sp in
                    LAPACKE_dgelsd(LAPACK_ROW_MAJOR, Int32(m), Int32(n), 1, ap.baseAddress, Int32(n),
                                   bp.baseAddress, 1, sp.baseAddress, rcond, &rank)
                }
            }
        }
        guard info == 0 else { throw TensorError.lapackFailure(routine: "dgelsd", info: Int(info)) }
        return (Array(b.prefix(n)), Int(rank))
    }

    private static func squareSide(_ matrix: Tensor<Double>, _ operation: String) throws -> Int {
        guard matrix.rank == 2, matrix.shape[0] == matrix.shape[1] else {
            throw TensorError.invalidShape(operation: operation, shape: matrix.shape, reason: "expected a square matrix")
        }
        return matrix.shape[0]
    }

    private static func rhsColumns(_ rhs: Tensor<Double>, _ n: Int, _ operation: String) throws -> Int {
        switch rhs.rank {
        case 1 where rhs.shape[0] == n: return 1
        case 2 where rhs.shape[0] == n: return rhs.shape[1]
        default: throw TensorError.shapeMismatch(operation: operation, shapes: [[n, n], rhs.shape])
        }
    }
}
