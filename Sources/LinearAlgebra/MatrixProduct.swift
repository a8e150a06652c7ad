extension Tensor {
    /// The matrix product `op(self) · op(other)` of two rank-2 tensors (`?gemm`).
    ///
    /// - Parameters:
    ///   - other: The right operand.
    ///   - transposeSelf: Use `selfᵀ` instead of `self`.
    ///   - transposeOther: Use `otherᵀ` instead of `other`.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the inner dimensions differ
    ///   or an operand is not a matrix.
    public func matmul(
        _ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false
    ) throws -> Tensor {
        guard rank == 2, other.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "matmul (operands must be matrices)", shapes: [shape, other.shape])
        }
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let k2 = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        guard k == k2 else {
            throw TensorError.shapeMismatch(
                operation: "matmul\(transposeSelf ? " (lhs transposed)" : "")\(transposeOther ? " (rhs transposed)" : "")",
                shapes: [shape, other.shape])
        }
        var result = [Scalar](repeating: 0, count: m * n)
        if m > 0 && n > 0 && k > 0 {
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { c in
                        Scalar.gemm(
                            transposeA: transposeSelf ? .transposed : .none,
                            transposeB: transposeOther ? .transposed : .none,
                            m: m, n: n, k: k, alpha: 1,
                            a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                            beta: 0, c: c.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [m, n], scalars: result)
    }

    /// The transpose of a rank-2 tensor.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` if not a matrix.
    public func transposed() throws -> Tensor {
        guard rank == 2 else {
            throw TensorError.invalidShape(operation: "transposed", shape: shape, reason: "expected a matrix")
        }
        let (rows, columns) = (shape[0], shape[1])
        var result = [Scalar](repeating: 0, count: count)
        for i in 0..<rows {
            for j in 0..<columns { result[j * rows + i] = scalars[i * columns + j] }
        }
        return Tensor(uncheckedShape: [columns, rows], scalars: result)
    }
}
