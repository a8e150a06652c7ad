import Autodiff
import LinearAlgebra

/// A multi-task classifier over a flat parameter vector: a shared trunk and one head per task.
public protocol MultiTaskModel: Sendable {
    /// Architecture name recorded in checkpoints (e.g. `"MultiLeNet"`).
    var architecture: String { get }
    /// The parameter tensors, named as in the PyTorch reference implementation.
    var layout: ParameterLayout { get }
    /// Shape of one input image, `[C, H, W]`.
    var inputShape: [Int] { get }
    /// The number of tasks (heads).
    var taskCount: Int { get }
    /// The number of classes of each head.
    var classCount: Int { get }
    /// Records the per-task logits `[N, classes]` for a batch `images [N, C, H, W]`.
    func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>]
    /// Whether ``fusedLoss(images:labels:)`` returns a kernel (default `false`).
    var hasFusedLoss: Bool { get }
    /// A hand-fused kernel of ``MultiTaskLoss`` for this architecture on one batch (the same
    /// function, differentiated without a tape), or `nil` if the architecture has none
    /// (default). See ``LossEngine``.
    func fusedLoss<S: BLASScalar>(images: Tensor<S>, labels: [[Int]]) throws -> (any DifferentiableVectorFunction<S>)?
}

extension MultiTaskModel {
    public var hasFusedLoss: Bool { false }

    public func fusedLoss<S: BLASScalar>(images: Tensor<S>, labels: [[Int]]) throws -> (any DifferentiableVectorFunction<S>)? {
        nil
    }
}

extension MultiTaskModel {
    /// Parameters drawn as PyTorch initialises `Conv2d` and `Linear` layers: weights and
    /// biases uniform in `±1/√fan_in` (Kaiming-uniform with `a = √5`), `fan_in` the number of
    /// inputs of one output unit.
    public func initialParameters<S: BLASScalar, G: RandomNumberGenerator>(using generator: inout G) -> [S] {
        layout.pytorchDefaultParameters { Double.random(in: 0..<1, using: &generator) }
    }
}

/// The multi-task objective of a model on one batch: `fᵢ(x)` = mean cross-entropy of head `i`
/// on the batch, for the flat parameters `x`.
public struct MultiTaskLoss<Model: MultiTaskModel, Scalar: BLASScalar>: VectorObjective {
    /// The model.
    public let model: Model
    /// The batch `[N, C, H, W]`.
    public let images: Tensor<Scalar>
    /// One label array (N values) per task.
    public let labels: [[Int]]

    public var parameterCount: Int { model.layout.parameterCount }
    public var objectiveCount: Int { model.taskCount }

    /// - Throws: ``ModelError`` if the images are not `[N] + inputShape` or the labels do not
    ///   match the batch and tasks.
    public init(model: Model, images: Tensor<Scalar>, labels: [[Int]]) throws {
        guard images.rank == 4, Array(images.shape.dropFirst()) == model.inputShape else {
            throw ModelError.inputShape(expected: model.inputShape, actual: images.shape)
        }
        guard labels.count == model.taskCount else {
            throw ModelError.taskCount(expected: model.taskCount, actual: labels.count)
        }
        for (task, taskLabels) in labels.enumerated() where taskLabels.count != images.shape[0] {
            throw ModelError.labelCount(task: task, expected: images.shape[0], actual: taskLabels.count)
        }
        self.model = model
        self.images = images
        self.labels = labels
    }

    public func objectives(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let logits = try model.logits(parameters: x, images: x.tape.constant(images))
        let losses = try zip(logits, labels).map { try softmaxCrossEntropy(logits: $0, labels: $1) }
        return try concatenate(losses)
    }
}
