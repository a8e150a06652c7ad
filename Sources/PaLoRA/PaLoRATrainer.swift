import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import Training

/// The trainable state of a PaLoRA model: the base `θ₀` and the adapters `p`.
public struct PaLoRAParameters<Scalar: BLASScalar>: Sendable, Equatable {
    /// `θ₀`, in the base layout.
    public var base: [Scalar]
    /// `p`, in the adapter layout.
    public var adapters: [Scalar]

    /// Parameters from their parts.
    public init(base: [Scalar], adapters: [Scalar]) {
        self.base = base
        self.adapters = adapters
    }
}

/// The optimiser states of a run (Training's ``OptimizerState``): one for `θ₀`, one for `p`.
public struct PaLoRAOptimizers<Scalar: BLASScalar>: Sendable {
    /// The base's state.
    public var base: OptimizerState<Scalar>
    /// The adapters' state.
    public var adapters: OptimizerState<Scalar>

    /// Fresh states for `parameters`.
    public init(kind: OptimizerKind, parameters: PaLoRAParameters<Scalar>) {
        base = OptimizerState(kind: kind, count: parameters.base.count)
        adapters = OptimizerState(kind: kind, count: parameters.adapters.count)
    }
}

/// What one step did.
public struct PaLoRAStepResult: Sendable, Equatable {
    /// The rays `λ_m` of the step.
    public var rays: [[Double]]
    /// `L(θ(λ_m))` per ray and task.
    public var losses: [[Double]]
    /// `R_o` before the step (`nil` without the regulariser).
    public var regularizer: Double?
    /// The step's loss `Σ_m λ_mᵀ L(θ(λ_m)) + λ_o R_o`.
    public var totalLoss: Double
}

/// One epoch of a PaLoRA run.
public struct PaLoRAEpochRecord: Sendable, Equatable, Codable {
    /// Epoch, from 1.
    public var epoch: Int
    /// The base rate of the epoch (the adapters use it × the factor).
    public var learningRate: Double
    /// Whether `θ₀` was trained.
    public var trainedBase: Bool
    /// Mean step loss `Σ_m λ_mᵀL + λ_o R_o` over the epoch's batches.
    public var meanStepLoss: Double
    /// Test metrics at the centre preference after the epoch, if evaluated.
    public var test: EvaluationResult?
    /// Seconds of the epoch's steps.
    public var trainingSeconds: Double
}

/// The trained state and its account.
public struct PaLoRATrainingResult<Scalar: BLASScalar>: Sendable {
    /// The final base and adapters.
    public let parameters: PaLoRAParameters<Scalar>
    /// The adapters' structure.
    public let adapters: PaLoRAAdapters
    /// The configuration used.
    public let configuration: PaLoRATrainingConfiguration
    /// One record per epoch.
    public let history: [PaLoRAEpochRecord]
}

/// Trains PaLoRA adapters (and optionally the base) by Algorithm 1: every batch runs `M`
/// forward/backward passes, one per ray `λ_m` of the schedule at progress `τ`, each on the loss
/// `λ_mᵀ L(θ(λ_m))` with `θ(λ_m)` from eq. 2; the gradients (pulled back to `θ₀` and `p` by
/// ``PaLoRAAdapters/pullBack(gradient:adapters:preference:into:)``) are summed, the
/// regulariser's added, and one optimiser step taken (adapters at `η ×` factor).
///
/// `τ = s / S` for the `s`-th step (from 0) of `S = epochs × batches` steps, so the first step
/// uses `τ = 0` and `τ` grows every step. Batches are Training's ``BatchSchedule`` order
/// (seed, epoch); random rays come from `SeededGenerator(seed, stream "RAYS")`.
public struct PaLoRATrainer<Inner: DifferentiableVectorFunction> {
    /// The scalar type.
    public typealias Scalar = Inner.Scalar
    /// Makes the base model's loss on one batch (e.g. ``FusedMultiLeNetLoss``).
    public typealias ObjectiveFactory = (MultiDigitBatch<Scalar>) throws -> Inner

    /// The base model (layout, initialisation, evaluation).
    public let model: MultiLeNet
    /// The adapters.
    public let adapters: PaLoRAAdapters
    /// The settings.
    public let configuration: PaLoRATrainingConfiguration
    /// The per-batch objective factory.
    public let makeObjective: ObjectiveFactory

    /// - Throws: the configuration's validation errors.
    public init(configuration: PaLoRATrainingConfiguration, objective: @escaping ObjectiveFactory) throws {
        try configuration.validate()
        model = MultiLeNet()
        adapters = try PaLoRAAdapters(configuration: configuration.adapters, baseLayout: MultiLeNet.parameterLayout)
        self.configuration = configuration
        makeObjective = objective
    }

    /// One optimisation step on one batch's objective with the rays `rays`.
    /// - Throws: ``TrainingError/nonFiniteLoss(epoch:batch:detail:)`` (with `position`) for a
    ///   non-finite loss, gradient or updated parameter; ``PaLoRAError`` for bad shapes.
    @_specialize(where Inner == FusedMultiLeNetLoss<Float>)
    @_specialize(where Inner == FusedMultiLeNetLoss<Double>)
    public func step(
        _ parameters: inout PaLoRAParameters<Scalar>, optimizers: inout PaLoRAOptimizers<Scalar>, objective: Inner,
        rays: [[Double]], learningRate: Double, trainsBase: Bool, position: (epoch: Int, batch: Int) = (0, 0)
    ) throws -> PaLoRAStepResult {
        func diverged(_ detail: String) -> TrainingError {
            .nonFiniteLoss(epoch: position.epoch, batch: position.batch, detail: detail)
        }
        var adapterGradient = [Scalar](repeating: 0, count: adapters.parameterCount)
        var baseGradient = [Scalar](repeating: 0, count: trainsBase ? parameters.base.count : 0)
        var losses: [[Double]] = []
        var total = 0.0
        for ray in rays {
            let theta = try adapters.materialize(base: parameters.base, adapters: parameters.adapters, preference: ray)
            let values: [Scalar], g: [Scalar]
            do {
                (values, g) = try objective.valuesAndWeightedGradient(at: theta, weights: ray.map { Scalar($0) })
            } catch let error as AutodiffError {
                if case .nonFinite = error { throw diverged("ray \(ray): \(error.description)") }
                throw error
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw diverged("ray \(ray): loss of task \(bad + 1) is \(values[bad])") }
            if let bad = g.firstIndex(where: { !$0.isFinite }) { throw diverged("ray \(ray): non-finite gradient at \(bad)") }
            try adapters.pullBack(gradient: g, adapters: parameters.adapters, preference: ray, into: &adapterGradient)
            if trainsBase {
                g.withUnsafeBufferPointer { source in
                    baseGradient.withUnsafeMutableBufferPointer { Scalar.axpy(count: source.count, alpha: 1, x: source.baseAddress!, y: $0.baseAddress!) }
                }
            }
            let doubles = values.map { Double($0) }
            losses.append(doubles)
            total += zip(ray, doubles).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var regularizer: Double? = nil
        if let orthogonality = configuration.orthogonality, orthogonality.weight > 0 {
            let (value, gradient) = try orthogonality.valueAndGradient(adapters: adapters, parameters: parameters.adapters)
            for i in 0..<gradient.count { adapterGradient[i] += gradient[i] }
            regularizer = value
            total += orthogonality.weight * value
        }
        if let bad = adapterGradient.firstIndex(where: { !$0.isFinite }) { throw diverged("non-finite adapter gradient at \(bad)") }
        let factor = configuration.adapterLearningRateFactor ?? Double(adapters.configuration.taskCount)
        optimizers.adapters.step(&parameters.adapters, gradient: adapterGradient, learningRate: learningRate * factor)
        if trainsBase { optimizers.base.step(&parameters.base, gradient: baseGradient, learningRate: learningRate) }
        if let bad = parameters.adapters.firstIndex(where: { !$0.isFinite }) { throw diverged("adapter \(bad) became non-finite") }
        if let bad = parameters.base.firstIndex(where: { !$0.isFinite }) { throw diverged("base parameter \(bad) became non-finite") }
        return PaLoRAStepResult(rays: rays, losses: losses, regularizer: regularizer, totalLoss: total)
    }

    /// The initial state: `base` (required when the base is frozen; default PyTorch's
    /// initialisation with the run's seed, as Training's trainer) and `adapters` (default
    /// ``PaLoRAAdapters/initialAdapters(seed:)``: Kaiming A, zero B).
    /// - Throws: ``PaLoRAError`` on wrong sizes or a missing frozen base.
    public func initialParameters(base: [Scalar]? = nil, adapters initialAdapters: [Scalar]? = nil) throws -> PaLoRAParameters<Scalar> {
        if base == nil && !configuration.trainsBase {
            throw PaLoRAError.invalidConfiguration("expansion (frozen base) needs the base parameters of a checkpoint")
        }
        let base = base ?? ParameterInitialization.pytorchDefault(layout: model.layout, seed: configuration.seed)
        let factors = initialAdapters ?? adapters.initialAdapters(seed: configuration.seed)
        try adapters.check(base, "base parameters", model.layout.parameterCount)
        try adapters.check(factors, "adapter parameters", adapters.parameterCount)
        return PaLoRAParameters(base: base, adapters: factors)
    }

    /// Trains on `train`; evaluates `test` (at the centre preference) after the last epoch or
    /// every epoch.
    /// - Throws: ``TrainingError`` (empty data, divergence), ``PaLoRAError``, or the factory's errors.
    public func train(
        on train: MultiDigitDataset, testingOn test: MultiDigitDataset? = nil, from initial: PaLoRAParameters<Scalar>,
        onStep: ((PaLoRAStepResult) -> Void)? = nil, onEpoch: ((PaLoRAEpochRecord) -> Void)? = nil
    ) throws -> PaLoRATrainingResult<Scalar> {
        guard train.count > 0 else { throw TrainingError.emptyDataset("training") }
        var parameters = initial
        try adapters.check(parameters.base, "base parameters", model.layout.parameterCount)
        try adapters.check(parameters.adapters, "adapter parameters", adapters.parameterCount)
        var optimizers = PaLoRAOptimizers(kind: configuration.optimizer, parameters: parameters)
        var rayGenerator = SeededGenerator(seed: configuration.seed, stream: 0x5241_5953 << 32)
        let batchesPerEpoch = (train.count + configuration.batchSize - 1) / configuration.batchSize
        let totalSteps = configuration.epochs * batchesPerEpoch
        let centre = [Double](repeating: 1 / Double(adapters.configuration.taskCount), count: adapters.configuration.taskCount)
        var history: [PaLoRAEpochRecord] = []
        var stepIndex = 0
        let clock = ContinuousClock()
        for epoch in 0..<configuration.epochs {
            let rate = configuration.learningRateSchedule.learningRate(
                base: configuration.learningRate, epoch: epoch, epochs: configuration.epochs)
            let trainsBase = configuration.trainsBase(inEpoch: epoch)
            let batches = try train.batches(size: configuration.batchSize, seed: configuration.seed, epoch: epoch, as: Scalar.self)
            var lossSum = 0.0
            let start = clock.now
            for (index, batch) in batches.enumerated() {
                let progress = Double(stepIndex) / Double(totalSteps)
                let rays = try configuration.schedule.rays(progress: progress, using: &rayGenerator)
                let result = try step(
                    &parameters, optimizers: &optimizers, objective: makeObjective(batch), rays: rays, learningRate: rate,
                    trainsBase: trainsBase, position: (epoch + 1, index + 1))
                lossSum += result.totalLoss
                stepIndex += 1
                onStep?(result)
            }
            let (seconds, attoseconds) = (clock.now - start).components
            var evaluation: EvaluationResult? = nil
            if let test, configuration.evaluatesEveryEpoch || epoch == configuration.epochs - 1 {
                let theta = try adapters.materialize(base: parameters.base, adapters: parameters.adapters, preference: centre)
                evaluation = try Evaluation.evaluate(model: model, parameters: theta, on: test, batchSize: configuration.evaluationBatchSize)
            }
            let record = PaLoRAEpochRecord(
                epoch: epoch + 1, learningRate: rate, trainedBase: trainsBase, meanStepLoss: lossSum / Double(batchesPerEpoch),
                test: evaluation, trainingSeconds: Double(seconds) + Double(attoseconds) * 1e-18)
            history.append(record)
            onEpoch?(record)
        }
        return PaLoRATrainingResult(parameters: parameters, adapters: adapters, configuration: configuration, history: history)
    }
}
