import LinearAlgebra

// Elementwise kernels on tensors used by the differentiable operations. Internal: shapes are
// checked by the public operations before these are called.

extension Tensor {
    /// `self += other` (same element count).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func add(_ other: Tensor) {
        precondition(count == other.count)
        if count == 0 { return }
        other.withUnsafeBufferPointer { o in
            withUnsafeMutableBufferPointer { s in Scalar.axpy(count: s.count, alpha: 1, x: o.baseAddress!, y: s.baseAddress!) }
        }
    }

    /// `self += α · other` (same element count).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func add(_ other: Tensor, scaledBy alpha: Scalar) {
        precondition(count == other.count)
        if count == 0 { return }
        other.withUnsafeBufferPointer { o in
            withUnsafeMutableBufferPointer { s in Scalar.axpy(count: s.count, alpha: alpha, x: o.baseAddress!, y: s.baseAddress!) }
        }
    }

    /// `self[offset ..< offset + other.count] += other` (flat indices).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func add(_ other: Tensor, atOffset offset: Int) {
        precondition(offset >= 0 && offset + other.count <= count)
        if other.count == 0 { return }
        other.withUnsafeBufferPointer { o in
            withUnsafeMutableBufferPointer { s in
                Scalar.axpy(count: o.count, alpha: 1, x: o.baseAddress!, y: s.baseAddress! + offset)
            }
        }
    }

    /// A tensor of the same shape with `transform` applied to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func map(_ transform: (Scalar) -> Scalar) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: scalars.map(transform))
    }

    /// Elementwise combination of two tensors of equal count; the result has `self`'s shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func zip(_ other: Tensor, _ combine: (Scalar, Scalar) -> Scalar) -> Tensor {
        precondition(count == other.count)
        var result = [Scalar](repeating: 0, count: count)
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { r in
                    for i in 0..<r.count { r[i] = combine(a[i], b[i]) }
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// Elementwise combination of three tensors of equal count.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func zip(_ b: Tensor, _ c: Tensor, _ combine: (Scalar, Scalar, Scalar) -> Scalar) -> Tensor {
        precondition(count == b.count && count == c.count)
        var result = [Scalar](repeating: 0, count: count)
        withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeBufferPointer { cp in
                    result.withUnsafeMutableBufferPointer { r in
                        for i in 0..<r.count { r[i] = combine(ap[i], bp[i], cp[i]) }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// `α · self`.
    func scaled(by alpha: Scalar) -> Tensor { map { $0 * alpha } }

    /// Whether every element is exactly zero.
    var isZero: Bool { withUnsafeBufferPointer { $0.allSatisfy { $0 == 0 } } }

    /// The sum of all elements.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sumOfElements() -> Scalar {
        withUnsafeBufferPointer { p in
            var total: Scalar = 0
            for v in p { total += v }
            return total
        }
    }

    /// The same scalars with another shape (element count unchanged).
    func viewed(as newShape: [Int]) -> Tensor { Tensor(uncheckedShape: newShape, scalars: scalars) }

    /// A zero tensor of the given shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func zeroed(_ shape: [Int]) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: .init(repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor of `count` copies of the single element of `self`, shaped `shape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func broadcastScalar(to shape: [Int]) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: .init(repeating: scalars[0], count: shape.reduce(1, *)))
    }
}

/// Adds two optional tangents, where `nil` means zero.
@_specialize(where S == Float)
@_specialize(where S == Double)
func addTangents<S: BLASScalar>(_ a: Tensor<S>?, _ b: Tensor<S>?) -> Tensor<S>? {
    switch (a, b) {
    case (nil, nil): return nil
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (var a?, let b?): a.add(b); return a
    }
}
