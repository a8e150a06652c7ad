import LinearAlgebra
import RealModule

// Elementwise differentiable operations.
//
// A unary operation y = f(x) applied elementwise has
//   JVP:                ẏ = f′(x) ẋ
//   pullback:           x̄ = f′(x) ȳ
//   tangent of pullback ẋ̄ = f′(x) ẏ̄ + f″(x) ẋ ȳ
// (differentiate x̄ = f′(x) ȳ along the tangent direction). Every unary operation below is
// this rule with its own f, f′ and f″.

extension Tape {
    /// Records an elementwise unary function from its value, first and second derivative.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func elementwise(
        _ x: Variable<Scalar>, value f: (Scalar) -> Scalar, derivative df: (Scalar) -> Scalar,
        secondDerivative d2f: @escaping (Scalar) -> Scalar
    ) -> Variable<Scalar> {
        let input = x.value
        let y = input.map(f)
        let slope = input.map(df)
        let tangent = x.tangent.map { slope.zip($0, *) }
        let node = x.node
        return record(value: y, tangent: tangent, inputs: [x]) { adjoint, adjointTangent, tape in
            let inputAdjoint = slope.zip(adjoint, *)
            var inputAdjointTangent: Tensor<Scalar>? = adjointTangent.map { slope.zip($0, *) }
            if tape.tracksTangents, let xDot = node.tangent {
                let curvatureTerm = input.zip(xDot, adjoint) { x, xd, a in d2f(x) * xd * a }
                inputAdjointTangent = addTangents(inputAdjointTangent, curvatureTerm)
            }
            tape.accumulate(node, adjoint: inputAdjoint, tangent: inputAdjointTangent)
        }
    }

    func checkSameTape(_ variables: Variable<Scalar>..., operation: String) throws {
        for v in variables where v.tape !== self {
            throw TensorError.invalidArgument(operation: operation, reason: "operands belong to different tapes")
        }
    }
}

/// `eˣ`, elementwise.
public func exp<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { .exp($0) }, derivative: { .exp($0) }, secondDerivative: { .exp($0) })
}

/// Natural logarithm, elementwise (`NaN`/`−∞` outside the domain are caught where values leave
/// the engine, see ``VectorObjective``).
public func log<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { .log($0) }, derivative: { 1 / $0 }, secondDerivative: { -1 / ($0 * $0) })
}

/// Square root, elementwise.
public func sqrt<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(
        x, value: { $0.squareRoot() }, derivative: { 1 / (2 * $0.squareRoot()) },
        secondDerivative: { -1 / (4 * $0 * $0.squareRoot()) })
}

/// `xᵖ` for a constant exponent `p`, elementwise.
public func pow<S>(_ x: Variable<S>, _ p: S) -> Variable<S> {
    x.tape.elementwise(
        x, value: { .pow($0, p) }, derivative: { p * .pow($0, p - 1) },
        secondDerivative: { p * (p - 1) * .pow($0, p - 2) })
}

/// `xᵏ` for an integer exponent `k`, elementwise (exact for negative `x`).
public func pow<S>(_ x: Variable<S>, _ k: Int) -> Variable<S> {
    func power(_ v: S, _ e: Int) -> S {
        if e < 0 { return 1 / power(v, -e) }
        var result: S = 1
        for _ in 0..<e { result *= v }
        return result
    }
    return x.tape.elementwise(
        x, value: { power($0, k) }, derivative: { S(k) * power($0, k - 1) },
        secondDerivative: { S(k * (k - 1)) * power($0, k - 2) })
}

/// `x²`, elementwise (exact for negative `x`, unlike `pow` with a real exponent).
public func square<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { $0 * $0 }, derivative: { 2 * $0 }, secondDerivative: { _ in 2 })
}

/// `sin x`, elementwise.
public func sin<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { .sin($0) }, derivative: { .cos($0) }, secondDerivative: { -.sin($0) })
}

/// `cos x`, elementwise.
public func cos<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { .cos($0) }, derivative: { -.sin($0) }, secondDerivative: { -.cos($0) })
}

/// `max(x, 0)`, elementwise; the derivative at 0 is taken as 0 (as in PyTorch), the second
/// derivative is 0 everywhere.
public func relu<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { Swift.max($0, 0) }, derivative: { $0 > 0 ? 1 : 0 }, secondDerivative: { _ in 0 })
}

/// Hyperbolic tangent, elementwise: `tanh′ = 1 − tanh²`, `tanh″ = −2 tanh (1 − tanh²)`.
public func tanh<S>(_ x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(
        x, value: { .tanh($0) }, derivative: { let t = S.tanh($0); return 1 - t * t },
        secondDerivative: { let t = S.tanh($0); return -2 * t * (1 - t * t) })
}

/// Logistic sigmoid `σ(x) = 1 / (1 + e⁻ˣ)`, elementwise: `σ′ = σ(1 − σ)`, `σ″ = σ′(1 − 2σ)`.
public func sigmoid<S>(_ x: Variable<S>) -> Variable<S> {
    func sigma(_ v: S) -> S { v >= 0 ? 1 / (1 + .exp(-v)) : S.exp(v) / (1 + .exp(v)) }
    return x.tape.elementwise(
        x, value: sigma, derivative: { let s = sigma($0); return s * (1 - s) },
        secondDerivative: { let s = sigma($0); return s * (1 - s) * (1 - 2 * s) })
}

// MARK: - Scalar forms

/// `x + c`, elementwise.
public func + <S>(x: Variable<S>, c: S) -> Variable<S> {
    x.tape.elementwise(x, value: { $0 + c }, derivative: { _ in 1 }, secondDerivative: { _ in 0 })
}

/// `c + x`, elementwise.
public func + <S>(c: S, x: Variable<S>) -> Variable<S> { x + c }

/// `x − c`, elementwise.
public func - <S>(x: Variable<S>, c: S) -> Variable<S> { x + (-c) }

/// `c − x`, elementwise.
public func - <S>(c: S, x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(x, value: { c - $0 }, derivative: { _ in -1 }, secondDerivative: { _ in 0 })
}

/// `c · x`, elementwise.
public func * <S>(x: Variable<S>, c: S) -> Variable<S> {
    x.tape.elementwise(x, value: { $0 * c }, derivative: { _ in c }, secondDerivative: { _ in 0 })
}

/// `c · x`, elementwise.
public func * <S>(c: S, x: Variable<S>) -> Variable<S> { x * c }

/// `x / c`, elementwise.
public func / <S>(x: Variable<S>, c: S) -> Variable<S> { x * (1 / c) }

/// `c / x`, elementwise.
public func / <S>(c: S, x: Variable<S>) -> Variable<S> {
    x.tape.elementwise(
        x, value: { c / $0 }, derivative: { -c / ($0 * $0) }, secondDerivative: { 2 * c / ($0 * $0 * $0) })
}

/// `−x`, elementwise.
public prefix func - <S>(x: Variable<S>) -> Variable<S> { x * -1 }

// MARK: - Binary operations

extension Tape {
    /// Brings two operands to a common shape: equal shapes pass through; an operand with a
    /// single element is broadcast to the other's shape (its pullback sums).
    func broadcastPair(
        _ a: Variable<Scalar>, _ b: Variable<Scalar>, operation: String
    ) throws -> (Variable<Scalar>, Variable<Scalar>) {
        try checkSameTape(a, b, operation: operation)
        if a.shape == b.shape { return (a, b) }
        if a.value.count == b.value.count && a.value.count == 1 { return (a, try reshape(b, a.shape)) }
        if b.value.count == 1 { return (a, broadcastScalar(b, to: a.shape)) }
        if a.value.count == 1 { return (broadcastScalar(a, to: b.shape), b) }
        throw TensorError.shapeMismatch(operation: operation, shapes: [a.shape, b.shape])
    }

    /// A single-element variable repeated to `shape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func broadcastScalar(_ x: Variable<Scalar>, to shape: [Int]) -> Variable<Scalar> {
        let originalShape = x.shape
        let node = x.node
        return record(
            value: x.value.broadcastScalar(to: shape), tangent: x.tangent.map { $0.broadcastScalar(to: shape) },
            inputs: [x]
        ) { adjoint, adjointTangent, tape in
            tape.accumulate(
                node, adjoint: Tensor(uncheckedShape: originalShape, scalars: [adjoint.sumOfElements()]),
                tangent: adjointTangent.map { Tensor(uncheckedShape: originalShape, scalars: [$0.sumOfElements()]) })
        }
    }
}

/// `a + b`, elementwise; a single-element operand broadcasts.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
public func + <S>(a: Variable<S>, b: Variable<S>) throws -> Variable<S> {
    let (a, b) = try a.tape.broadcastPair(a, b, operation: "add")
    let (aNode, bNode) = (a.node, b.node)
    return a.tape.record(value: a.value.zip(b.value, +), tangent: addTangents(a.tangent, b.tangent), inputs: [a, b]) {
        adjoint, adjointTangent, tape in
        tape.accumulate(aNode, adjoint: adjoint, tangent: adjointTangent)
        tape.accumulate(bNode, adjoint: adjoint, tangent: adjointTangent)
    }
}

/// `a − b`, elementwise; a single-element operand broadcasts.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
public func - <S>(a: Variable<S>, b: Variable<S>) throws -> Variable<S> {
    let (a, b) = try a.tape.broadcastPair(a, b, operation: "subtract")
    let tangent = addTangents(a.tangent, b.tangent.map { $0.scaled(by: -1) })
    let (aNode, bNode) = (a.node, b.node)
    return a.tape.record(value: a.value.zip(b.value, -), tangent: tangent, inputs: [a, b]) {
        adjoint, adjointTangent, tape in
        tape.accumulate(aNode, adjoint: adjoint, tangent: adjointTangent)
        tape.accumulate(bNode, adjoint: adjoint.scaled(by: -1), tangent: adjointTangent?.scaled(by: -1))
    }
}

/// `a ⊙ b`, elementwise (Hadamard) product; a single-element operand broadcasts.
///
/// JVP `ż = ȧ b + a ḃ`; pullback `ā = z̄ b`, `b̄ = z̄ a`; tangents `ǡ = ż̄ b + z̄ ḃ`,
/// `ḃ̄ = ż̄ a + z̄ ȧ`.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
public func * <S>(a: Variable<S>, b: Variable<S>) throws -> Variable<S> {
    let (a, b) = try a.tape.broadcastPair(a, b, operation: "multiply")
    let (av, bv) = (a.value, b.value)
    let tangent = addTangents(a.tangent.map { $0.zip(bv, *) }, b.tangent.map { av.zip($0, *) })
    let (aNode, bNode) = (a.node, b.node)
    return a.tape.record(value: av.zip(bv, *), tangent: tangent, inputs: [a, b]) { adjoint, adjointTangent, tape in
        let aDot = aNode.tangent, bDot = bNode.tangent
        if tape.requiresAdjoint(aNode) {
            let t = addTangents(adjointTangent.map { $0.zip(bv, *) }, bDot.map { adjoint.zip($0, *) })
            tape.accumulate(aNode, adjoint: adjoint.zip(bv, *), tangent: t)
        }
        if tape.requiresAdjoint(bNode) {
            let t = addTangents(adjointTangent.map { $0.zip(av, *) }, aDot.map { adjoint.zip($0, *) })
            tape.accumulate(bNode, adjoint: adjoint.zip(av, *), tangent: t)
        }
    }
}

/// `a / b`, elementwise; a single-element operand broadcasts. Computed as `a ⊙ (1/b)`, so
/// its derivatives follow from the product rule and those of `1/b`.
/// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
public func / <S>(a: Variable<S>, b: Variable<S>) throws -> Variable<S> {
    let (a, b) = try a.tape.broadcastPair(a, b, operation: "divide")
    return try a * (1 / b)
}
