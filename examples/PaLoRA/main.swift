// PaLoRA on MultiMNIST through the library (until `pareto train/expand --method palora` exist):
// as expansion of a trained checkpoint (PaLoRA §5.4: base frozen, adapters only, the original
// run's final learning rate) or from scratch (§5.1), then the family evaluation of issue 11
// (the 11 preferences, HV on test loss w.r.t. (1, 1) and on accuracy w.r.t. (0, 0), validity,
// Spearman, pseudo-preferences) and one safetensors file with base and adapters.
//
//     swift run -c release palora-example --from ls.safetensors [--scale=A] [--rays=M] [--epochs=E]
//         [--adapt=encoder|all] [--schedule=annealed|paper|fixed|dirichlet] [--orthogonality=W]
//         [--adapter-lr-factor=F] [--train-size=N] [--seed=S] [--out=DIR]
//     swift run -c release palora-example --scratch [--epochs=10] [--freeze-after=E] …
//
// Data as `pareto train`: MultiMNIST composites from the default MNIST selection.
import Foundation
import ParetoKit

var options: [String: String] = [:]
var positional: [String] = []
for argument in CommandLine.arguments.dropFirst() {
    if argument.hasPrefix("--") {
        let parts = argument.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
        options[parts[0]] = parts.count > 1 ? parts[1] : ""
    } else {
        positional.append(argument)
    }
}
let known: Set = ["from", "scratch", "scale", "rays", "epochs", "adapt", "schedule", "orthogonality", "train-size", "seed", "out", "freeze-after",
             "adapter-lr-factor"]
if let unknown = options.keys.first(where: { !known.contains($0) }) {
    FileHandle.standardError.write(Data("unknown option --\(unknown)\n".utf8))
    exit(2)
}
if options["from"] == "", let path = positional.first { options["from"] = path }
let parsed = options

func number(_ key: String, _ fallback: Double) -> Double { parsed[key].flatMap(Double.init) ?? fallback }

do {
    let rays = Int(number("rays", 5))
    let seed = UInt64(number("seed", 1))
    let adapters = AdapterConfiguration(scale: number("scale", 1), placement: AdapterPlacement(rawValue: options["adapt"] ?? "encoder") ?? .encoder)
    let schedule: PreferenceSchedule
    switch options["schedule"] ?? "annealed" {
    case "paper": schedule = .annealed(AnnealedRays(base: EvenRays(count: rays), convention: .paper))
    case "fixed": schedule = .deterministic(EvenRays(count: rays))
    case "dirichlet": schedule = .dirichlet(DirichletRays(count: rays))
    default: schedule = .publicDefault(rays: rays)
    }
    let model = MultiLeNet()
    var configuration: PaLoRATrainingConfiguration
    var base: [Float]? = nil
    var checkpointLoss: [Double]? = nil
    if let from = options["from"] {
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: from), model: model)
        configuration = try PaLoRATrainingConfiguration.expansion(
            of: checkpoint.metadata, adapters: adapters, schedule: schedule, epochs: Int(number("epochs", 4)),
            adapterLearningRateFactor: number("adapter-lr-factor", 1), seed: seed)
        base = checkpoint.parameters(as: Float.self)
        checkpointLoss = checkpoint.metadata.metrics?.testLoss
    } else {
        configuration = PaLoRATrainingConfiguration(
            adapters: adapters, schedule: schedule, epochs: Int(number("epochs", 10)), seed: seed,
            freezeBaseAfter: options["freeze-after"].flatMap(Int.init))
    }
    if let weight = options["orthogonality"].flatMap(Double.init) { configuration.orthogonality = OrthogonalityRegularizer(weight: weight) }

    let selection = try DataLocator(dataDirectory: nil).select(.mnist)
    FileHandle.standardError.write(Data("data: \(selection.description)\n".utf8))
    let (train, test) = try selection.multiDigitSplits(trainCount: Int(number("train-size", 20_000)), seed: 1)
    let trainer = try PaLoRATrainer(configuration: configuration) { (batch: MultiDigitBatch<Float>) in
        try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
    }
    let overhead = Double(trainer.adapters.parameterCount) / Double(model.layout.parameterCount)
    print("PaLoRA \(configuration.trainsBase ? "from scratch" : "expansion"): r = \(adapters.rank), a = \(adapters.scale), "
        + "\(adapters.placement.rawValue), M = \(rays), \(configuration.epochs) epochs, base lr \(configuration.learningRate), "
        + "adapter lr \(configuration.adapterLearningRate); \(trainer.adapters.parameterCount) adapter parameters "
        + String(format: "(%.1f %% of %d)", 100 * overhead, model.layout.parameterCount))
    let result = try trainer.train(on: train, from: try trainer.initialParameters(base: base), onEpoch: { record in
        print(String(format: "epoch %d  lr %.3g  base %@  step loss %.4f  %.1f s", record.epoch, record.learningRate,
                     record.trainedBase ? "trained" : "frozen", record.meanStepLoss, record.trainingSeconds))
    })
    let family = try PaLoRAFamily.evaluate(adapters: trainer.adapters, parameters: result.parameters, test: test)
    for point in family.points + family.pseudoPreferences {
        print(String(format: "λ = (%5.2f, %5.2f)  test loss %.4f %.4f  accuracy %.4f %.4f", point.preference[0], point.preference[1],
                     point.test.loss[0], point.test.loss[1], point.test.accuracy[0], point.test.accuracy[1]))
    }
    if let checkpointLoss {
        print(String(format: "checkpoint alone: test loss %.4f %.4f, HV(loss; (1,1)) %.5f", checkpointLoss[0], checkpointLoss[1],
                     try Hypervolume.compute([checkpointLoss], reference: [1, 1])))
    }
    print(String(format: "family: HV(loss; (1,1)) %.5f, HV(accuracy; (0,0)) %.5f, non-dominated %d/11 (loss), %d/11 (accuracy)",
                 family.lossHypervolume, family.accuracyHypervolume, family.nonDominatedByLoss, family.nonDominatedByAccuracy))
    print(String(format: "Spearman(λ₁, loss₁) %.3f, Spearman(λ₁, loss₂) %.3f", family.spearmanLoss[0], family.spearmanLoss[1]))
    let cosines = try trainer.adapters.taskCosineSimilarities(adapters: result.parameters.adapters)
    print("cosine(ΔW₁, ΔW₂) per layer \(trainer.adapters.layers.map(\.name)): \(cosines.map { String(format: "%.3f", $0) })")
    let seconds = result.history.map(\.trainingSeconds).reduce(0, +) / Double(result.history.count)
    print(String(format: "%.1f s per epoch", seconds))
    if let out = options["out"] {
        let directory = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = try PaLoRACheckpoint(
            adapters: trainer.adapters, parameters: result.parameters, options: PaLoRAFileOptions(configuration), family: family,
            metadata: CheckpointMetadata(tasks: ["left digit", "right digit"], seed: seed))
        try file.write(to: directory.appendingPathComponent("palora.safetensors"))
        print("wrote \(directory.appendingPathComponent("palora.safetensors").path)")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
