/// Fused level-1 loops for the Krylov iterations. Each is one pass over its vectors (where
/// SciPy makes one NumPy temporary per operation), allocates nothing, and sums inner products
/// with four independent partial sums so that the additions pipeline.
enum Kernels {
    /// `Σ xᵢ yᵢ` with four partial sums.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= n {
            s0 += x[i] * y[i]
            s1 += x[i + 1] * y[i + 1]
            s2 += x[i + 2] * y[i + 2]
            s3 += x[i + 3] * y[i + 3]
            i += 4
        }
        while i < n { s0 += x[i] * y[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// `v ← s z`.
    @inline(__always)
    static func scaledCopy(_ v: UnsafeMutablePointer<Double>, _ s: Double, _ z: UnsafePointer<Double>, _ n: Int) {
        for i in 0..<n { v[i] = s * z[i] }
    }

    /// `y ← y − σ v − c r`, returning `vᵀ y` of the updated `y`.
    @inline(__always)
    static func lanczosStep(
        _ y: UnsafeMutablePointer<Double>, _ v: UnsafePointer<Double>, _ r: UnsafePointer<Double>,
        shift: Double, c: Double, _ n: Int
    ) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= n {
            let y0 = y[i] - shift * v[i] - c * r[i]
            let y1 = y[i + 1] - shift * v[i + 1] - c * r[i + 1]
            let y2 = y[i + 2] - shift * v[i + 2] - c * r[i + 2]
            let y3 = y[i + 3] - shift * v[i + 3] - c * r[i + 3]
            y[i] = y0; y[i + 1] = y1; y[i + 2] = y2; y[i + 3] = y3
            s0 += v[i] * y0; s1 += v[i + 1] * y1; s2 += v[i + 2] * y2; s3 += v[i + 3] * y3
            i += 4
        }
        while i < n {
            let yi = y[i] - shift * v[i] - c * r[i]
            y[i] = yi
            s0 += v[i] * yi
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// `y ← y − c r`, returning `yᵀ y` of the updated `y`.
    @inline(__always)
    static func axpyNormSquared(_ y: UnsafeMutablePointer<Double>, _ c: Double, _ r: UnsafePointer<Double>, _ n: Int) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= n {
            let y0 = y[i] - c * r[i]
            let y1 = y[i + 1] - c * r[i + 1]
            let y2 = y[i + 2] - c * r[i + 2]
            let y3 = y[i + 3] - c * r[i + 3]
            y[i] = y0; y[i + 1] = y1; y[i + 2] = y2; y[i + 3] = y3
            s0 += y0 * y0; s1 += y1 * y1; s2 += y2 * y2; s3 += y3 * y3
            i += 4
        }
        while i < n {
            let yi = y[i] - c * r[i]
            y[i] = yi
            s0 += yi * yi
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// `y ← y − c r` (no reduction).
    @inline(__always)
    static func axpy(_ y: UnsafeMutablePointer<Double>, _ c: Double, _ r: UnsafePointer<Double>, _ n: Int) {
        for i in 0..<n { y[i] -= c * r[i] }
    }

    /// The MINRES direction and solution update `w ← (v − ε w₁ − δ w₂)/γ`, `x ← x + φ w`,
    /// keeping the previous `x` in `previousX`; returns `xᵀ x` of the updated `x`.
    @inline(__always)
    static func minresUpdate(
        w: UnsafeMutablePointer<Double>, v: UnsafePointer<Double>, w1: UnsafePointer<Double>,
        w2: UnsafePointer<Double>, x: UnsafeMutablePointer<Double>, previousX: UnsafeMutablePointer<Double>,
        oldEpsilon: Double, delta: Double, inverseGamma: Double, phi: Double, _ n: Int
    ) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= n {
            let a0 = (v[i] - oldEpsilon * w1[i] - delta * w2[i]) * inverseGamma
            let a1 = (v[i + 1] - oldEpsilon * w1[i + 1] - delta * w2[i + 1]) * inverseGamma
            let a2 = (v[i + 2] - oldEpsilon * w1[i + 2] - delta * w2[i + 2]) * inverseGamma
            let a3 = (v[i + 3] - oldEpsilon * w1[i + 3] - delta * w2[i + 3]) * inverseGamma
            w[i] = a0; w[i + 1] = a1; w[i + 2] = a2; w[i + 3] = a3
            let p0 = x[i], p1 = x[i + 1], p2 = x[i + 2], p3 = x[i + 3]
            previousX[i] = p0; previousX[i + 1] = p1; previousX[i + 2] = p2; previousX[i + 3] = p3
            let x0 = p0 + phi * a0
            let x1 = p1 + phi * a1
            let x2 = p2 + phi * a2
            let x3 = p3 + phi * a3
            x[i] = x0; x[i + 1] = x1; x[i + 2] = x2; x[i + 3] = x3
            s0 += x0 * x0; s1 += x1 * x1; s2 += x2 * x2; s3 += x3 * x3
            i += 4
        }
        while i < n {
            let a = (v[i] - oldEpsilon * w1[i] - delta * w2[i]) * inverseGamma
            w[i] = a
            previousX[i] = x[i]
            let xi = x[i] + phi * a
            x[i] = xi
            s0 += xi * xi
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// `x ← x + α p`, `r ← r − α q`, returning `rᵀ r` of the updated `r` (one CG step).
    @inline(__always)
    static func conjugateGradientUpdate(
        x: UnsafeMutablePointer<Double>, r: UnsafeMutablePointer<Double>,
        p: UnsafePointer<Double>, q: UnsafePointer<Double>, alpha: Double, _ n: Int
    ) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= n {
            x[i] += alpha * p[i]; x[i + 1] += alpha * p[i + 1]
            x[i + 2] += alpha * p[i + 2]; x[i + 3] += alpha * p[i + 3]
            let r0 = r[i] - alpha * q[i]
            let r1 = r[i + 1] - alpha * q[i + 1]
            let r2 = r[i + 2] - alpha * q[i + 2]
            let r3 = r[i + 3] - alpha * q[i + 3]
            r[i] = r0; r[i + 1] = r1; r[i + 2] = r2; r[i + 3] = r3
            s0 += r0 * r0; s1 += r1 * r1; s2 += r2 * r2; s3 += r3 * r3
            i += 4
        }
        while i < n {
            x[i] += alpha * p[i]
            let ri = r[i] - alpha * q[i]
            r[i] = ri
            s0 += ri * ri
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// `p ← r + β p`.
    @inline(__always)
    static func conjugateDirection(_ p: UnsafeMutablePointer<Double>, _ r: UnsafePointer<Double>, beta: Double, _ n: Int) {
        for i in 0..<n { p[i] = r[i] + beta * p[i] }
    }

    /// The Euclidean norm with scaling (no overflow or underflow), for the rare case where the
    /// plain sum of squares overflowed.
    static func scaledNorm(_ x: UnsafePointer<Double>, _ n: Int) -> Double {
        var scale = 0.0
        for i in 0..<n { scale = max(scale, abs(x[i])) }
        if scale == 0 || !scale.isFinite { return scale }
        var sum = 0.0
        for i in 0..<n { let t = x[i] / scale; sum += t * t }
        return scale * sum.squareRoot()
    }

    /// `√(a² + b²)` without overflow (numpy's `norm([a, b])` in minres.py).
    @inline(__always)
    static func hypot(_ a: Double, _ b: Double) -> Double {
        let m = max(abs(a), abs(b))
        if m == 0 || !m.isFinite { return m }
        let (p, q) = (a / m, b / m)
        return m * (p * p + q * q).squareRoot()
    }
}

extension Array where Element == Double {
    /// The index of the first NaN or ±∞, if any.
    var firstNonFiniteIndex: Int? { firstIndex { !$0.isFinite } }
}
