import LinearAlgebra

/// A recording of tensor operations for reverse-mode and forward-over-reverse automatic
/// differentiation.
///
/// Every operation on ``Variable``s computes its value at once and appends a *pullback* to
/// the tape. ``backward(from:seed:)`` then runs the pullbacks in reverse order, accumulating
/// adjoints `x̄ = ∂(seedᵀ y)/∂x` (reverse mode, Griewank & Walther, *Evaluating Derivatives*,
/// ch. 3).
///
/// **Forward-over-reverse.** A tape created with `tracksTangents: true` carries, next to
/// every value `x`, a tangent `ẋ` (the directional derivative along a chosen direction
/// `v` of the inputs), computed by each operation's JVP. The backward sweep then
/// propagates adjoints *and their tangents* `(x̄, ẋ̄)`. For a scalar objective seeded with
/// `ȳ = 1`, the tangent of the input adjoint is `ẋ̄ = ∇²f(x) v`: Pearlmutter's R-operator
/// (Pearlmutter 1994, "Fast exact multiplication by the Hessian"), `jvp(grad f)` in JAX's
/// terms. No Hessian is formed and no finite differences are taken.
///
/// A tangent or adjoint tangent of `nil` stands for zero.
public final class Tape<Scalar: BLASScalar> {
    /// Whether operations compute tangents (forward-over-reverse mode).
    public let tracksTangents: Bool

    @usableFromInline var values: [Tensor<Scalar>] = []
    @usableFromInline var tangents: [Tensor<Scalar>?] = []
    @usableFromInline var requiresAdjoint: [Bool] = []
    @usableFromInline var pullbacks: [Pullback?] = []
    @usableFromInline var adjoints: [Tensor<Scalar>?] = []
    @usableFromInline var adjointTangents: [Tensor<Scalar>?] = []

    /// The pullback of one recorded operation: given the adjoint of its output (and, in
    /// forward-over-reverse mode, the adjoint's tangent), it accumulates the adjoints of its
    /// inputs through ``accumulate(_:adjoint:tangent:)``.
    public typealias Pullback = (_ adjoint: Tensor<Scalar>, _ adjointTangent: Tensor<Scalar>?, _ tape: Tape<Scalar>) throws -> Void

    /// Creates an empty tape.
    /// - Parameter tracksTangents: Record tangents for Hessian-vector products.
    public init(tracksTangents: Bool = false) {
        self.tracksTangents = tracksTangents
    }

    /// The number of recorded nodes (inputs, constants and operation results).
    public var count: Int { values.count }

    /// A differentiable input (leaf) with value `value` and, in forward-over-reverse mode,
    /// tangent `tangent` (the direction `v` of a Hessian-vector product).
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the tangent's shape differs.
    public func input(_ value: Tensor<Scalar>, tangent: Tensor<Scalar>? = nil) throws -> Variable<Scalar> {
        if let tangent, tangent.shape != value.shape {
            throw TensorError.shapeMismatch(operation: "Tape.input tangent", shapes: [value.shape, tangent.shape])
        }
        return append(value: value, tangent: tracksTangents ? tangent : nil, requiresAdjoint: true, pullback: nil)
    }

    /// A constant (data): no adjoint is computed for it and its tangent is zero.
    public func constant(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        append(value: value, tangent: nil, requiresAdjoint: false, pullback: nil)
    }

    /// Records the result of an operation. Used by operations; `pullback` must accumulate the
    /// adjoints of the operation's inputs. The pullback must capture the inputs' ``TapeNode``s
    /// (`variable.node`), never the variables: a variable holds its tape, and a tape holding a
    /// closure that holds the tape would never be freed.
    /// - Parameters:
    ///   - value: The operation's result.
    ///   - tangent: Its tangent (JVP), or `nil` for zero. Ignored unless the tape tracks tangents.
    ///   - inputs: The operation's differentiable inputs; the result needs an adjoint iff any does.
    public func record(
        value: Tensor<Scalar>, tangent: Tensor<Scalar>?, inputs: [Variable<Scalar>],
        pullback: @escaping Pullback
    ) -> Variable<Scalar> {
        let needsAdjoint = inputs.contains { requiresAdjoint[$0.id] }
        return append(
            value: value, tangent: tracksTangents ? tangent : nil, requiresAdjoint: needsAdjoint,
            pullback: needsAdjoint ? pullback : nil)
    }

    private func append(
        value: Tensor<Scalar>, tangent: Tensor<Scalar>?, requiresAdjoint needs: Bool, pullback: Pullback?
    ) -> Variable<Scalar> {
        values.append(value)
        tangents.append(tangent)
        requiresAdjoint.append(needs)
        pullbacks.append(pullback)
        return Variable(tape: self, id: values.count - 1)
    }

    /// Whether `node` needs an adjoint (it depends on an input).
    @inlinable
    public func requiresAdjoint(_ node: TapeNode<Scalar>) -> Bool { requiresAdjoint[node.id] }

    /// Adds `adjoint` (and `tangent`) to the accumulated adjoint of `node`.
    /// Contributions to nodes that need no adjoint are dropped.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func accumulate(_ node: TapeNode<Scalar>, adjoint: Tensor<Scalar>, tangent: Tensor<Scalar>?) {
        let id = node.id
        guard requiresAdjoint[id] else { return }
        assert(adjoint.shape == values[id].shape, "adjoint shape \(adjoint.shape) for value \(values[id].shape)")
        if adjoints[id] == nil {
            adjoints[id] = adjoint
        } else {
            adjoints[id]!.add(adjoint)
        }
        guard tracksTangents, let tangent else { return }
        if adjointTangents[id] == nil {
            adjointTangents[id] = tangent
        } else {
            adjointTangents[id]!.add(tangent)
        }
    }

    /// Adds `adjoint` (and `tangent`) into the flat element range starting at `offset` of the
    /// accumulated adjoint of `node` (the pullback of slicing).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func accumulate(
        _ node: TapeNode<Scalar>, offset: Int, adjoint: Tensor<Scalar>, tangent: Tensor<Scalar>?
    ) {
        let id = node.id
        guard requiresAdjoint[id] else { return }
        if adjoints[id] == nil { adjoints[id] = Tensor(uncheckedShape: values[id].shape, scalars: .init(repeating: 0, count: values[id].count)) }
        adjoints[id]!.add(adjoint, atOffset: offset)
        guard tracksTangents, let tangent else { return }
        if adjointTangents[id] == nil { adjointTangents[id] = Tensor(uncheckedShape: values[id].shape, scalars: .init(repeating: 0, count: values[id].count)) }
        adjointTangents[id]!.add(tangent, atOffset: offset)
    }

    /// Runs the reverse sweep from `output`, seeded with adjoint `seed` (same shape as the
    /// output; for a vector of objectives `f`, `seed = α` gives the gradient of `αᵀf`).
    /// The seed's tangent is zero. Afterwards ``adjoint(of:)`` and ``adjointTangent(of:)``
    /// return the accumulated adjoints. The tape can be swept again with another seed.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(from output: Variable<Scalar>, seed: Tensor<Scalar>) throws {
        guard seed.shape == output.value.shape || seed.count == output.value.count else {
            throw TensorError.shapeMismatch(operation: "backward seed", shapes: [output.value.shape, seed.shape])
        }
        adjoints = Array(repeating: nil, count: values.count)
        adjointTangents = Array(repeating: nil, count: values.count)
        guard requiresAdjoint[output.id] else { return }
        adjoints[output.id] = Tensor(uncheckedShape: output.value.shape, scalars: seed.scalars)
        for id in stride(from: output.id, through: 0, by: -1) {
            guard let pullback = pullbacks[id], let adjoint = adjoints[id] else { continue }
            // An exactly zero adjoint (and tangent) contributes nothing; skipping it also keeps an
            // infinite local derivative on a branch the seed does not reach from turning 0·∞ into NaN.
            if adjoint.isZero && (adjointTangents[id]?.isZero ?? true) { continue }
            try pullback(adjoint, adjointTangents[id], self)
            // Only leaves (which have no pullback) keep their adjoints; intermediate ones are
            // released as soon as they have been pulled back.
            if id != output.id {
                adjoints[id] = nil
                adjointTangents[id] = nil
            }
        }
    }

    /// The adjoint accumulated for `variable` by the last ``backward(from:seed:)``
    /// (zeros if it received none).
    public func adjoint(of variable: Variable<Scalar>) -> Tensor<Scalar> {
        adjoints.indices.contains(variable.id) ? (adjoints[variable.id] ?? zeros(like: variable)) : zeros(like: variable)
    }

    /// The tangent of the adjoint of `variable`: for an input `x` with tangent `v` and a
    /// seed `α`, this is `Σ αᵢ ∇²fᵢ(x) v`. Zeros if none was accumulated.
    public func adjointTangent(of variable: Variable<Scalar>) -> Tensor<Scalar> {
        adjointTangents.indices.contains(variable.id)
            ? (adjointTangents[variable.id] ?? zeros(like: variable)) : zeros(like: variable)
    }

    private func zeros(like variable: Variable<Scalar>) -> Tensor<Scalar> {
        Tensor(uncheckedShape: values[variable.id].shape, scalars: .init(repeating: 0, count: values[variable.id].count))
    }
}

/// A handle to a node of a ``Tape``: a tensor value with, in forward-over-reverse mode,
/// a tangent. Operations on variables record themselves on their tape.
public struct Variable<Scalar: BLASScalar> {
    /// The tape this variable belongs to.
    public let tape: Tape<Scalar>
    /// The index of the node on its tape.
    public let id: Int

    /// The value.
    @inlinable public var value: Tensor<Scalar> { tape.values[id] }
    /// The tangent (JVP along the input direction), or `nil` for zero.
    @inlinable public var tangent: Tensor<Scalar>? { tape.tangents[id] }
    /// The shape of the value.
    @inlinable public var shape: [Int] { tape.values[id].shape }
    /// Whether the value depends on a differentiable input.
    @inlinable public var requiresAdjoint: Bool { tape.requiresAdjoint[id] }
    /// The node, without a reference to the tape: what pullbacks capture.
    public var node: TapeNode<Scalar> { TapeNode(id: id, shape: shape, tangent: tangent) }
}

/// What a pullback needs to know about one input of its operation: its place on the tape,
/// its shape and its tangent (`nil`: zero). Unlike ``Variable`` it does not refer to the tape,
/// so the closures a tape stores do not keep the tape alive.
public struct TapeNode<Scalar: BLASScalar> {
    /// The index of the node on its tape.
    public let id: Int
    /// The shape of its value.
    public let shape: [Int]
    /// Its tangent, or `nil` for zero.
    public let tangent: Tensor<Scalar>?
}
