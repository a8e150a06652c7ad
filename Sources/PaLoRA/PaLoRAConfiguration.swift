import Foundation
import Models
import Training

/// Everything that determines a PaLoRA run besides the data (PaLoRA Algorithm 1, §5.1 from
/// scratch, §5.4 as expansion; LORPMAN's regulariser and two-phase training).
public struct PaLoRATrainingConfiguration: Sendable, Equatable {
    /// Rank, scale, placement.
    public var adapters: AdapterConfiguration
    /// The rays of every step.
    public var schedule: PreferenceSchedule
    /// The update rule (Training's ``OptimizerKind``), one state for the base, one for the adapters.
    public var optimizer: OptimizerKind
    /// The base learning rate `η` (of `θ₀`).
    public var learningRate: Double
    /// The adapters' rate is `η ×` this factor; `nil` means the number of tasks (public default).
    public var adapterLearningRateFactor: Double?
    /// Per-epoch learning-rate schedule (applied to both rates).
    public var learningRateSchedule: LearningRateSchedule
    /// Passes over the training set.
    public var epochs: Int
    /// Images per mini-batch.
    public var batchSize: Int
    /// Seed of the initial parameters, batch order and random rays.
    public var seed: UInt64
    /// Whether `θ₀` is trained (from scratch); `false` freezes it (expansion, §5.4).
    public var trainsBase: Bool
    /// LORPMAN's two-phase training: with `E`, the base is trained in epochs `0..<E` only, then
    /// frozen (adapters only). `nil`: one phase.
    public var freezeBaseAfter: Int?
    /// LORPMAN's orthogonality regulariser (`nil`: none).
    public var orthogonality: OrthogonalityRegularizer?
    /// Whether to evaluate the test set at `λ = (1/T, …)` after every epoch (else after the last).
    public var evaluatesEveryEpoch: Bool
    /// Images per forward pass in evaluation.
    public var evaluationBatchSize: Int

    /// A configuration; defaults are the public MultiMNIST settings (Adam 10⁻³, batch 256,
    /// 10 epochs, `r = 1`, `a = 1`, 5 annealed rays, base trained).
    public init(
        adapters: AdapterConfiguration = AdapterConfiguration(), schedule: PreferenceSchedule = .publicDefault(rays: 5),
        optimizer: OptimizerKind = .adamDefault, learningRate: Double = 1e-3, adapterLearningRateFactor: Double? = nil,
        learningRateSchedule: LearningRateSchedule = .constant, epochs: Int = 10, batchSize: Int = 256, seed: UInt64 = 1,
        trainsBase: Bool = true, freezeBaseAfter: Int? = nil, orthogonality: OrthogonalityRegularizer? = nil,
        evaluatesEveryEpoch: Bool = false, evaluationBatchSize: Int = 500
    ) {
        self.adapters = adapters
        self.schedule = schedule
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.adapterLearningRateFactor = adapterLearningRateFactor
        self.learningRateSchedule = learningRateSchedule
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.trainsBase = trainsBase
        self.freezeBaseAfter = freezeBaseAfter
        self.orthogonality = orthogonality
        self.evaluatesEveryEpoch = evaluatesEveryEpoch
        self.evaluationBatchSize = evaluationBatchSize
    }

    /// The adapters' base learning rate, `η × factor` (factor = tasks by default).
    public var adapterLearningRate: Double { learningRate * (adapterLearningRateFactor ?? Double(adapters.taskCount)) }

    /// Whether `θ₀` is updated in epoch `epoch` (0-based).
    public func trainsBase(inEpoch epoch: Int) -> Bool {
        trainsBase && (freezeBaseAfter.map { epoch < $0 } ?? true)
    }

    /// Checks every field, through Training's own validation for the shared ones.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` or ``TrainingError/invalidConfiguration(_:)``.
    public func validate() throws {
        try adapters.validate()
        let shared = TrainingConfiguration(
            method: .linearScalarization(weights: [Double](repeating: 1, count: adapters.taskCount)), optimizer: optimizer,
            learningRate: learningRate, schedule: learningRateSchedule, epochs: epochs, batchSize: batchSize, seed: seed,
            evaluationBatchSize: evaluationBatchSize)
        try shared.validate(taskCount: adapters.taskCount)
        guard schedule.taskCount == adapters.taskCount else {
            throw PaLoRAError.invalidConfiguration("schedule has \(schedule.taskCount) tasks, the adapters \(adapters.taskCount)")
        }
        if let factor = adapterLearningRateFactor, !(factor.isFinite && factor > 0) {
            throw PaLoRAError.invalidConfiguration("adapter learning-rate factor must be positive, got \(factor)")
        }
        if let freezeBaseAfter, freezeBaseAfter < 0 || !trainsBase {
            throw PaLoRAError.invalidConfiguration("freezeBaseAfter \(freezeBaseAfter) needs a trained base and E ≥ 0")
        }
        if let orthogonality, !(orthogonality.weight.isFinite && orthogonality.weight >= 0 && orthogonality.epsilon > 0) {
            throw PaLoRAError.invalidConfiguration("orthogonality weight must be ≥ 0, got \(orthogonality.weight)")
        }
    }

    /// The settings of PaLoRA as expansion of a trained checkpoint (§5.4): base frozen, adapters
    /// only, `epochs` epochs at the original run's final learning rate
    /// (``finalLearningRate(of:)``) unless `learningRate` overrides it. By default the adapters
    /// get that rate as is (`adapterLearningRateFactor` 1: "at the original run's final
    /// learning rate"); pass `nil` for the public code's `× tasks`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` when the metadata records no rate and
    ///   none is given.
    public static func expansion(
        of metadata: CheckpointMetadata, adapters: AdapterConfiguration = AdapterConfiguration(),
        schedule: PreferenceSchedule = .publicDefault(rays: 5), epochs: Int = 4, learningRate: Double? = nil,
        adapterLearningRateFactor: Double? = 1, batchSize: Int = 256, seed: UInt64 = 1
    ) throws -> PaLoRATrainingConfiguration {
        guard let rate = learningRate ?? finalLearningRate(of: metadata) else {
            throw PaLoRAError.invalidConfiguration(
                "the checkpoint records no learning rate (metadata key 'training'); give one explicitly")
        }
        return PaLoRATrainingConfiguration(
            adapters: adapters, schedule: schedule, learningRate: rate, adapterLearningRateFactor: adapterLearningRateFactor, epochs: epochs,
            batchSize: batchSize, seed: seed, trainsBase: false)
    }

    /// The learning rate of the last epoch of the run that wrote a checkpoint, from the
    /// `training` metadata JSON that Training's `TrainingResult.checkpoint` records
    /// (`learning_rate`, `schedule`, `epochs`, `step_every`, `step_factor`):
    /// `schedule.learningRate(base:, epoch: epochs − 1, epochs:)`. `nil` if not recorded.
    public static func finalLearningRate(of metadata: CheckpointMetadata) -> Double? {
        guard let text = metadata.other["training"],
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let base = (object["learning_rate"] as? NSNumber)?.doubleValue
        else { return nil }
        let epochs = (object["epochs"] as? NSNumber)?.intValue ?? 1
        let schedule: LearningRateSchedule
        switch object["schedule"] as? String {
        case "cosine": schedule = .cosine
        case "step":
            guard let every = (object["step_every"] as? NSNumber)?.intValue,
                  let factor = (object["step_factor"] as? NSNumber)?.doubleValue else { return nil }
            schedule = .step(every: every, factor: factor)
        default: schedule = .constant
        }
        return schedule.learningRate(base: base, epoch: max(epochs - 1, 0), epochs: epochs)
    }
}
