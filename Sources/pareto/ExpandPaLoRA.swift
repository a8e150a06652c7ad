import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --from ls.safetensors --method palora …`: PaLoRA adapters trained around
    /// the checkpoint with its base frozen (Dimitriadis et al. §5.4), the family evaluated at
    /// the 11 preferences, the run directory written (``PaLoRARun``).
    func runPaLoRA(_ path: String) throws {
        let loaded = try Checkpoint.load(from: URL(fileURLWithPath: path))
        guard loaded.model.architecture == MultiLeNet().architecture else {
            throw ValidationError("--method palora adapts the MultiLeNet; \(path) is a \(loaded.model.architecture)")
        }
        if let reference, reference.values.count != 2 {
            throw ValidationError("--reference has \(reference.values.count) values, the network has 2 tasks")
        }
        let checkpoint = loaded.checkpoint
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let lock = try RunDirectoryLock(directory: directory)
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("front.json").path) {
            throw commandLineError(.existingRun(directory.path))
        }
        let configuration = try paloraConfiguration(expanding: checkpoint.metadata)
        let dataset = dataOptions.resolvedDataset(recordedIn: checkpoint.metadata)
        let selection = try dataOptions.selection(dataset)
        let (train, test) = try selection.multiDigitSplits(
            trainCount: dataOptions.trainSize, testCount: dataOptions.testSize, seed: network.dataSeed ?? checkpoint.metadata.seed ?? 1)
        BLASThreads.set(1)
        FileHandle.standardError.write(Data(
            "PaLoRA expansion of \(path): r = \(palora.rank), a = \(palora.scale), \(palora.adapt.rawValue), M = \(palora.rays) (\(palora.schedule.rawValue)), \(configuration.epochs) epochs at base rate \(configuration.learningRate) on \(train.count) training composites, testing on \(test.count)\n".utf8))
        var metadata = CheckpointMetadata(architecture: MultiLeNet().architecture, tasks: dataset.tasks, method: "palora", seed: seed)
        metadata.other = ["expanded_from": path, "dataset": dataset.rawValue]
        let result = try PaLoRARun.run(
            configuration: configuration, base: checkpoint.parameters(as: Float.self), train: train, test: test,
            reference: reference.map { .given($0.values) } ?? .scaled(network.referenceScale),
            dataset: dataset.name(side: 28), metadata: metadata,
            onEpoch: { record in
                FileHandle.standardError.write(Data(String(
                    format: "epoch %d  lr %.3g  step loss %.4f  %.1f s\n", record.epoch, record.learningRate, record.meanStepLoss,
                    record.trainingSeconds).utf8))
            })
        try PaLoRARun.write(result, to: directory)
        PaLoRAOptions.printSummary(result)
        print("wrote:              \(directory.path)/\(PaLoRARun.fileName), front.json, front.csv, \(PaLoRARun.evaluationName)")
    }

    /// The PaLoRA training of an expansion of the checkpoint with `metadata`, from the command line.
    func paloraConfiguration(expanding metadata: CheckpointMetadata) throws -> PaLoRATrainingConfiguration {
        var configuration = try PaLoRATrainingConfiguration.expansion(
            of: metadata, adapters: palora.adapters, schedule: palora.preferenceSchedule,
            epochs: paloraTraining.epochs ?? 4, learningRate: paloraTraining.learningRate,
            adapterLearningRateFactor: paloraTraining.adapterRateFactor ?? 1, batchSize: paloraTraining.batchSize ?? 256, seed: seed)
        palora.configure(&configuration)
        return configuration
    }
}
