import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training

/// A trained PaLoRA family as a ``ParetoFamily``: the segment `θ(λ)` (Dimitriadis et al.,
/// eq. 2) over the 2-task simplex, its nodes the evaluated preferences `(λ, 1 − λ)`,
/// `λ = 0, 0.1, …, 1`, with their test losses.
public struct PaLoRASegment: ParetoFamily, Sendable {
    /// The file holding base, adapters and options.
    public let file: PaLoRACheckpoint
    public var domain: FamilyDomain { .simplex(tasks: file.adapters.configuration.taskCount) }
    public let nodes: [FamilyNode]

    /// The segment of `file` (nodes from its stored family evaluation, if any).
    public init(_ file: PaLoRACheckpoint) {
        self.file = file
        nodes = (file.family?.points ?? []).enumerated().map { index, point in
            FamilyNode(id: index, coordinate: .preference(point.preference), objectives: point.test.loss)
        }
    }

    public func parameters(at coordinate: FamilyCoordinate) throws -> [Double] {
        guard let lambda = coordinate.preference, domain.contains(coordinate) else {
            throw ExpansionError.invalidCoordinate(coordinate, domain: domain)
        }
        return try file.materialized(preference: lambda).parameters
    }

    /// The model at `λ` as a plain MultiLeNet checkpoint.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:domain:)`` off the simplex.
    public func checkpoint(at lambda: [Double]) throws -> Checkpoint {
        guard domain.contains(.preference(lambda)) else { throw ExpansionError.invalidCoordinate(.preference(lambda), domain: domain) }
        return try file.materialized(preference: lambda)
    }
}

/// Where the run's hypervolume reference comes from (the same rule as a tangent run's, so
/// PaLoRA and tangent fronts of one checkpoint are measured alike).
public enum PaLoRAReference: Sendable, Equatable {
    /// A given point.
    case given([Double])
    /// This factor times the input network's test loss (at the centre preference for a
    /// network trained from scratch).
    case scaled(Double)
}

/// The result of ``PaLoRARun/run(configuration:base:train:test:reference:dataset:onEpoch:)``.
public struct PaLoRARunResult: Sendable {
    /// The contents of `front.json`: the 11 preferences as points (with `preference`,
    /// training and test losses, test accuracy), their test losses as the curve.
    public var front: FrontFile
    /// Base, adapters, options and the family evaluation (`palora.safetensors`).
    public var file: PaLoRACheckpoint
    /// The paper's measures (HV on test loss w.r.t. (1, 1) and on accuracy w.r.t. (0, 0),
    /// validity, Spearman, pseudo-preferences).
    public var family: PaLoRAFamilyEvaluation
    /// Per-epoch records.
    public var history: [PaLoRAEpochRecord]
    /// Test loss of the input network (expansion runs), else `nil`.
    public var inputTestLoss: [Double]?
}

/// A PaLoRA run from a checkpoint (expansion, §5.4: base frozen) or from scratch (§5.1), end
/// to end: train with the preference schedule, evaluate the family, build the front file.
/// The run directory holds `palora.safetensors`, `front.json`, `front.csv` and `palora.json`
/// (the family evaluation).
public enum PaLoRARun {
    /// The file names in a run directory.
    public static let fileName = "palora.safetensors", evaluationName = "palora.json"

    /// Trains and evaluates.
    /// - Parameters:
    ///   - base: the input network (expansion), or `nil` to train from a fresh initialisation.
    ///   - dataset: the data set's name for the front file.
    /// - Throws: ``TrainingError`` (divergence), ``PaLoRAError``, evaluation errors.
    public static func run(
        configuration: PaLoRATrainingConfiguration, base: [Float]?, train: MultiDigitDataset, test: MultiDigitDataset,
        reference: PaLoRAReference = .scaled(2), dataset: String, metadata: CheckpointMetadata = CheckpointMetadata(),
        onEpoch: ((PaLoRAEpochRecord) -> Void)? = nil
    ) throws -> PaLoRARunResult {
        let trainer = try PaLoRATrainer(configuration: configuration) { (batch: MultiDigitBatch<Float>) in
            try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
        }
        let model = MultiLeNet()
        let inputTestLoss = try base.map { try Evaluation.evaluate(model: model, parameters: $0, on: test).loss }
        let result = try trainer.train(on: train, from: try trainer.initialParameters(base: base), onEpoch: onEpoch)
        let family = try PaLoRAFamily.evaluate(adapters: trainer.adapters, parameters: result.parameters, test: test, train: train)
        let centre = family.points.min { abs($0.preference[0] - 0.5) < abs($1.preference[0] - 0.5) }!.test.loss
        let referencePoint: [Double]
        switch reference {
        case .given(let point): referencePoint = point
        case .scaled(let factor): referencePoint = (inputTestLoss ?? centre).map { $0 * factor }
        }
        let points = family.points.enumerated().map { index, point in
            FrontFile.Point(
                id: index, preference: point.preference, checkpoint: fileName, objectives: point.train?.loss ?? point.test.loss,
                trainLoss: point.train?.loss, testLoss: point.test.loss, testAccuracy: point.test.accuracy)
        }
        let curve = try CurveSample.markingDominated(family.points.map {
            CurveSample(coordinate: .preference($0.preference), objectives: $0.test.loss, accuracy: $0.test.accuracy)
        })
        let testLosses = family.points.map(\.test.loss)
        let hypervolume = try Hypervolume.compute(testLosses, reference: referencePoint)
        let front = FrontFile(
            problem: dataset, architecture: model.architecture, seed: configuration.seed, method: "palora", reference: referencePoint,
            referenceRule: {
                switch reference {
                case .given: return "given"
                case .scaled(let factor): return "\(factor) × the \(base == nil ? "centre preference's" : "input network's") test loss"
                }
            }(),
            hypervolume: hypervolume, hypervolumeBefore: try inputTestLoss.map { try Hypervolume.compute([$0], reference: referencePoint) },
            hypervolumeAfter: hypervolume, pointsHypervolume: hypervolume, points: points, curve: curve.map(FrontFile.Sample.init),
            evaluations: trainingEvaluations(configuration, trainingImages: train.count), candidates: 0, rejected: 0,
            trainImages: train.count, testImages: test.count)
        let file = try PaLoRACheckpoint(
            adapters: trainer.adapters, parameters: result.parameters, options: PaLoRAFileOptions(configuration), family: family,
            metadata: metadata)
        return PaLoRARunResult(front: front, file: file, family: family, history: result.history, inputTestLoss: inputTestLoss)
    }

    /// The training's cost in Ma et al.'s unit (one mini-batch gradient evaluation = one):
    /// every step of `epochs × ⌈images / batch size⌉` evaluates `M` rays' gradients (the fused
    /// sweep of each ray); the family's evaluation afterwards is not counted, as a tangent
    /// run's curve is not.
    public static func trainingEvaluations(_ configuration: PaLoRATrainingConfiguration, trainingImages: Int) -> EvaluationCounts {
        let batches = (trainingImages + configuration.batchSize - 1) / configuration.batchSize
        return EvaluationCounts(gradients: configuration.epochs * batches * configuration.schedule.rayCount)
    }

    /// Writes the run directory (created if needed), each file atomically.
    public static func write(_ result: PaLoRARunResult, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try result.file.write(to: directory.appendingPathComponent(fileName))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(result.family), to: directory.appendingPathComponent(evaluationName))
        try result.front.write(to: directory)
    }

    /// The segment of the PaLoRA run in `directory`.
    /// - Throws: ``FrontFileError``/``CheckpointError`` for missing or invalid files.
    public static func segment(in directory: URL) throws -> PaLoRASegment {
        PaLoRASegment(try PaLoRACheckpoint.load(from: directory.appendingPathComponent(fileName)))
    }
}
