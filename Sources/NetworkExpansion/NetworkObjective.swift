import Autodiff
import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import Training

/// Builds the multi-task loss of a network on one fixed batch as a
/// ``DifferentiableVectorFunction`` in `Float`: the seam where the differentiation engine is
/// chosen. ``engine(_:_:)`` takes the architecture's fused kernel or the tape
/// (``MultiTaskModel/loss(images:labels:engine:)``, the registry's choice by default); any
/// other kernel can be plugged in with ``init(_:)`` without touching the expansion.
public struct NetworkLossFactory: Sendable {
    private let body: @Sendable (Tensor<Float>, [[Int]]) throws -> any DifferentiableVectorFunction<Float>
    /// A name for reports (`fused`, `tape`, or `custom`).
    public let name: String

    /// A factory from a closure mapping (images `[N, C, H, W]`, labels per task) to the mean
    /// per-task cross-entropy on that batch.
    public init(name: String = "custom", _ body: @escaping @Sendable (Tensor<Float>, [[Int]]) throws -> any DifferentiableVectorFunction<Float>) {
        self.name = name
        self.body = body
    }

    /// `model`'s loss by `engine` (its ``MultiTaskModel/defaultEngine`` when `nil`: the fused
    /// kernel where the architecture has one, else the tape).
    public static func engine<Model: MultiTaskModel>(_ model: Model, _ engine: LossEngine? = nil) -> NetworkLossFactory {
        let engine = engine ?? model.defaultEngine
        return NetworkLossFactory(name: engine.rawValue) { images, labels in
            try model.loss(images: images, labels: labels, engine: engine)
        }
    }

    /// The loss on one batch.
    public func loss(images: Tensor<Float>, labels: [[Int]]) throws -> any DifferentiableVectorFunction<Float> {
        try body(images, labels)
    }
}

/// The objectives of a network expansion (the reference setting of Ma et al.'s public
/// implementation): `fᵢ(x)` = mean cross-entropy of task `i` over the whole training split,
/// values and gradients summed over chunks (``ChunkedLoss``), and Hessian-vector products
/// `H(α) v` on one fixed mini-batch of the training split drawn with a seed.
public struct NetworkObjectiveData<Model: MultiTaskModel> {
    /// The network.
    public let model: Model
    /// The training composites the objectives average over.
    public let train: MultiDigitDataset
    /// The test composites (test loss and accuracy of each accepted network).
    public let test: MultiDigitDataset
    /// Indices (in ``train``) of the HVP mini-batch, in increasing order.
    public let hvpIndices: [Int]
    /// Values and gradients on the training split, in chunks.
    public let trainingLoss: ChunkedLoss<Float>
    /// Hessian-vector products on the HVP mini-batch, in chunks.
    public let curvatureLoss: ChunkedLoss<Float>
    /// The differentiation engine's name (``NetworkLossFactory/name``).
    public let engine: String
    /// Images per chunk of the training loss (the order of the floating-point sums).
    public let chunkSize: Int
    /// Images per mini-batch of mini-batch ParetoOptimize (drawn from ``train``; a batch holds
    /// at most the whole split), or `nil` (the objective then has no mini-batches).
    public let miniBatchSize: Int?
    private let factory: NetworkLossFactory

    /// - Parameters:
    ///   - hvpBatchSize: images of the HVP mini-batch (at most the training count; the reference
    ///     uses 2,048).
    ///   - hvpSeed: seed of the mini-batch's selection (a seeded permutation's first images).
    ///   - chunkSize: images per chunk of the training loss (memory holds one chunk's tape).
    ///   - factory: the differentiation engine (default: the model's default engine,
    ///     ``NetworkLossFactory/engine(_:_:)``).
    ///   - miniBatchSize: images per mini-batch of mini-batch ParetoOptimize (at most the
    ///     training count; `nil`: no mini-batches, only full-set ParetoOptimize works).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for empty data, a wrong image size or
    ///   non-positive sizes.
    public init(
        model: Model, train: MultiDigitDataset, test: MultiDigitDataset, hvpBatchSize: Int = 2048, hvpSeed: UInt64 = 1,
        chunkSize: Int = 1024, factory: NetworkLossFactory? = nil, miniBatchSize: Int? = nil
    ) throws {
        guard train.count > 0, test.count > 0 else { throw ExpansionError.invalidOption("network expansion needs training and test composites") }
        guard hvpBatchSize >= 1, chunkSize >= 1 else {
            throw ExpansionError.invalidOption("HVP batch size and chunk size must be positive, got \(hvpBatchSize) and \(chunkSize)")
        }
        if let miniBatchSize, miniBatchSize < 1 {
            throw ExpansionError.invalidOption("the ParetoOptimize mini-batch size must be positive, got \(miniBatchSize)")
        }
        let side = model.inputShape.last ?? 0
        guard model.inputShape == [1, train.side, train.side], test.side == train.side else {
            throw ExpansionError.invalidOption(
                "\(model.architecture) takes \(model.inputShape) images, the data has side \(train.side) (train) and \(test.side) (test); build composites with side \(side)")
        }
        let factory = factory ?? .engine(model)
        self.factory = factory
        self.miniBatchSize = miniBatchSize
        self.model = model
        engine = factory.name
        self.chunkSize = chunkSize
        self.train = train
        self.test = test
        var generator = SeededGenerator(seed: hvpSeed, stream: 0x4856_5042)  // "HVPB"
        let permutation = try generator.permutation(count: train.count)
        hvpIndices = Array(permutation.prefix(min(hvpBatchSize, train.count))).sorted()
        func chunked(_ indices: [Int]) throws -> ChunkedLoss<Float> {
            let batches: [MultiDigitBatch<Float>] = try stride(from: 0, to: indices.count, by: chunkSize).map {
                try train.batch(indices[$0..<min($0 + chunkSize, indices.count)], as: Float.self)
            }
            // One function per chunk, made once (a fused kernel allocates its workspace here).
            let functions = try batches.map { try factory.loss(images: $0.images, labels: $0.labels) }
            return try ChunkedLoss<Float>(
                parameterCount: model.layout.parameterCount, objectiveCount: model.taskCount,
                chunkSizes: batches.map(\.indices.count)
            ) { c in functions[c] }
        }
        trainingLoss = try chunked(Array(0..<train.count))
        curvatureLoss = try chunked(hvpIndices)
    }

    /// A fresh ``ParetoObjective``: values and gradients from ``trainingLoss``, HVPs from
    /// ``curvatureLoss`` (Float32 arithmetic, converted at the boundary), and with
    /// ``miniBatchSize`` mini-batches of the training split (each batch's loss made by the
    /// engine's factory when the batch is drawn).
    public func makeObjective() throws -> ParetoObjective {
        let miniBatches = try miniBatchSize.map { size in
            try MiniBatchSource(count: train.count, batchSize: size) { [train, factory] indices in
                let batch: MultiDigitBatch<Float> = try train.batch(indices, as: Float.self)
                return try factory.loss(images: batch.images, labels: batch.labels)
            }
        }
        return try ParetoObjective(values: trainingLoss, curvature: curvatureLoss, miniBatches: miniBatches)
    }

    /// Test loss and accuracy per task of the network with parameters `x`.
    public func testMetrics(_ x: [Double]) throws -> EvaluationResult {
        try Evaluation.evaluate(model: model, parameters: x.map { Float($0) }, on: test)
    }
}
