import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --from FILE.safetensors …`: ``NetworkExpansion`` of the network in the
    /// checkpoint (read once; its architecture from the registry), run directory in `--out`.
    func runNetwork(_ path: String) throws {
        let loaded = try Checkpoint.load(from: URL(fileURLWithPath: path))
        try runNetwork(loaded.model, loaded.checkpoint)
    }

    private func runNetwork<Model: MultiTaskModel>(_ model: Model, _ checkpoint: Checkpoint) throws {
        let clock = Date()
        if let reference, reference.values.count != model.taskCount {
            throw ValidationError("--reference has \(reference.values.count) values, the network has \(model.taskCount) tasks")
        }
        let dataset = dataOptions.resolvedDataset(recordedIn: checkpoint.metadata)
        let selection = try dataOptions.selection(dataset)
        let dataSeed = network.dataSeed ?? checkpoint.metadata.seed ?? 1
        let (train, test) = try selection.multiDigitSplits(
            trainCount: dataOptions.trainSize, testCount: dataOptions.testSize, seed: dataSeed, side: model.inputShape.last ?? 28)
        let engine = network.engine ?? model.defaultEngine
        // The fused kernel runs its shards on every core itself; multi-threaded BLAS outside it
        // (MINRES's vector operations) would only leave OpenBLAS's workers spinning beside it.
        if engine == .fused { BLASThreads.set(1) }
        let data = try NetworkObjectiveData(
            model: model, train: train, test: test, hvpBatchSize: network.hvpBatch, hvpSeed: seed, chunkSize: network.chunkSize,
            factory: .engine(model, engine))

        var options = NetworkExpansionOptions()
        options.method = NetworkExpansionMethod(rawValue: method.rawValue)!
        options.expansion = expansionOptions(objectiveCount: model.taskCount)
        let tolerance = options.expansion.optimize.stationarityTolerance
        options.expansion.optimize.stationarityTolerance = 0
        options.expansion.optimize.relativeStationarityTolerance = tolerance
        if network.optimizeMethod == .weightedSum {
            options.expansion.optimize.method = .weightedSum([Double](repeating: 1 / Double(model.taskCount), count: model.taskCount))
        }
        options.seedStationarityTolerance = tolerance
        options.seedSteps = network.seedSteps
        options.curveSamples = resolved(curveSamples, problem: 1001, network: 21)
        options.reference = reference?.values
        options.referenceScale = network.referenceScale
        options.weightedSumBudget = network.budget
        options.weightedSumStepSize = network.weightedSumStepSize

        FileHandle.standardError.write(Data(
            "expanding \(model.architecture) (\(model.layout.parameterCount) parameters) by \(method.rawValue) (\(engine.rawValue) engine) on \(train.count) training composites (HVPs on \(data.hvpIndices.count)), testing on \(test.count)\n".utf8))
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let expansion = try NetworkExpansion(data: data, options: options, directory: directory)
        let progress = ProgressLine()
        expansion.onProgress = { update in
            var detail = String(format: "HV %.4f", update.hypervolume)
            if let residual = update.lastResidual { detail += String(format: "  MINRES residual %.2e", residual) }
            detail += "  \(update.candidates) candidates"
            progress.update(done: update.accepted, total: update.target, unit: "points", detail: detail)
        }
        let result: NetworkExpansionResult
        do {
            result = network.resume ? try expansion.resume(input: checkpoint.parameters) : try expansion.run(from: checkpoint.parameters)
        } catch let error as NetworkRunError {
            throw commandLineError(error)
        }
        progress.finish()
        printSummary(result.front, timing: result.timing, model: model, data: data, tolerance: tolerance, directory: directory, clock: clock)
    }

    private func printSummary<Model: MultiTaskModel>(
        _ front: FrontFile, timing: FrontFile.Timing, model: Model, data: NetworkObjectiveData<Model>, tolerance: Double, directory: URL, clock: Date
    ) {
        let e = front.evaluations
        print("network:            \(model.architecture), n = \(model.layout.parameterCount), method \(method.rawValue), \(front.problem): \(data.train.count) train / \(data.test.count) test composites, HVP batch \(data.hvpIndices.count)")
        if let stationarity = front.stationarity {
            print(String(format: "seed stationarity:  %.3e → %.3e (relative, training objectives; tolerance %.2e, %d steps at most)",
                         stationarity.before, stationarity.after, tolerance, network.seedSteps))
        }
        print("points:             \(front.points.count) accepted of \(front.candidates) candidates (\(front.rejected) rejected)")
        print(String(format: "test hypervolume:   %.6f before → %.6f after (points alone %.6f), reference %@ (%@)",
                     front.hypervolumeBefore ?? 0, front.hypervolumeAfter ?? front.hypervolume, front.pointsHypervolume,
                     formatted(front.reference), front.referenceRule ?? "given"))
        let minres = timing.minresIterations
        if !minres.isEmpty {
            print("MINRES iterations:  mean \(String(format: "%.1f", Double(minres.reduce(0, +)) / Double(minres.count))), max \(minres.max()!)")
        }
        if let failures = front.failures {
            print("branches stopped:   \(failures.count) (\(failures.map { "point \($0.parent): \($0.reason)" }.joined(separator: "; ")))")
        }
        print("evaluations:        \(e.objectives) objectives, \(e.gradients) gradients, \(e.hvps) HVPs (total \(e.total))")
        let steps = timing.stepSeconds.dropFirst()
        print(String(format: "time:               %.1f s in all (this process %.1f s); per accepted point %.1f s; gradient %.3f s, HVP %.3f s (means)",
                     timing.totalSeconds, Date().timeIntervalSince(clock),
                     steps.isEmpty ? 0.0 : steps.reduce(0, +) / Double(steps.count), timing.gradientSecondsMean, timing.hvpSecondsMean))
        print("wrote:              \(directory.path)/front.json, front.csv, timing.json, state.json, points/")
    }
}
