import Autodiff
import LinearAlgebra
import Models

/// The PaLoRA-adapted model on one batch recorded on the tape: `objectives(x)` forms every
/// adapted weight `W(λ) = W₀ + (a/r) Σₜ λₜ Bₜ Aₜ` (eq. 2) with tape operations (`matmul`,
/// `reshape`, scaling, `+`), packs `θ(λ)` with `concatenate` and calls the model's tape
/// `logits`, then the per-task mean cross-entropies. It differentiates everything by the
/// general engine (forward-over-reverse for HVPs), so it is the independent reference for
/// ``PaLoRAObjective``'s hand-written chain rule; it is slow and meant for tests and checks.
///
/// Parameters `x`: as ``PaLoRAObjective`` (`p` with a frozen base, or `[θ₀; p]`).
public struct PaLoRATapeObjective<Model: MultiTaskModel, Scalar: BLASScalar>: VectorObjective {
    /// The base model.
    public let model: Model
    /// The adapters (on `model.layout`).
    public let adapters: PaLoRAAdapters
    /// `λ`.
    public let preference: [Double]
    /// `θ₀` when frozen, `nil` when part of `x`.
    public let frozenBase: [Scalar]?
    /// The batch `[N, C, H, W]`.
    public let images: Tensor<Scalar>
    /// One label array per task.
    public let labels: [[Int]]

    /// `|p|`, or `|θ₀| + |p|` when the base is trained.
    public var parameterCount: Int { adapters.parameterCount + (frozenBase == nil ? model.layout.parameterCount : 0) }
    /// One objective per task.
    public var objectiveCount: Int { model.taskCount }

    /// - Throws: ``PaLoRAError`` if the adapters are not on the model's layout, or the
    ///   preference or base have the wrong size; ``ModelError`` for a bad batch.
    public init(
        model: Model, adapters: PaLoRAAdapters, preference: [Double], frozenBase: [Scalar]? = nil,
        images: Tensor<Scalar>, labels: [[Int]]
    ) throws {
        guard adapters.baseLayout == model.layout else {
            throw PaLoRAError.invalidConfiguration("the adapters are not on the layout of \(model.architecture)")
        }
        try adapters.checkPreference(preference)
        if let frozenBase { try adapters.check(frozenBase, "frozen base parameters", model.layout.parameterCount) }
        _ = try MultiTaskLoss(model: model, images: images, labels: labels)
        self.model = model
        self.adapters = adapters
        self.preference = preference
        self.frozenBase = frozenBase
        self.images = images
        self.labels = labels
    }

    /// Records `W(λ)` per adapted layer, `θ(λ)`, the logits and the per-task mean cross-entropies.
    public func objectives(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let tape = x.tape
        let baseCount = model.layout.parameterCount
        let base: Variable<Scalar>
        let factors: Variable<Scalar>
        if let frozenBase {
            base = tape.constant(Tensor(vector: frozenBase))
            factors = x
        } else {
            base = try slice(x, offset: 0, shape: [baseCount])
            factors = try slice(x, offset: baseCount, shape: [adapters.parameterCount])
        }
        let weights = try model.layout.variables(base)
        let adapterTensors = try adapters.layout.variables(factors)
        let c = adapters.configuration.scaling
        var parts: [Variable<Scalar>] = []
        for entry in model.layout.entries {
            guard let layer = adapters.layers.first(where: { $0.weightName == entry.name }) else {
                parts.append(weights[entry.name]!)
                continue
            }
            var w = try reshape(weights[entry.name]!, [layer.rows, layer.columns])
            for t in 0..<adapters.configuration.taskCount {
                let product = try matmul(adapterTensors[layer.bName(task: t)]!, adapterTensors[layer.aName(task: t)]!)
                w = try w + product * Scalar(c * preference[t])
            }
            parts.append(w)
        }
        let theta = try concatenate(parts)
        let logits = try model.logits(parameters: theta, images: tape.constant(images))
        return try concatenate(zip(logits, labels).map { try softmaxCrossEntropy(logits: $0, labels: $1) })
    }
}
