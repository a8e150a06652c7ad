import ArgumentParser
import Foundation
import ParetoKit

extension TrainCommand {
    /// `pareto train --method palora …`: PaLoRA from scratch (Dimitriadis et al. §5.1): the
    /// MultiLeNet base and per-task adapters trained together with the preference schedule
    /// (or, with `--from`, starting from that checkpoint's base), then the 11 preferences
    /// evaluated; `--out` is the PaLoRA file (base, adapters, options and the family's
    /// evaluation in its metadata); `pareto expand --from FILE --at lambda=0.3` writes `θ(0.3)`.
    func trainPaLoRA() throws {
        let model = MultiLeNet()
        let start = try from.map { try Checkpoint.load(from: URL(fileURLWithPath: $0), model: model) }
        let seed = self.seed ?? start?.metadata.seed ?? 1
        var configuration = PaLoRATrainingConfiguration(
            adapters: palora.adapters, schedule: palora.preferenceSchedule, optimizer: optimizerKind, learningRate: resolvedLearningRate,
            learningRateSchedule: rateSchedule, epochs: epochs, batchSize: batchSize, seed: seed, trainsBase: true,
            freezeBaseAfter: freezeAfter)
        palora.configure(&configuration)
        let dataset = dataOptions.resolvedDataset(recordedIn: start?.metadata)
        let selection = try dataOptions.selection(dataset)
        let (train, test) = try selection.multiDigitSplits(trainCount: dataOptions.trainSize, testCount: dataOptions.testSize, seed: seed)
        BLASThreads.set(1)
        FileHandle.standardError.write(Data(
            "training PaLoRA (r = \(palora.rank), a = \(palora.scale), \(palora.adapt.rawValue), M = \(palora.rays), \(palora.schedule.rawValue)) on \(train.count) composites, testing on \(test.count)\n".utf8))
        var metadata = CheckpointMetadata(architecture: model.architecture, tasks: dataset.tasks, method: "palora", seed: seed)
        metadata.other = ["dataset": dataset.rawValue, "data": selection.description]
        if let from { metadata.other["initialized_from"] = from }
        let result = try PaLoRARun.run(
            configuration: configuration, base: start?.parameters(as: Float.self), train: train, test: test,
            dataset: dataset.name(side: 28), metadata: metadata,
            onEpoch: { record in
                FileHandle.standardError.write(Data(String(
                    format: "epoch %d/%d  lr %.3g  base %@  step loss %.4f  %.1f s\n", record.epoch, epochs, record.learningRate,
                    record.trainedBase ? "trained" : "frozen", record.meanStepLoss, record.trainingSeconds).utf8))
            })
        try result.file.write(to: URL(fileURLWithPath: out))
        PaLoRAOptions.printSummary(result)
        print("checkpoint:         \(out) (base and adapters; the model at λ: pareto expand --from \(out) --at lambda=VALUE)")
    }
}
