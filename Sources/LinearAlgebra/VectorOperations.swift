/// Level-1 operations on contiguous vectors stored as Swift arrays (BLAS-backed).
public enum Vectors {
    /// `xᵀ y`. - Precondition: equal counts.
    @inlinable
    public static func dot<S: BLASScalar>(_ x: [S], _ y: [S]) -> S {
        precondition(x.count == y.count, "dot: counts \(x.count) and \(y.count) differ")
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
            S.dot(count: x.count, x: xp.baseAddress!, y: yp.baseAddress!)
        } }
    }

    /// The Euclidean norm ‖x‖₂, computed with scaling so that it neither overflows nor underflows.
    @inlinable
    public static func norm<S: BLASScalar>(_ x: [S]) -> S {
        var scale: S = 0
        for v in x { scale = Swift.max(scale, Swift.abs(v)) }
        if scale == 0 || !scale.isFinite { return scale }
        var sum: S = 0
        for v in x { let r = v / scale; sum += r * r }
        return scale * sum.squareRoot()
    }

    /// `y ← α x + y`. - Precondition: equal counts.
    @inlinable
    public static func axpy<S: BLASScalar>(_ alpha: S, _ x: [S], _ y: inout [S]) {
        precondition(x.count == y.count, "axpy: counts \(x.count) and \(y.count) differ")
        if x.isEmpty { return }
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            S.axpy(count: x.count, alpha: alpha, x: xp.baseAddress!, y: yp.baseAddress!)
        } }
    }

    /// `x ← α x`.
    @inlinable
    public static func scale<S: BLASScalar>(_ x: inout [S], by alpha: S) {
        if x.isEmpty { return }
        let n = x.count
        x.withUnsafeMutableBufferPointer { S.scal(count: n, alpha: alpha, x: $0.baseAddress!) }
    }
}
