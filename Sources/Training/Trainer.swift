import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective

/// What happened in one optimisation step (handed to the `onStep` observer of
/// ``Trainer/train(on:testingOn:from:onStep:onEpoch:)``).
public struct TrainingStep<Scalar: BLASScalar>: Sendable {
    /// Epoch, from 1.
    public let epoch: Int
    /// Batch within the epoch, from 1.
    public let batch: Int
    /// Batches per epoch.
    public let batchCount: Int
    /// Indices (in the training set) of the batch's images.
    public let indices: [Int]
    /// The parameters before the step.
    public let parameters: [Scalar]
    /// The per-task batch losses `fᵢ(x)` before the step.
    public let losses: [Double]
    /// The task weights `cᵢ` of the step's direction (LS weights, MGDA's `α*`, RLW's draw,
    /// Chebyshev's `λᵢ wᵢ`, GradNorm's `wᵢ`, uncertainty's `exp(−sᵢ)`, MGDA-UB's `α*` on the
    /// representation, Pareto MTL's constrained weights, LDC-MTL's `∂Φ/∂Lᵢ`).
    public let weights: [Double]
    /// `d = Σ cᵢ ∇fᵢ(x)`, the gradient handed to the optimiser.
    public let direction: [Scalar]
    /// The learning rate of the step.
    public let learningRate: Double
    /// Chebyshev only: the dual weights `λ` after this step's mirror-ascent update.
    public let dualWeights: [Double]?
}

/// One epoch of a run.
public struct EpochRecord: Sendable, Equatable, Codable {
    /// Epoch, from 1.
    public var epoch: Int
    /// Learning rate of the epoch.
    public var learningRate: Double
    /// Mean per-task batch loss over the epoch (each batch weighted by its size).
    public var trainLoss: [Double]
    /// Mean task weights of the epoch's steps.
    public var meanWeights: [Double]
    /// Task weights of the last step (Chebyshev: the dual weights `λ` at the end of the epoch).
    public var lastWeights: [Double]
    /// Test metrics after the epoch (if evaluated).
    public var test: EvaluationResult?
    /// Seconds spent in the epoch's training steps.
    public var trainingSeconds: Double
    /// Seconds spent evaluating after the epoch.
    public var evaluationSeconds: Double
    /// Training images per second of the epoch's steps.
    public var imagesPerSecond: Double
}

/// The account of a training run.
public struct TrainingReport: Sendable, Equatable {
    /// The configuration used.
    public let configuration: TrainingConfiguration
    /// One record per epoch.
    public let history: [EpochRecord]
    /// Number of training images.
    public let trainImages: Int
    /// Number of test images (0 without a test set).
    public let testImages: Int

    /// The polish to stationarity after the last epoch, if one was made
    /// (``Trainer/polish(_:on:testingOn:options:chunkSize:onStep:)``).
    public internal(set) var polish: TrainingPolish? = nil

    /// Test metrics of the final parameters: after the polish if there was one, else after the last epoch.
    public var finalTest: EvaluationResult? { polish?.test ?? history.last?.test }
    /// Training images per second over all epochs (evaluation excluded).
    public var imagesPerSecond: Double {
        let seconds = history.reduce(0) { $0 + $1.trainingSeconds }
        return seconds > 0 ? Double(trainImages * history.count) / seconds : 0
    }
    /// Mean seconds per epoch of training (evaluation excluded).
    public var secondsPerEpoch: Double {
        history.isEmpty ? 0 : history.reduce(0) { $0 + $1.trainingSeconds } / Double(history.count)
    }
}

/// The trained parameters and the report.
public struct TrainingResult<Scalar: BLASScalar>: Sendable {
    /// The final parameters (in the model's ``ParameterLayout`` order).
    public let parameters: [Scalar]
    /// What happened.
    public let report: TrainingReport

    /// A checkpoint of the final parameters with metadata recording the architecture,
    /// `tasks`, method, weights, seed and final metrics; `extra` adds further keys (for example
    /// a description of the data).
    /// - Throws: ``CheckpointError``.
    public func checkpoint(model: some MultiTaskModel, tasks: [String], extra: [String: String] = [:]) throws -> Checkpoint {
        let configuration = report.configuration
        let metrics = CheckpointMetrics(
            testLoss: report.finalTest?.loss, testAccuracy: report.finalTest?.accuracy, trainLoss: report.history.last?.trainLoss,
            testImages: report.finalTest?.images, trainImages: report.trainImages, epochs: report.history.count)
        var other = extra
        other["training"] = configurationJSON(configuration)
        let metadata = CheckpointMetadata(
            architecture: model.architecture, tasks: tasks, method: configuration.method.name,
            weights: configuration.method.recordedWeights, seed: configuration.seed, metrics: metrics, other: other)
        return try Checkpoint(model: model, parameters: parameters, metadata: metadata)
    }

    /// The settings of the learned-weighting methods, as JSON fields of the checkpoint's `training` record.
    static func producerFields(_ method: TrainingMethod) -> [String] {
        switch method {
        case .gradNorm(let settings):
            return ["\"gradnorm_alpha\":\(settings.alpha)", "\"gradnorm_weight_learning_rate\":\(settings.weightLearningRate)"]
        case .paretoMTL(let settings):
            return [
                "\"preference_index\":\(settings.preferenceIndex)", "\"preference_count\":\(settings.preferenceCount)",
                "\"feasibility_steps\":\(settings.feasibilitySteps)",
            ]
        case .lossDiscrepancyControl(let settings):
            return [
                "\"ldc_penalty\":\(settings.penalty)", "\"ldc_tau\":\"\(settings.upperWeights.rawValue)\"",
                "\"ldc_normalization\":\"\(settings.normalization.rawValue)\"", "\"ldc_smoothing\":\(settings.smoothing)",
            ]
        case .uncertainty, .mgdaUpperBound, .linearScalarization, .mgda, .randomLossWeighting, .chebyshev: return []
        }
    }

    private func configurationJSON(_ configuration: TrainingConfiguration) -> String {
        var fields: [String] = [
            "\"optimizer\":\"\(configuration.optimizer.name)\"", "\"learning_rate\":\(configuration.learningRate)",
            "\"schedule\":\"\(configuration.schedule.name)\"", "\"epochs\":\(configuration.epochs)",
            "\"batch_size\":\(configuration.batchSize)", "\"precision\":\"\(Scalar.self == Float.self ? "float32" : "float64")\"",
        ]
        if case .sgd(let momentum) = configuration.optimizer { fields.append("\"momentum\":\(momentum)") }
        if case .chebyshev(_, let rate) = configuration.method { fields.append("\"dual_learning_rate\":\(rate)") }
        fields += Self.producerFields(configuration.method)
        if case .step(let every, let factor) = configuration.schedule {
            fields.append("\"step_every\":\(every)")
            fields.append("\"step_factor\":\(factor)")
        }
        return "{" + fields.sorted().joined(separator: ",") + "}"
    }
}

/// Trains a ``MultiTaskModel`` on a ``MultiDigitDataset`` by mini-batch scalarization
/// (``TrainingMethod``) with SGD or Adam.
///
/// The per-batch objective is made by a factory closure from the batch, so the engine that
/// differentiates (the tape's ``MultiTaskLoss`` or a fused kernel conforming to
/// `DifferentiableVectorFunction`) can be swapped without touching the training loop.
///
/// Each epoch `e`: the learning rate of the schedule; the batch order of
/// ``BatchSchedule`` (seed, epoch); for every batch, the objective's losses and the method's
/// direction `d`, one optimiser step along `d`; then (optionally) evaluation on the test set.
/// Every loss, direction and updated parameter vector is checked: a NaN or infinity stops the
/// run with ``TrainingError/nonFiniteLoss(epoch:batch:detail:)``.
public struct Trainer<Model: MultiTaskModel, Objective: DifferentiableVectorFunction> {
    /// The scalar type of the computation.
    public typealias Scalar = Objective.Scalar
    /// Makes the objective `f: Rⁿ → Rᵐ` (per-task mean losses) of one batch.
    public typealias ObjectiveFactory = (MultiDigitBatch<Scalar>) throws -> Objective

    /// The model (used for the parameter layout, initialisation and evaluation).
    public let model: Model
    /// The run's settings.
    public let configuration: TrainingConfiguration
    /// The per-batch objective factory.
    public let makeObjective: ObjectiveFactory

    /// A trainer with a custom per-batch objective (for example a fused engine).
    /// - Throws: ``TrainingError/invalidConfiguration(_:)``.
    public init(model: Model, configuration: TrainingConfiguration, objective: @escaping ObjectiveFactory) throws {
        try configuration.validate(taskCount: model.taskCount)
        self.model = model
        self.configuration = configuration
        self.makeObjective = objective
    }

    /// A trainer differentiating with the tape engine: ``MultiTaskLoss`` of each batch.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)``.
    public init<S: BLASScalar>(model: Model, configuration: TrainingConfiguration) throws where Objective == MultiTaskLoss<Model, S> {
        try self.init(model: model, configuration: configuration) { batch in
            try MultiTaskLoss(model: model, images: batch.images, labels: batch.labels)
        }
    }

    /// Stream tag of random loss weighting's generator (ASCII "RLWW").
    static var weightingStream: UInt64 { 0x524C_5757 << 32 }

    /// The initial parameters of the run: PyTorch's default initialisation of `Conv2d` and
    /// `Linear` layers (weights and biases uniform in `±1/√fan_in`, `fan_in` the inputs of one
    /// output unit of the preceding weight), drawn as `(2u − 1)/√fan_in` with
    /// `u = SeededGenerator(seed: seed, stream: "INIT").unitDouble()`, entry by entry in layout order.
    public func initialParameters() -> [Scalar] {
        ParameterInitialization.pytorchDefault(layout: model.layout, seed: configuration.seed)
    }

    /// Trains from `initial` (default ``initialParameters()``) on `train`, evaluating on `test`.
    /// - Parameters:
    ///   - onStep: called after every step (progress display, tests).
    ///   - onEpoch: called after every epoch.
    /// - Throws: ``TrainingError`` (empty data, wrong parameter count, non-finite loss), or the
    ///   errors of the objective factory and the model.
    public func train(
        on train: MultiDigitDataset, testingOn test: MultiDigitDataset?, from initial: [Scalar]? = nil,
        onStep: ((TrainingStep<Scalar>) -> Void)? = nil, onEpoch: ((EpochRecord) -> Void)? = nil
    ) throws -> TrainingResult<Scalar> {
        let taskCount = model.taskCount
        guard train.count > 0 else { throw TrainingError.emptyDataset("training") }
        if let test, test.count == 0 { throw TrainingError.emptyDataset("test") }
        var x = initial ?? initialParameters()
        guard x.count == model.layout.parameterCount else {
            throw TrainingError.parameterCount(expected: model.layout.parameterCount, actual: x.count)
        }
        var optimizer = OptimizerState<Scalar>(kind: configuration.optimizer, count: x.count)
        var weightGenerator = SeededGenerator(seed: configuration.seed, stream: Self.weightingStream)
        var dualWeights = [Double](repeating: 1 / Double(taskCount), count: taskCount)
        var producer = try SeedProducerState<Scalar>(configuration: configuration, model: model)
        var history: [EpochRecord] = []
        let clock = ContinuousClock()

        for epoch in 0..<configuration.epochs {
            let learningRate = configuration.schedule.learningRate(
                base: configuration.learningRate, epoch: epoch, epochs: configuration.epochs)
            let batches = try train.batches(size: configuration.batchSize, seed: configuration.seed, epoch: epoch, as: Scalar.self)
            let batchCount = batches.schedule.batchCount
            var lossSums = [Double](repeating: 0, count: taskCount)
            var weightSums = [Double](repeating: 0, count: taskCount)
            var lastWeights = [Double](repeating: 0, count: taskCount)
            let start = clock.now
            for (batchIndex, batch) in batches.enumerated() {
                let position = (epoch: epoch + 1, batch: batchIndex + 1)
                func diverged(_ detail: String) -> TrainingError {
                    .nonFiniteLoss(epoch: position.epoch, batch: position.batch, detail: detail)
                }
                let objective = try makeObjective(batch)
                guard objective.objectiveCount == taskCount, objective.parameterCount == x.count else {
                    throw TrainingError.objectiveMismatch(
                        "objective has \(objective.parameterCount) parameters and \(objective.objectiveCount) objectives, "
                            + "the model \(x.count) and \(taskCount)")
                }
                var values: [Scalar]
                var direction: [Scalar]
                var weights: [Double]
                do {
                    switch configuration.method {
                    case .linearScalarization(let fixed):
                        weights = fixed
                        (values, direction) = try objective.valuesAndWeightedGradient(at: x, weights: weights.map { Scalar($0) })
                    case .randomLossWeighting:
                        weights = TaskWeighting.flatDirichlet(count: taskCount, using: &weightGenerator)
                        (values, direction) = try objective.valuesAndWeightedGradient(at: x, weights: weights.map { Scalar($0) })
                    case .chebyshev(let preference, _):
                        weights = zip(dualWeights, preference).map { $0 * $1 }
                        (values, direction) = try objective.valuesAndWeightedGradient(at: x, weights: weights.map { Scalar($0) })
                    case .mgda:
                        let (batchValues, jacobian) = try objective.valuesAndJacobian(at: x)
                        values = batchValues
                        for (task, row) in jacobian.enumerated() {
                            if let bad = row.firstIndex(where: { !$0.isFinite }) {
                                throw diverged("non-finite gradient of task \(task + 1) at index \(bad)")
                            }
                        }
                        weights = try MinNormWeights.solve(gradients: jacobian.map { $0.map { Double($0) } }).weights
                        direction = [Scalar](repeating: 0, count: x.count)
                        for (task, row) in jacobian.enumerated() {
                            let alpha = Scalar(weights[task])
                            for i in 0..<row.count { direction[i] += alpha * row[i] }
                        }
                    case .gradNorm, .uncertainty, .mgdaUpperBound, .paretoMTL, .lossDiscrepancyControl:
                        (values, direction, weights) = try producer!.step(
                            objective: objective, at: x, batch: batch, learningRate: learningRate)
                    }
                } catch let error as AutodiffError {
                    if case .nonFinite = error { throw diverged(error.description) }
                    throw error
                }
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw diverged("loss of task \(bad + 1) is \(values[bad])")
                }
                if let bad = direction.firstIndex(where: { !$0.isFinite }) {
                    throw diverged("non-finite gradient at index \(bad)")
                }
                let losses = values.map { Double($0) }
                var updatedDual: [Double]? = nil
                if case .chebyshev(let preference, let rate) = configuration.method {
                    dualWeights = TaskWeighting.mirrorAscentStep(weights: dualWeights, preference: preference, losses: losses, rate: rate)
                    updatedDual = dualWeights
                }
                let before = x
                optimizer.step(&x, gradient: direction, learningRate: learningRate)
                if let bad = x.firstIndex(where: { !$0.isFinite }) {
                    throw diverged("parameter \(bad) became non-finite after the update")
                }
                let size = Double(batch.indices.count)
                for task in 0..<taskCount {
                    lossSums[task] += losses[task] * size
                    weightSums[task] += weights[task]
                }
                lastWeights = updatedDual ?? weights
                onStep?(
                    TrainingStep(
                        epoch: position.epoch, batch: position.batch, batchCount: batchCount, indices: batch.indices,
                        parameters: before, losses: losses, weights: weights, direction: direction, learningRate: learningRate,
                        dualWeights: updatedDual))
            }
            let trainingSeconds = Self.seconds(clock.now - start)
            var evaluation: EvaluationResult? = nil
            let evaluationStart = clock.now
            if let test, configuration.evaluatesEveryEpoch || epoch == configuration.epochs - 1 {
                do {
                    evaluation = try Evaluation.evaluate(
                        model: model, parameters: x, on: test, batchSize: configuration.evaluationBatchSize)
                } catch TrainingError.nonFiniteLoss(_, _, let detail) {
                    throw TrainingError.nonFiniteLoss(epoch: epoch + 1, batch: batchCount, detail: "evaluation: \(detail)")
                }
            }
            let record = EpochRecord(
                epoch: epoch + 1, learningRate: learningRate, trainLoss: lossSums.map { $0 / Double(train.count) },
                meanWeights: weightSums.map { $0 / Double(batchCount) }, lastWeights: lastWeights, test: evaluation,
                trainingSeconds: trainingSeconds, evaluationSeconds: Self.seconds(clock.now - evaluationStart),
                imagesPerSecond: trainingSeconds > 0 ? Double(train.count) / trainingSeconds : 0)
            history.append(record)
            onEpoch?(record)
        }
        return TrainingResult(
            parameters: x,
            report: TrainingReport(configuration: configuration, history: history, trainImages: train.count, testImages: test?.count ?? 0))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// Initial parameters for a ``ParameterLayout``.
public enum ParameterInitialization {
    /// PyTorch's default initialisation of `Conv2d` and `Linear` (`kaiming_uniform_(a=√5)` for
    /// weights, which is uniform in `±1/√fan_in`; biases uniform in `±1/√fan_in` of their
    /// layer's weight): every entry of rank ≥ 2 sets `fan_in` = product of its shape without
    /// the first dimension, and each value is `(2u − 1)/√fan_in` with `u` the next
    /// ``SeededGenerator/unitDouble()`` of `SeededGenerator(seed: seed, stream: "INIT")`.
    public static func pytorchDefault<S: BLASScalar>(layout: ParameterLayout, seed: UInt64) -> [S] {
        var generator = SeededGenerator(seed: seed, stream: 0x494E_4954 << 32)
        return layout.pytorchDefaultParameters { generator.unitDouble() }
    }
}
