import ArgumentParser
import Foundation
import ParetoKit

/// `pareto evaluate`: per-task test loss and accuracy of a checkpoint (`pareto evaluate FILE`),
/// or objectives, Jacobian and (optionally) a weighted Hessian-vector product of an analytic
/// problem at a point (`pareto evaluate --problem NAME --at …`).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint on test data, or an analytic problem at a point (objectives, Jacobian, weighted HVP).",
        discussion: """
            Checkpoints: pareto evaluate ls.safetensors --dataset multimnist --json
            prints {"accuracy": [a1, a2], "images": M, "loss": [l1, l2]} (test composites built as by pareto train, with the checkpoint's seed and --test-size, default all test digits).
            With --stationarity also the Pareto stationarity on the training composites (--train-size, default all): {"stationarity": {"relative": r, "absolute": ‖c‖, "weights": α*, "gradient_norms": […], "gradient_cosines": [[…]], "gradient_norms_by_tensor": {name: […]}, "train_loss": […], "train_images": N}}, the measure pareto expand checks its seed against.

            Analytic problems: pareto evaluate --problem zdt2 --dimension 3 --at 0.5,0,0 --weights 0.5,0.5 --along 1,0,0 --json
            prints {"hvp": […], "jacobian": [[…], […]], "objectives": […]}.
            """)

    @Argument(help: "A safetensors checkpoint of a multi-task network (\(ModelRegistry.names.joined(separator: ", "))), instead of --problem.")
    var file: String?

    @Option(help: "Analytic problem: \(Problems.names.joined(separator: ", ")).")
    var problem: String?

    @Option(parsing: .unconditional, help: "Number of variables n for the ZDT family (default: pymoo's).")
    var dimension: Int?

    @Option(parsing: .unconditional, help: "The point x1,…,xn (with --problem).")
    var at: RealList?

    @OptionGroup(title: "Checkpoints: data")
    var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: "Checkpoint: seed of the test composites (default: the checkpoint's seed, else 1).")
    var seed: UInt64?

    @Option(help: "Checkpoint: arithmetic, float32 or float64 (default: the checkpoint's precision).")
    var precision: PrecisionName?

    @Option(parsing: .unconditional, help: "Weights α1,…,αm of the Hessian H(α) = Σ αᵢ ∇²fᵢ (with --along).")
    var weights: RealList?

    @Option(parsing: .unconditional, help: "Direction v1,…,vn of the Hessian-vector product H(α)·v (with --weights).")
    var along: RealList?

    @Flag(help: "With --problem: project an --at point outside the problem's box onto it (with a note) instead of refusing it.")
    var clip = false

    @Flag(help: "Checkpoint: also measure its Pareto stationarity on the training composites (--train-size; default all): the min-norm weights α*, ‖Σα*ᵢ∇fᵢ‖, its ratio to maxᵢ‖∇fᵢ‖ (pareto expand's seed criterion), each gradient's norm and the gradients' cosines.")
    var stationarity = false

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Output: Encodable {
        let objectives: [Double]
        let jacobian: [[Double]]
        let hvp: [Double]?
    }

    func validate() throws {
        guard (file == nil) != (problem == nil) else {
            throw ValidationError("give exactly one of a checkpoint FILE or --problem NAME")
        }
        if file != nil {
            if at != nil || weights != nil || along != nil || dimension != nil {
                throw ValidationError("--at, --weights, --along and --dimension go with --problem, not with a checkpoint")
            }
            if dataOptions.trainSize != nil && !stationarity {
                throw ValidationError("--train-size goes with --stationarity (without it evaluate builds test composites only)")
            }
            return
        }
        if dataOptions.dataset != nil || dataOptions.testSize != nil || dataOptions.data != nil || dataOptions.trainSize != nil
            || seed != nil || precision != nil || stationarity {
            throw ValidationError("--dataset, --test-size, --train-size, --data, --seed, --precision and --stationarity go with a checkpoint FILE")
        }
        guard at != nil else { throw ValidationError("--problem needs --at (the point x1,…,xn)") }
        if (weights == nil) != (along == nil) {
            throw ValidationError("--weights and --along go together (H(α)·v needs both)")
        }
    }

    func run() throws {
        if let file {
            try evaluateCheckpoint(file)
            return
        }
        guard let problem, let at else { throw ValidationError("--problem and --at are required") }
        let objective = try Problems.named(problem, dimension: dimension)
        guard at.values.count == objective.parameterCount else {
            throw ValidationError("--at has \(at.values.count) values, \(objective.name) has \(objective.parameterCount) variables")
        }
        let point = try ExpandCommand.insideBox(at.values, of: objective, clip: clip, option: "--at")
        let (values, jacobian) = try objective.valuesAndJacobian(at: point)
        var product: [Double]? = nil
        if let weights, let along {
            guard weights.values.count == objective.objectiveCount else {
                throw ValidationError("--weights has \(weights.values.count) values, \(objective.name) has \(objective.objectiveCount) objectives")
            }
            guard along.values.count == objective.parameterCount else {
                throw ValidationError("--along has \(along.values.count) values, \(objective.name) has \(objective.parameterCount) variables")
            }
            product = try objective.hessianVectorProduct(at: point, along: along.values, weights: weights.values).product
        }
        if json {
            try printJSON(Output(objectives: values, jacobian: jacobian, hvp: product))
        } else {
            print("problem:    \(objective.name) (n = \(objective.parameterCount), m = \(objective.objectiveCount))")
            print("objectives: \(formatted(values, digits: 12))")
            for (i, row) in jacobian.enumerated() { print("∇f\(i + 1):        \(formatted(row, digits: 12))") }
            if let product { print("H(α)·v:     \(formatted(product, digits: 12))") }
        }
    }

    private func evaluateCheckpoint(_ path: String) throws {
        let loaded = try Checkpoint.load(from: URL(fileURLWithPath: path))
        let (metrics, dataset, seed) = try evaluate(loaded.model, loaded.checkpoint)
        let measured = stationarity ? try measureStationarity(loaded.model, loaded.checkpoint, dataset: dataset, seed: seed) : nil
        try report(metrics, stationarity: measured, checkpoint: loaded.checkpoint, model: loaded.model, dataset: dataset, seed: seed, path: path)
    }

    /// Pareto stationarity of a network on its training objectives (Ma et al. 2020, Definition
    /// 3.1 and Prop. 4.1): `α* = argmin_{α ∈ Δ} ‖Σ αᵢ∇fᵢ‖`, `c = Σ α*ᵢ∇fᵢ`.
    struct StationarityReport: Encodable {
        /// `‖c‖ / maxᵢ ‖∇fᵢ‖`, the seed criterion of `pareto expand` (`--stationarity-tolerance`).
        let relative: Double
        /// `‖c‖`.
        let absolute: Double
        /// `α*`.
        let weights: [Double]
        /// `‖∇fᵢ‖` per task.
        let gradientNorms: [Double]
        /// `cos(∇fᵢ, ∇fⱼ)` for every pair (1 on the diagonal).
        let gradientCosines: [[Double]]
        /// `fᵢ` on the training composites.
        let trainLoss: [Double]
        /// Training composites the objectives average over.
        let trainImages: Int
        /// `‖∇fᵢ‖` per task restricted to each tensor of the layout (where a seed's
        /// non-stationarity lives: a task's own head must have a zero gradient at a Pareto
        /// stationary point with `α*ᵢ > 0`).
        let gradientNormsByTensor: [String: [Double]]

        enum CodingKeys: String, CodingKey {
            case relative, absolute, weights, gradientNorms = "gradient_norms", gradientCosines = "gradient_cosines"
            case trainLoss = "train_loss", trainImages = "train_images", gradientNormsByTensor = "gradient_norms_by_tensor"
        }
    }

    /// The checkpoint's ``StationarityReport`` on the training composites of its data set and
    /// seed, by the objectives `pareto expand` uses (its engine, chunked full-set gradients).
    private func measureStationarity<Model: MultiTaskModel>(
        _ model: Model, _ checkpoint: Checkpoint, dataset: CompositeDataset, seed: UInt64
    ) throws -> StationarityReport {
        let (train, test) = try dataOptions.selection(dataset).multiDigitSplits(
            trainCount: dataOptions.trainSize, testCount: 1, seed: seed, side: model.inputShape.last ?? 28)
        if model.defaultEngine == .fused { BLASThreads.set(1) }
        let data = try NetworkObjectiveData(model: model, train: train, test: test, hvpBatchSize: 1, factory: .engine(model, model.defaultEngine))
        let point = try EvaluatedPoint(try data.makeObjective(), at: checkpoint.parameters)
        let norms = point.jacobian.map { Vectors.norm($0) }
        let cosines = point.jacobian.indices.map { i in
            point.jacobian.indices.map { j in
                norms[i] > 0 && norms[j] > 0 ? Vectors.dot(point.jacobian[i], point.jacobian[j]) / (norms[i] * norms[j]) : 0
            }
        }
        var byTensor: [String: [Double]] = [:]
        for entry in model.layout.entries {
            byTensor[entry.name] = point.jacobian.map { Vectors.norm(Array($0[entry.offset..<entry.offset + entry.count])) }
        }
        return StationarityReport(
            relative: point.relativeStationarity, absolute: point.stationarity, weights: point.weights, gradientNorms: norms,
            gradientCosines: cosines, trainLoss: point.objectives, trainImages: train.count, gradientNormsByTensor: byTensor)
    }

    /// The JSON of a checkpoint's evaluation: ``EvaluationResult``'s fields, plus `stationarity` when measured.
    struct CheckpointOutput: Encodable {
        let result: EvaluationResult
        let stationarity: StationarityReport?

        enum CodingKeys: String, CodingKey { case stationarity }

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(stationarity, forKey: .stationarity)
        }
    }

    /// Test loss and accuracy of `checkpoint` for `model` on the composites of the data set it
    /// was trained on (or `--dataset`), with its seed (or `--seed`).
    private func evaluate<Model: MultiTaskModel>(_ model: Model, _ checkpoint: Checkpoint) throws
        -> (metrics: EvaluationResult, dataset: CompositeDataset, seed: UInt64)
    {
        let dataset = dataOptions.resolvedDataset(recordedIn: checkpoint.metadata)
        let seed = self.seed ?? checkpoint.metadata.seed ?? 1
        let selection = try dataOptions.selection(dataset)
        if let recordedData = checkpoint.metadata.other["data"], recordedData != selection.description {
            FileHandle.standardError.write(
                Data("warning: the checkpoint was trained with other data sources (\(recordedData)); its test composites may differ from these, and may even share digits with its training set\n".utf8))
        }
        let test = try selection.multiDigitSplits(
            trainCount: 0, testCount: dataOptions.testSize, seed: seed, side: model.inputShape.last ?? 28).test
        switch precision ?? (checkpoint.precision == .float32 ? .float32 : .float64) {
        case .float32: return (try Evaluation.evaluate(model: model, parameters: checkpoint.parameters(as: Float.self), on: test), dataset, seed)
        case .float64: return (try Evaluation.evaluate(model: model, parameters: checkpoint.parameters(as: Double.self), on: test), dataset, seed)
        }
    }

    private func report(
        _ result: EvaluationResult, stationarity: StationarityReport?, checkpoint: Checkpoint, model: any MultiTaskModel,
        dataset: CompositeDataset, seed: UInt64, path: String
    ) throws {
        if json {
            try printJSON(CheckpointOutput(result: result, stationarity: stationarity))
        } else {
            let metadata = checkpoint.metadata
            print("checkpoint: \(path) (\(metadata.architecture ?? model.architecture), \(checkpoint.precision.rawValue)"
                + "\(metadata.method.map { ", method \($0)" } ?? "")\(metadata.weights.map { ", weights \(formatted($0, digits: 4))" } ?? ""))")
            print("data:       \(dataset.rawValue), \(result.images) test composites (seed \(seed))")
            for (task, name) in dataset.tasks.enumerated() {
                print(String(format: "task %d (%@): loss %.4f  accuracy %.4f", task + 1, name, result.loss[task], result.accuracy[task]))
            }
            if let s = stationarity {
                print(String(format: "stationarity: relative %.4f (‖Σα*ᵢ∇fᵢ‖ %.4e ÷ maxᵢ‖∇fᵢ‖), α* %@, on %d training composites",
                             s.relative, s.absolute, formatted(s.weights, digits: 4), s.trainImages))
                let cosine = s.gradientCosines.count == 2 ? String(format: ", cos(∇f₁, ∇f₂) %.4f", s.gradientCosines[0][1]) : ""
                print("              ‖∇fᵢ‖ \(formatted(s.gradientNorms, digits: 4)), training loss \(formatted(s.trainLoss, digits: 4))\(cosine)")
            }
        }
    }
}
