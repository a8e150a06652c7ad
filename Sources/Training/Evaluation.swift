import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models

/// Per-task test metrics of a model on a data set.
public struct EvaluationResult: Sendable, Equatable, Codable {
    /// Mean cross-entropy of each task (natural log; chance level for 10 classes is ln 10 ≈ 2.303).
    public var loss: [Double]
    /// Top-1 accuracy of each task, in [0, 1].
    public var accuracy: [Double]
    /// Number of images evaluated.
    public var images: Int

    /// A result from its fields.
    public init(loss: [Double], accuracy: [Double], images: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.images = images
    }
}

/// Loss and accuracy from logits, and whole-data-set evaluation of a ``MultiTaskModel``.
public enum Evaluation {
    /// The number of rows of `logits` (`[N, C]`) whose predicted class equals the label.
    /// The prediction is the first index of the row maximum (as `torch.argmax`); a row holding
    /// a NaN counts as wrong.
    /// - Throws: ``TrainingError/objectiveMismatch(_:)`` unless `logits` is `[labels.count, C]`
    ///   with `C ≥ 1` and every label lies in `0..<C`.
    public static func correctCount<S: BLASScalar>(logits: Tensor<S>, labels: [Int]) throws -> Int {
        let (n, classes) = try checkedShape(logits, labels)
        var correct = 0
        logits.withUnsafeBufferPointer { z in
            for i in 0..<n {
                var best = 0
                var isValid = !z[i * classes].isNaN
                for c in 1..<classes {
                    let value = z[i * classes + c]
                    if value.isNaN { isValid = false }
                    if value > z[i * classes + best] { best = c }
                }
                if isValid && best == labels[i] { correct += 1 }
            }
        }
        return correct
    }

    /// `Σᵢ −log softmax(zᵢ)[yᵢ] = Σᵢ (log Σ_c exp z_ic − z_{i yᵢ})` in `Double`, with the
    /// log-sum-exp shifted by the row maximum.
    /// - Throws: as ``correctCount(logits:labels:)``.
    public static func crossEntropySum<S: BLASScalar>(logits: Tensor<S>, labels: [Int]) throws -> Double {
        let (n, classes) = try checkedShape(logits, labels)
        var total = 0.0
        logits.withUnsafeBufferPointer { z in
            for i in 0..<n {
                let row = (0..<classes).map { Double(z[i * classes + $0]) }
                let maximum = row.max()!
                let sum = row.reduce(0) { $0 + Foundation.exp($1 - maximum) }
                total += maximum + Foundation.log(sum) - row[labels[i]]
            }
        }
        return total
    }

    private static func checkedShape<S: BLASScalar>(_ logits: Tensor<S>, _ labels: [Int]) throws -> (Int, Int) {
        guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[1] >= 1 else {
            throw TrainingError.objectiveMismatch("logits of shape \(logits.shape) for \(labels.count) labels")
        }
        let classes = logits.shape[1]
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw TrainingError.objectiveMismatch("label \(bad) outside 0..<\(classes)")
        }
        return (labels.count, classes)
    }

    /// Mean per-task cross-entropy and top-1 accuracy of `model` with flat `parameters` on all
    /// of `dataset`, in forward passes of `batchSize` images (computed in `S`, accumulated in
    /// `Double`). Task `t` is scored against `labels[t]` of the data set's batches.
    ///
    /// A ``MultiLeNet`` runs the fused forward pass (`FusedMultiLeNetLoss.logits(at:)`: direct
    /// conv1, blocked conv2 GEMMs, no tape); other models run `logits(parameters:images:)` on a
    /// tape. Both feed the same logits to ``crossEntropySum(logits:labels:)`` and
    /// ``correctCount(logits:labels:)``; the logits differ only by rounding.
    /// - Throws: ``TrainingError/emptyDataset(_:)``, ``TrainingError/parameterCount(expected:actual:)``,
    ///   ``TrainingError/nonFiniteLoss(epoch:batch:detail:)`` (epoch 0) for non-finite logits,
    ///   or the model's errors.
    public static func evaluate<Model: MultiTaskModel, S: BLASScalar>(
        model: Model, parameters: [S], on dataset: MultiDigitDataset, batchSize: Int = 500
    ) throws -> EvaluationResult {
        guard dataset.count > 0 else { throw TrainingError.emptyDataset("evaluation") }
        guard parameters.count == model.layout.parameterCount else {
            throw TrainingError.parameterCount(expected: model.layout.parameterCount, actual: parameters.count)
        }
        guard batchSize >= 1 else { throw TrainingError.invalidConfiguration("evaluation batch size must be positive") }
        var losses = [Double](repeating: 0, count: model.taskCount)
        var correct = [Int](repeating: 0, count: model.taskCount)
        let parameterTensor = Tensor(vector: parameters)
        let fused = model is MultiLeNet
        var start = 0
        while start < dataset.count {
            let indices = Array(start..<min(start + batchSize, dataset.count))
            let batch: MultiDigitBatch<S> = try dataset.batch(indices, as: S.self)
            let logits: [Tensor<S>]
            if fused {
                logits = try fusedLogits(parameters: parameters, batch: batch, index: start / batchSize)
            } else {
                let tape = Tape<S>()
                logits = try model.logits(parameters: tape.constant(parameterTensor), images: tape.constant(batch.images)).map(\.value)
            }
            guard logits.count == model.taskCount, batch.labels.count == model.taskCount else {
                throw TrainingError.objectiveMismatch("\(logits.count) heads and \(batch.labels.count) label sets for \(model.taskCount) tasks")
            }
            for task in 0..<model.taskCount {
                if let bad = logits[task].scalars.firstIndex(where: { !$0.isFinite }) {
                    throw TrainingError.nonFiniteLoss(
                        epoch: 0, batch: start / batchSize, detail: "non-finite logit of task \(task + 1) at index \(bad)")
                }
                losses[task] += try crossEntropySum(logits: logits[task], labels: batch.labels[task])
                correct[task] += try correctCount(logits: logits[task], labels: batch.labels[task])
            }
            start += batchSize
        }
        let count = Double(dataset.count)
        return EvaluationResult(loss: losses.map { $0 / count }, accuracy: correct.map { Double($0) / count }, images: dataset.count)
    }

    /// The MultiLeNet's logits of one batch from the fused forward pass. A non-finite logit is
    /// reported as the tape path reports it (the fused kernel checks its values itself).
    private static func fusedLogits<S: BLASScalar>(parameters: [S], batch: MultiDigitBatch<S>, index: Int) throws -> [Tensor<S>] {
        do {
            return try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels).logits(at: parameters)
        } catch AutodiffError.nonFinite(let quantity, let position) {
            throw TrainingError.nonFiniteLoss(epoch: 0, batch: index, detail: "non-finite \(quantity) at index \(position)")
        }
    }
}
