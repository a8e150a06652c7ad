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
            if dataOptions.trainSize != nil { throw ValidationError("--train-size has no meaning for evaluate (it builds test composites only)") }
            return
        }
        if dataOptions.dataset != nil || dataOptions.testSize != nil || dataOptions.data != nil || dataOptions.trainSize != nil
            || seed != nil || precision != nil {
            throw ValidationError("--dataset, --test-size, --data, --seed and --precision go with a checkpoint FILE")
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
        let (values, jacobian) = try objective.valuesAndJacobian(at: at.values)
        var product: [Double]? = nil
        if let weights, let along {
            guard weights.values.count == objective.objectiveCount else {
                throw ValidationError("--weights has \(weights.values.count) values, \(objective.name) has \(objective.objectiveCount) objectives")
            }
            guard along.values.count == objective.parameterCount else {
                throw ValidationError("--along has \(along.values.count) values, \(objective.name) has \(objective.parameterCount) variables")
            }
            product = try objective.hessianVectorProduct(at: at.values, along: along.values, weights: weights.values).product
        }
        if json {
            try printJSON(Output(objectives: values, jacobian: jacobian, hvp: product))
        } else {
            print("problem:    \(objective.name) (n = \(objective.parameterCount), m = \(objective.objectiveCount))")
            print("objectives: \(formatted(values, digits: 12))")
            for (i, row) in jacobian.enumerated() { print("∇f\(i + 1):        \(formatted(row, digits: 12))") }
            if let product { print("H(α)·v:     \(formatted(product, digits: 12))") }
            if let bounds = objective.bounds,
               let i = at.values.indices.first(where: { at.values[$0] < bounds.lower[$0] || at.values[$0] > bounds.upper[$0] }) {
                print("note: x\(i + 1) = \(at.values[i]) is outside the problem's box [\(bounds.lower[i]), \(bounds.upper[i])]")
            }
        }
    }

    private func evaluateCheckpoint(_ path: String) throws {
        let loaded = try Checkpoint.load(from: URL(fileURLWithPath: path))
        let (metrics, dataset, seed) = try evaluate(loaded.model, loaded.checkpoint)
        try report(metrics, checkpoint: loaded.checkpoint, model: loaded.model, dataset: dataset, seed: seed, path: path)
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
        _ result: EvaluationResult, checkpoint: Checkpoint, model: any MultiTaskModel, dataset: CompositeDataset, seed: UInt64, path: String
    ) throws {
        if json {
            try printJSON(result)
        } else {
            let metadata = checkpoint.metadata
            print("checkpoint: \(path) (\(metadata.architecture ?? model.architecture), \(checkpoint.precision.rawValue)"
                + "\(metadata.method.map { ", method \($0)" } ?? "")\(metadata.weights.map { ", weights \(formatted($0, digits: 4))" } ?? ""))")
            print("data:       \(dataset.rawValue), \(result.images) test composites (seed \(seed))")
            for (task, name) in dataset.tasks.enumerated() {
                print(String(format: "task %d (%@): loss %.4f  accuracy %.4f", task + 1, name, result.loss[task], result.accuracy[task]))
            }
        }
    }
}
