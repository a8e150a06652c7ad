import LinearAlgebra

/// Errors raised where values leave the differentiation engine.
public enum AutodiffError: Error, Equatable, CustomStringConvertible {
    /// A non-finite value (NaN or ±∞) in `quantity` at flat `index`.
    case nonFinite(quantity: String, index: Int)
    /// A vector argument of the wrong length.
    case dimensionMismatch(argument: String, expected: Int, actual: Int)
    /// The objective produced an output of the wrong size.
    case badObjectiveOutput(expected: Int, shape: [Int])

    public var description: String {
        switch self {
        case .nonFinite(let quantity, let index):
            return "non-finite value in \(quantity) at index \(index)"
        case .dimensionMismatch(let argument, let expected, let actual):
            return "\(argument) has \(actual) components, expected \(expected)"
        case .badObjectiveOutput(let expected, let shape):
            return "objective returned shape \(shape), expected \(expected) values"
        }
    }
}

/// A twice-differentiable vector function `f: Rⁿ → Rᵐ` with the derivative products that
/// Pareto analysis needs: values, the Jacobian, weighted gradients and weighted
/// Hessian-vector products. The expansion, the optimisers and MINRES use only this interface,
/// so a tape-recorded objective (``VectorObjective``) and a hand-fused kernel are interchangeable.
public protocol DifferentiableVectorFunction<Scalar> {
    /// The scalar type of the computation.
    associatedtype Scalar: BLASScalar
    /// `n`, the number of parameters.
    var parameterCount: Int { get }
    /// `m`, the number of objectives.
    var objectiveCount: Int { get }
    /// `f(x)`.
    func values(at x: [Scalar]) throws -> [Scalar]
    /// `f(x)` and the `m × n` Jacobian, one row (gradient) per objective.
    func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]])
    /// `f(x)` and `Σ αᵢ ∇fᵢ(x)`.
    func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar])
    /// `f(x)`, `Σ αᵢ ∇fᵢ(x)` and `Σ αᵢ ∇²fᵢ(x) v`.
    func hessianVectorProduct(at x: [Scalar], along v: [Scalar], weights: [Scalar]) throws -> HessianVectorProduct<Scalar>
}

/// A function that can fix a point `(x, α)` once and then multiply many vectors by the same
/// `H(α) = Σ αᵢ ∇²fᵢ(x)` with only the tangent sweeps: what MINRES needs. For every `v`,
/// `prepare(at: x, weights: α)` followed by `hessianVectorProduct(along: v)` must give exactly
/// (bit for bit) `hessianVectorProduct(at: x, along: v, weights: α).product`.
public protocol PreparedHessianVectorProducts<Scalar>: DifferentiableVectorFunction {
    /// Runs and caches the primal sweeps at `x` with weights `α`; returns `f(x)` and `Σ αᵢ ∇fᵢ(x)`.
    @discardableResult
    func prepare(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar])
    /// `H(α) v` at the prepared point (throws if none is prepared: evaluating the function at
    /// another point may discard it).
    func hessianVectorProduct(along v: [Scalar]) throws -> [Scalar]
}

/// A differentiable vector objective `f: Rⁿ → Rᵐ` recorded on a ``Tape``.
///
/// Conformers implement ``objectives(_:)``; the extension provides values, the Jacobian
/// (all `m` gradients), and weighted Hessian-vector products `H(α) v = Σ αᵢ ∇²fᵢ(x) v` by
/// forward-over-reverse differentiation. Every result is checked for non-finite values and
/// reported with ``AutodiffError/nonFinite(quantity:index:)``.
public protocol VectorObjective: DifferentiableVectorFunction {
    /// Records `f(x)` for a flat parameter variable `x` of shape `[n]`; returns `m` values
    /// (any shape with `m` elements).
    func objectives(_ x: Variable<Scalar>) throws -> Variable<Scalar>
}

/// The results of one forward-over-reverse sweep.
public struct HessianVectorProduct<Scalar: BLASScalar> {
    /// Creates a result from its parts.
    public init(values: [Scalar], weightedGradient: [Scalar], product: [Scalar]) {
        self.values = values
        self.weightedGradient = weightedGradient
        self.product = product
    }

    /// `f(x)`, the `m` objective values.
    public var values: [Scalar]
    /// `∇(αᵀf)(x) = Σ αᵢ ∇fᵢ(x)`.
    public var weightedGradient: [Scalar]
    /// `H(α) v = Σ αᵢ ∇²fᵢ(x) v`.
    public var product: [Scalar]
}

extension VectorObjective {
    private func record(at x: [Scalar], tangent: [Scalar]?) throws -> (Tape<Scalar>, Variable<Scalar>, Variable<Scalar>) {
        guard x.count == parameterCount else {
            throw AutodiffError.dimensionMismatch(argument: "parameters", expected: parameterCount, actual: x.count)
        }
        if let tangent, tangent.count != parameterCount {
            throw AutodiffError.dimensionMismatch(argument: "direction", expected: parameterCount, actual: tangent.count)
        }
        try check(x, "parameters")
        if let tangent { try check(tangent, "direction") }
        let tape = Tape<Scalar>(tracksTangents: tangent != nil)
        let input = try tape.input(Tensor(vector: x), tangent: tangent.map { Tensor(vector: $0) })
        let output = try objectives(input)
        guard output.value.count == objectiveCount else {
            throw AutodiffError.badObjectiveOutput(expected: objectiveCount, shape: output.shape)
        }
        try check(output.value.scalars, "objective values")
        return (tape, input, output)
    }

    private func checkWeights(_ weights: [Scalar]) throws {
        guard weights.count == objectiveCount else {
            throw AutodiffError.dimensionMismatch(argument: "weights", expected: objectiveCount, actual: weights.count)
        }
        try check(weights, "weights")
    }

    private func check(_ values: [Scalar], _ quantity: String) throws {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw AutodiffError.nonFinite(quantity: quantity, index: index)
        }
    }

    /// `f(x)`.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value.
    public func values(at x: [Scalar]) throws -> [Scalar] {
        try record(at: x, tangent: nil).2.value.scalars
    }

    /// `f(x)` and the Jacobian `J = ∇f(x)ᵀ` as `m` rows of `n` (one reverse sweep per objective
    /// over a single recorded forward pass).
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient.
    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        let (tape, input, output) = try record(at: x, tangent: nil)
        var rows: [[Scalar]] = []
        for i in 0..<objectiveCount {
            var seed = [Scalar](repeating: 0, count: objectiveCount)
            seed[i] = 1
            try tape.backward(from: output, seed: Tensor(vector: seed))
            let row = tape.adjoint(of: input).scalars
            try check(row, "gradient of objective \(i + 1)")
            rows.append(row)
        }
        return (output.value.scalars, rows)
    }

    /// `f(x)` and the weighted gradient `Σ αᵢ ∇fᵢ(x)` from one forward and one reverse sweep.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient.
    public func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        try checkWeights(weights)
        let (tape, input, output) = try record(at: x, tangent: nil)
        try tape.backward(from: output, seed: Tensor(vector: weights))
        let gradient = tape.adjoint(of: input).scalars
        try check(gradient, "weighted gradient")
        return (output.value.scalars, gradient)
    }

    /// `f(x)`, `Σ αᵢ ∇fᵢ(x)` and `H(α) v = Σ αᵢ ∇²fᵢ(x) v` from one forward sweep on dual
    /// tensors (value and tangent along `v`) and one reverse sweep seeded with `α`
    /// (Pearlmutter's R-operator: the tangent of the gradient).
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value, gradient or product.
    public func hessianVectorProduct(
        at x: [Scalar], along v: [Scalar], weights: [Scalar]
    ) throws -> HessianVectorProduct<Scalar> {
        try checkWeights(weights)
        let (tape, input, output) = try record(at: x, tangent: v)
        try tape.backward(from: output, seed: Tensor(vector: weights))
        let gradient = tape.adjoint(of: input).scalars
        let product = tape.adjointTangent(of: input).scalars
        try check(gradient, "weighted gradient")
        try check(product, "Hessian-vector product")
        return HessianVectorProduct(values: output.value.scalars, weightedGradient: gradient, product: product)
    }
}

/// A ``VectorObjective`` given by a closure that records `f(x)`.
public struct ClosureObjective<Scalar: BLASScalar>: VectorObjective {
    public let parameterCount: Int
    public let objectiveCount: Int
    private let body: (Variable<Scalar>) throws -> Variable<Scalar>

    /// - Parameters:
    ///   - parameterCount: `n`.
    ///   - objectiveCount: `m`.
    ///   - body: Records `f(x)` for `x` of shape `[n]`, returning `m` values.
    public init(parameterCount: Int, objectiveCount: Int, _ body: @escaping (Variable<Scalar>) throws -> Variable<Scalar>) {
        self.parameterCount = parameterCount
        self.objectiveCount = objectiveCount
        self.body = body
    }

    public func objectives(_ x: Variable<Scalar>) throws -> Variable<Scalar> { try body(x) }
}
