import LinearAlgebra

// Linear, shape-changing and reduction operations. All are linear in their inputs, so the
// tangent of each pullback is the pullback applied to the adjoint's tangent.

extension Tape {
    /// Records a linear operation `y = L(x)`: the JVP is `L(ẋ)` and the pullback `Lᵀ`, applied
    /// to both the adjoint and its tangent.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func linear(
        _ x: Variable<Scalar>, forward: @escaping (Tensor<Scalar>) -> Tensor<Scalar>,
        transpose: @escaping (Tensor<Scalar>) -> Tensor<Scalar>
    ) -> Variable<Scalar> {
        let node = x.node
        return record(value: forward(x.value), tangent: x.tangent.map(forward), inputs: [x]) { adjoint, adjointTangent, tape in
            tape.accumulate(node, adjoint: transpose(adjoint), tangent: adjointTangent.map(transpose))
        }
    }
}

/// The same elements with a new shape of equal element count.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the counts differ.
public func reshape<S>(_ x: Variable<S>, _ shape: [Int]) throws -> Variable<S> {
    try x.tape.reshape(x, shape)
}

extension Tape {
    func reshape(_ x: Variable<Scalar>, _ shape: [Int]) throws -> Variable<Scalar> {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == x.value.count else {
            throw TensorError.shapeMismatch(operation: "reshape", shapes: [x.shape, shape])
        }
        let original = x.shape
        return linear(x, forward: { $0.viewed(as: shape) }, transpose: { $0.viewed(as: original) })
    }
}

/// Flattens all dimensions after the first: `[N, d₁, …, d_k] → [N, d₁⋯d_k]`.
/// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` for a rank-0 input.
public func flatten<S>(_ x: Variable<S>) throws -> Variable<S> {
    guard let first = x.shape.first else {
        throw TensorError.invalidShape(operation: "flatten", shape: x.shape, reason: "needs at least one dimension")
    }
    return try reshape(x, [first, x.shape.dropFirst().reduce(1, *)])
}

/// The sum of all elements, as a rank-0 variable.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sum<S>(_ x: Variable<S>) -> Variable<S> {
    let shape = x.shape
    return x.tape.linear(
        x, forward: { Tensor(scalar: $0.sumOfElements()) }, transpose: { $0.broadcastScalar(to: shape) })
}

/// The mean of all elements, as a rank-0 variable.
public func mean<S>(_ x: Variable<S>) -> Variable<S> {
    let n = S(Swift.max(1, x.value.count))
    return sum(x) * (1 / n)
}

/// The elements `offset ..< offset + shape.product` of `x` (flattened, row-major), shaped
/// `shape`: the view of one parameter tensor inside a flat parameter vector.
/// - Throws: ``TensorError/outOfBounds(operation:index:count:)`` if the range leaves `x`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func slice<S>(_ x: Variable<S>, offset: Int, shape: [Int]) throws -> Variable<S> {
    let length = shape.reduce(1, *)
    guard offset >= 0, length >= 0, offset + length <= x.value.count else {
        throw TensorError.outOfBounds(operation: "slice", index: offset + length, count: x.value.count)
    }
    let extract: (Tensor<S>) -> Tensor<S> = {
        Tensor(uncheckedShape: shape, scalars: Array($0.scalars[offset ..< offset + length]))
    }
    let node = x.node
    return x.tape.record(value: extract(x.value), tangent: x.tangent.map(extract), inputs: [x]) {
        adjoint, adjointTangent, tape in
        tape.accumulate(node, offset: offset, adjoint: adjoint, tangent: adjointTangent)
    }
}

/// All elements of `parts` (each flattened, row-major), one after the other, as a rank-1
/// variable: packing parameter tensors into a flat vector, or stacking scalar objectives.
/// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for an empty list or mixed tapes.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func concatenate<S>(_ parts: [Variable<S>]) throws -> Variable<S> {
    guard let tape = parts.first?.tape else {
        throw TensorError.invalidArgument(operation: "concatenate", reason: "no operands")
    }
    for part in parts { try tape.checkSameTape(part, operation: "concatenate") }
    let counts = parts.map { $0.value.count }
    let total = counts.reduce(0, +)
    let value = Tensor<S>(uncheckedShape: [total], scalars: parts.flatMap { $0.value.scalars })
    var tangent: Tensor<S>? = nil
    if parts.contains(where: { $0.tangent != nil }) {
        tangent = Tensor(uncheckedShape: [total], scalars: parts.flatMap {
            $0.tangent?.scalars ?? .init(repeating: 0, count: $0.value.count)
        })
    }
    let nodes = parts.map(\.node)
    return tape.record(value: value, tangent: tangent, inputs: parts) { adjoint, adjointTangent, tape in
        var offset = 0
        for (part, count) in zip(nodes, counts) {
            let piece: (Tensor<S>) -> Tensor<S> = {
                Tensor(uncheckedShape: part.shape, scalars: Array($0.scalars[offset ..< offset + count]))
            }
            tape.accumulate(part, adjoint: piece(adjoint), tangent: adjointTangent.map(piece))
            offset += count
        }
    }
}

/// Adds `bias[c]` to every element of channel `c` of `x` (`x` of shape `[N, C, …]`, `bias`
/// of shape `[C]`), the broadcasting bias of linear and convolutional layers.
/// Pullback: `x̄ = ȳ`, `b̄_c = Σ_{n,…} ȳ[n, c, …]`.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func addBias<S>(_ x: Variable<S>, _ bias: Variable<S>) throws -> Variable<S> {
    try x.tape.checkSameTape(x, bias, operation: "addBias")
    guard x.shape.count >= 2, bias.shape == [x.shape[1]] else {
        throw TensorError.shapeMismatch(operation: "addBias (x [N, C, …], bias [C])", shapes: [x.shape, bias.shape])
    }
    let channels = x.shape[1]
    let inner = x.shape.dropFirst(2).reduce(1, *)
    let outer = x.shape[0]
    func broadcastAdd(_ base: Tensor<S>?, _ b: Tensor<S>) -> Tensor<S> {
        var result = base ?? Tensor.zeroed(x.shape)
        b.withUnsafeBufferPointer { bp in
            result.withUnsafeMutableBufferPointer { r in
                var index = 0
                for _ in 0..<outer {
                    for c in 0..<channels {
                        let value = bp[c]
                        for _ in 0..<inner { r[index] += value; index += 1 }
                    }
                }
            }
        }
        return result
    }
    func reduceToChannels(_ t: Tensor<S>) -> Tensor<S> {
        var sums = [S](repeating: 0, count: channels)
        t.withUnsafeBufferPointer { p in
            var index = 0
            for _ in 0..<outer {
                for c in 0..<channels {
                    var s: S = 0
                    for _ in 0..<inner { s += p[index]; index += 1 }
                    sums[c] += s
                }
            }
        }
        return Tensor(uncheckedShape: [channels], scalars: sums)
    }
    let value = broadcastAdd(x.value, bias.value)
    var tangent = x.tangent
    if let biasTangent = bias.tangent { tangent = broadcastAdd(tangent, biasTangent) }
    let (xNode, biasNode) = (x.node, bias.node)
    return x.tape.record(value: value, tangent: tangent, inputs: [x, bias]) { adjoint, adjointTangent, tape in
        tape.accumulate(xNode, adjoint: adjoint, tangent: adjointTangent)
        if tape.requiresAdjoint(biasNode) {
            tape.accumulate(biasNode, adjoint: reduceToChannels(adjoint), tangent: adjointTangent.map(reduceToChannels))
        }
    }
}

// MARK: - Matrix product

/// `C (+)= op(A) op(B)` for rank-2 tensors; `accumulate` selects `β = 1` into an existing `C`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func gemm<S: BLASScalar>(
    _ a: Tensor<S>, transposed ta: Bool, _ b: Tensor<S>, transposed tb: Bool, into c: inout Tensor<S>?
) {
    let m = ta ? a.shape[1] : a.shape[0]
    let k = ta ? a.shape[0] : a.shape[1]
    let n = tb ? b.shape[0] : b.shape[1]
    let beta: S = c == nil ? 0 : 1
    var result = c ?? Tensor.zeroed([m, n])
    if m > 0 && n > 0 && k > 0 {
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                result.withUnsafeMutableBufferPointer { cp in
                    S.gemm(
                        transposeA: ta ? .transposed : .none, transposeB: tb ? .transposed : .none,
                        m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!, lda: a.shape[1],
                        b: bp.baseAddress!, ldb: b.shape[1], beta: beta, c: cp.baseAddress!, ldc: n)
                }
            }
        }
    }
    c = result
}

/// The matrix product `op(A) op(B)` of rank-2 variables, `op` the identity or transpose
/// (BLAS `?gemm` flags, no copies).
///
/// With `P = op(A)`, `Q = op(B)`, `Z = P Q`: JVP `Ż = Ṗ Q + P Q̇`; pullback `P̄ = Z̄ Qᵀ`,
/// `Q̄ = Pᵀ Z̄`; their tangents `Ṗ̄ = Ż̄ Qᵀ + Z̄ Q̇ᵀ`, `Q̇̄ = Pᵀ Ż̄ + Ṗᵀ Z̄`; `Ā = P̄` or `P̄ᵀ`.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if not matrices or the inner
///   dimensions differ.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func matmul<S>(
    _ a: Variable<S>, _ b: Variable<S>, transposeA: Bool = false, transposeB: Bool = false
) throws -> Variable<S> {
    try a.tape.checkSameTape(a, b, operation: "matmul")
    guard a.shape.count == 2, b.shape.count == 2,
          (transposeA ? a.shape[0] : a.shape[1]) == (transposeB ? b.shape[1] : b.shape[0]) else {
        throw TensorError.shapeMismatch(
            operation: "matmul\(transposeA ? " (A transposed)" : "")\(transposeB ? " (B transposed)" : "")",
            shapes: [a.shape, b.shape])
    }
    let (ta, tb) = (transposeA, transposeB)
    // Z = op(A) op(B)
    func product(_ x: Tensor<S>, _ y: Tensor<S>, into c: inout Tensor<S>?) { gemm(x, transposed: ta, y, transposed: tb, into: &c) }
    // Ā contribution from (Z̄, B): Z̄ op(B)ᵀ, or its transpose op(B) Z̄ᵀ when A is used transposed.
    func adjointA(_ zBar: Tensor<S>, _ bValue: Tensor<S>, into c: inout Tensor<S>?) {
        if ta { gemm(bValue, transposed: tb, zBar, transposed: true, into: &c) }
        else { gemm(zBar, transposed: false, bValue, transposed: !tb, into: &c) }
    }
    // B̄ contribution from (Z̄, A): op(A)ᵀ Z̄, or Z̄ᵀ op(A) when B is used transposed.
    func adjointB(_ zBar: Tensor<S>, _ aValue: Tensor<S>, into c: inout Tensor<S>?) {
        if tb { gemm(zBar, transposed: true, aValue, transposed: ta, into: &c) }
        else { gemm(aValue, transposed: !ta, zBar, transposed: false, into: &c) }
    }
    let (av, bv) = (a.value, b.value)
    var value: Tensor<S>? = nil
    product(av, bv, into: &value)
    var tangent: Tensor<S>? = nil
    if a.tape.tracksTangents {
        if let aDot = a.tangent { product(aDot, bv, into: &tangent) }
        if let bDot = b.tangent { product(av, bDot, into: &tangent) }
    }
    let (aNode, bNode) = (a.node, b.node)
    return a.tape.record(value: value!, tangent: tangent, inputs: [a, b]) { adjoint, adjointTangent, tape in
        if tape.requiresAdjoint(aNode) {
            var aBar: Tensor<S>? = nil
            adjointA(adjoint, bv, into: &aBar)
            var aBarDot: Tensor<S>? = nil
            if tape.tracksTangents {
                if let adjointTangent { adjointA(adjointTangent, bv, into: &aBarDot) }
                if let bDot = bNode.tangent { adjointA(adjoint, bDot, into: &aBarDot) }
            }
            tape.accumulate(aNode, adjoint: aBar!, tangent: aBarDot)
        }
        if tape.requiresAdjoint(bNode) {
            var bBar: Tensor<S>? = nil
            adjointB(adjoint, av, into: &bBar)
            var bBarDot: Tensor<S>? = nil
            if tape.tracksTangents {
                if let adjointTangent { adjointB(adjointTangent, av, into: &bBarDot) }
                if let aDot = aNode.tangent { adjointB(adjoint, aDot, into: &bBarDot) }
            }
            tape.accumulate(bNode, adjoint: bBar!, tangent: bBarDot)
        }
    }
}
