import Autodiff
import LinearAlgebra
import Models

/// The multi-task loss of a PaLoRA-adapted model at a fixed preference `λ`, as a function of
/// the trainable parameters `x`: `F(x) = f(θ(λ))` with `θ(λ) = θ₀ + (a/r) Σₜ λₜ Bₜ Aₜ`
/// (PaLoRA eq. 2), where `f` is any engine for the base model (the fused MultiLeNet kernel,
/// the tape's `MultiTaskLoss`, a `ChunkedLoss`, …).
///
/// `x` is the adapter vector `p` (base frozen, ``frozenBase`` set: PaLoRA §5.4, expansion in
/// adapter space) or `[θ₀; p]` (base trained).
///
/// **Derivatives, exact.** With `g = ∇_θ(αᵀf)` at `θ(λ)` and `Ḡ` its block of an adapted
/// weight viewed as the layer's matrix (see ``AdaptedLayer``):
/// `∇_{Aₜ} = c λₜ Bₜᵀ Ḡ`, `∇_{Bₜ} = c λₜ Ḡ Aₜᵀ`, `∇_{θ₀} = g`, `c = a/r`.
/// The Hessian-vector product along `v = (v₀, Ȧ, Ḃ)` is `Jᵀ H_θ J v` plus the bilinear term
/// of `∂²W/∂A∂B`: with `θ̇ = J v = v₀ + c Σₜ λₜ (Ḃₜ Aₜ + Bₜ Ȧₜ)`, `h = H_θ(α) θ̇` (one
/// forward-over-reverse product of the base engine) and `Ḣ` its blocks,
/// `(H v)_{Aₜ} = c λₜ (Bₜᵀ Ḣ + Ḃₜᵀ Ḡ)`, `(H v)_{Bₜ} = c λₜ (Ḣ Aₜᵀ + Ḡ Ȧₜᵀ)`, `(H v)_{θ₀} = h`.
/// So a gradient costs one base gradient and an HVP one base HVP, plus small GEMMs.
///
/// Not thread-safe when the base engine is not (the fused kernel); one instance per thread.
public final class PaLoRAObjective<Inner: DifferentiableVectorFunction>: DifferentiableVectorFunction {
    /// The scalar type.
    public typealias Scalar = Inner.Scalar
    /// The base model's loss `f(θ)`.
    public let inner: Inner
    /// The adapters.
    public let adapters: PaLoRAAdapters
    /// `λ`, mixing the tasks' adapters.
    public let preference: [Double]
    /// `θ₀` when the base is frozen (then `x = p`); `nil` when `x = [θ₀; p]`.
    public let frozenBase: [Scalar]?
    /// `|p|` or `|θ₀| + |p|`.
    public let parameterCount: Int
    /// The base engine's number of objectives.
    public var objectiveCount: Int { inner.objectiveCount }
    /// The point prepared by ``prepare(at:weights:)`` (factors and base gradient `g`).
    private var prepared: (factors: [Scalar], gradient: [Scalar])?

    /// - Parameters:
    ///   - inner: `f` over the base layout's flat parameters.
    ///   - adapters: The adapters (their ``PaLoRAAdapters/baseLayout`` must be `inner`'s space).
    ///   - preference: `λ`, one value per task (any finite values: pseudo-preferences allowed).
    ///   - frozenBase: `θ₀` for adapter-only parameters, or `nil` to train `θ₀` too.
    /// - Throws: ``PaLoRAError`` on mismatched sizes or a non-finite preference or base.
    public init(inner: Inner, adapters: PaLoRAAdapters, preference: [Double], frozenBase: [Scalar]? = nil) throws {
        guard inner.parameterCount == adapters.baseLayout.parameterCount else {
            throw PaLoRAError.dimensionMismatch(
                argument: "base engine parameters", expected: adapters.baseLayout.parameterCount, actual: inner.parameterCount)
        }
        guard inner.objectiveCount == adapters.configuration.taskCount else {
            throw PaLoRAError.dimensionMismatch(
                argument: "base engine objectives", expected: adapters.configuration.taskCount, actual: inner.objectiveCount)
        }
        try adapters.checkPreference(preference)
        if let frozenBase {
            try adapters.check(frozenBase, "frozen base parameters", adapters.baseLayout.parameterCount)
            if frozenBase.contains(where: { !$0.isFinite }) { throw PaLoRAError.nonFinite("frozen base parameters") }
        }
        self.inner = inner
        self.adapters = adapters
        self.preference = preference
        self.frozenBase = frozenBase
        parameterCount = adapters.parameterCount + (frozenBase == nil ? adapters.baseLayout.parameterCount : 0)
    }

    /// Splits `x` into `(θ₀, p)`.
    /// - Throws: ``AutodiffError/dimensionMismatch(argument:expected:actual:)`` on a wrong length.
    public func split(_ x: [Scalar]) throws -> (base: [Scalar], factors: [Scalar]) {
        guard x.count == parameterCount else {
            throw AutodiffError.dimensionMismatch(argument: "parameters", expected: parameterCount, actual: x.count)
        }
        if let frozenBase { return (frozenBase, x) }
        let n = adapters.baseLayout.parameterCount
        return (Array(x[..<n]), Array(x[n...]))
    }

    /// `θ(λ)` for the trainable parameters `x`.
    public func materialize(_ x: [Scalar]) throws -> [Scalar] {
        let (base, factors) = try split(x)
        return try adapters.materialize(base: base, adapters: factors, preference: preference)
    }

    /// `Jᵀ g`: the chain rule from a base-space vector to `x`-space.
    @_specialize(where Inner == FusedMultiLeNetLoss<Float>)
    @_specialize(where Inner == FusedMultiLeNetLoss<Double>)
    private func pullBack(_ g: [Scalar], factors: [Scalar]) throws -> [Scalar] {
        var result = [Scalar](repeating: 0, count: adapters.parameterCount)
        try adapters.pullBack(gradient: g, adapters: factors, preference: preference, into: &result)
        return frozenBase == nil ? g + result : result
    }

    /// `f(θ(λ))`.
    public func values(at x: [Scalar]) throws -> [Scalar] {
        try inner.values(at: materialize(x))
    }

    /// `f(θ(λ))` and the Jacobian with respect to `x` (each base gradient row pulled back).
    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        let factors = try split(x).factors
        let (values, rows) = try inner.valuesAndJacobian(at: materialize(x))
        return (values, try rows.map { try pullBack($0, factors: factors) })
    }

    /// `f(θ(λ))` and `∇_x (αᵀ f)`.
    @_specialize(where Inner == FusedMultiLeNetLoss<Float>)
    @_specialize(where Inner == FusedMultiLeNetLoss<Double>)
    public func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        let factors = try split(x).factors
        let (values, g) = try inner.valuesAndWeightedGradient(at: materialize(x), weights: weights)
        return (values, try pullBack(g, factors: factors))
    }

    /// `f`, `∇_x(αᵀf)` and `∇²_x(αᵀf) v` (see the type's formulas).
    @_specialize(where Inner == FusedMultiLeNetLoss<Float>)
    @_specialize(where Inner == FusedMultiLeNetLoss<Double>)
    public func hessianVectorProduct(at x: [Scalar], along v: [Scalar], weights: [Scalar]) throws -> HessianVectorProduct<Scalar> {
        let (base, factors) = try split(x)
        let (baseTangent, factorTangent) = try split(v)
        let theta = try adapters.materialize(base: base, adapters: factors, preference: preference)
        let thetaDot = adapters.tangent(
            baseTangent: frozenBase == nil ? baseTangent : nil, adapters: factors, adapterTangent: factorTangent, preference: preference)
        let result = try inner.hessianVectorProduct(at: theta, along: thetaDot, weights: weights)
        let product = try combine(product: result.product, gradient: result.weightedGradient, factors: factors, factorTangent: factorTangent)
        return HessianVectorProduct(
            values: result.values, weightedGradient: try pullBack(result.weightedGradient, factors: factors), product: product)
    }

    /// `Jᵀ h` plus the bilinear term (the gradient `g` pulled back through the tangent factors).
    @_specialize(where Inner == FusedMultiLeNetLoss<Float>)
    @_specialize(where Inner == FusedMultiLeNetLoss<Double>)
    private func combine(product h: [Scalar], gradient g: [Scalar], factors: [Scalar], factorTangent: [Scalar]) throws -> [Scalar] {
        var result = try pullBack(h, factors: factors)
        var bilinear = [Scalar](repeating: 0, count: adapters.parameterCount)
        try adapters.pullBack(gradient: g, adapters: factorTangent, preference: preference, into: &bilinear)
        let offset = frozenBase == nil ? adapters.baseLayout.parameterCount : 0
        for i in 0..<bilinear.count { result[offset + i] += bilinear[i] }
        return result
    }

    fileprivate func preparePoint(at x: [Scalar], _ body: ([Scalar]) throws -> (values: [Scalar], gradient: [Scalar])) throws
        -> (values: [Scalar], gradient: [Scalar])
    {
        prepared = nil
        let factors = try split(x).factors
        let (values, g) = try body(try materialize(x))
        prepared = (factors, g)
        return (values, try pullBack(g, factors: factors))
    }

    fileprivate func preparedProduct(along v: [Scalar], _ body: ([Scalar]) throws -> [Scalar]) throws -> [Scalar] {
        guard let prepared else { throw PaLoRAError.invalidConfiguration("no prepared point: call prepare(at:weights:) first") }
        let (baseTangent, factorTangent) = try split(v)
        let thetaDot = adapters.tangent(
            baseTangent: frozenBase == nil ? baseTangent : nil, adapters: prepared.factors, adapterTangent: factorTangent,
            preference: preference)
        return try combine(product: body(thetaDot), gradient: prepared.gradient, factors: prepared.factors, factorTangent: factorTangent)
    }
}

extension PaLoRAObjective: PreparedHessianVectorProducts where Inner: PreparedHessianVectorProducts {
    /// Prepares the base engine at `θ(λ)` and keeps `g`, so that every following
    /// ``hessianVectorProduct(along:)`` runs only the base engine's tangent sweeps.
    @discardableResult
    public func prepare(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        try preparePoint(at: x) { try inner.prepare(at: $0, weights: weights) }
    }

    /// `∇²_x(αᵀf) v` at the prepared point.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` before ``prepare(at:weights:)``.
    public func hessianVectorProduct(along v: [Scalar]) throws -> [Scalar] {
        try preparedProduct(along: v) { try inner.hessianVectorProduct(along: $0) }
    }
}
