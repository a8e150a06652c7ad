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
            factory: .engine(model, engine),
            miniBatchSize: network.optimizeMethod.isMiniBatch || (method == .weightedSum && network.weightedSumOptimizer == .stochastic)
                ? network.optimizeBatch : nil)

        let (options, tolerance) = networkExpansionOptions(taskCount: model.taskCount)

        FileHandle.standardError.write(Data(
            "expanding \(model.architecture) (\(model.layout.parameterCount) parameters) by \(method.rawValue) (\(engine.rawValue) engine) on \(train.count) training composites (HVPs on \(data.hvpIndices.count)), testing on \(test.count)\n".utf8))
        if !network.resume {
            FileHandle.standardError.write(Data(String(
                format: "seed: at most %d %@ MGDA steps toward relative stationarity %.3g (measured on all %d training composites%@)\n",
                options.seedSteps, network.optimizeMethod.isMiniBatch ? "mini-batch" : "full-set", tolerance, train.count,
                network.optimizeMethod.isMiniBatch ? " every \(options.seedCheckEvery) steps" : "").utf8))
        }
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let expansion = try NetworkExpansion(data: data, options: options, directory: directory)
        expansion.onSeed = { stationarity in
            guard !(stationarity.converged ?? true) else { return }
            let message = String(
                format: "relative stationarity %.3e → %.3e after %d seed steps, above --stationarity-tolerance %.3e",
                stationarity.before, stationarity.after, stationarity.steps ?? 0, tolerance)
            if network.force {
                FileHandle.standardError.write(Data("warning: expanding a non-stationary seed (--force): \(message); tangent steps from it are partly plain descent\n".utf8))
            }
        }
        let progress = ProgressLine()
        expansion.onProgress = { update in
            var detail = String(format: "HV %.4f", update.hypervolume)
            if let residual = update.lastResidual { detail += String(format: "  MINRES residual %.2e", residual) }
            detail += "  \(update.candidates) candidates"
            progress.update(done: update.accepted, total: update.target, unit: "points", detail: detail)
        }
        // Ctrl-C: stop after the point being computed is saved, and say how to go on.
        let interrupt = InterruptRequest()
        expansion.onSaved = { id in
            if interrupt.isRequested {
                throw InterruptedError(advice: "points 0…\(id) are saved in \(directory.path); continue with the same command and --resume")
            }
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

    /// The network expansion's options from the command line, and the relative stationarity
    /// tolerance they use (for the seed and after each step).
    func networkExpansionOptions(taskCount m: Int) -> (options: NetworkExpansionOptions, tolerance: Double) {
        var options = NetworkExpansionOptions()
        options.method = method == .weightedSum ? .weightedSum : (method == .gradient ? .gradient : .tangent)
        options.expansion = expansionOptions(objectiveCount: m)
        let tolerance = options.expansion.optimize.stationarityTolerance
        options.expansion.optimize.stationarityTolerance = 0
        options.expansion.optimize.relativeStationarityTolerance = tolerance
        if network.optimizeMethod.isWeightedSum {
            options.expansion.optimize.method = .weightedSum([Double](repeating: 1 / Double(m), count: m))
        }
        if network.optimizeMethod.isMiniBatch {
            options.expansion.optimize.miniBatch = MiniBatchOptimization(checkEvery: nil, seed: seed)
        }
        options.seedStationarityTolerance = tolerance
        options.seedSteps = network.resolvedSeedSteps
        options.seedCheckEvery = network.seedCheckEvery
        options.force = network.force
        options.curveSamples = resolved(curveSamples, problem: 1001, network: 21)
        options.reference = reference?.values
        options.referenceScale = network.referenceScale
        options.weightedSumBudget = network.budget
        options.weightedSumStepSize = network.weightedSumStepSize
        options.weightedSumOptimizer = network.weightedSumOptimizer
        return (options, tolerance)
    }

    private func printSummary<Model: MultiTaskModel>(
        _ front: FrontFile, timing: FrontFile.Timing, model: Model, data: NetworkObjectiveData<Model>, tolerance: Double, directory: URL, clock: Date
    ) {
        let e = front.evaluations
        print("network:            \(model.architecture), n = \(model.layout.parameterCount), method \(method.rawValue), \(front.problem): \(data.train.count) train / \(data.test.count) test composites, HVP batch \(data.hvpIndices.count)")
        if let stationarity = front.stationarity {
            print(String(format: "seed stationarity:  %.3e → %.3e (relative, on all %d training composites; tolerance %.2e, %d of at most %d %@ MGDA steps)%@",
                         stationarity.before, stationarity.after, data.train.count, tolerance, stationarity.steps ?? 0, network.resolvedSeedSteps,
                         network.optimizeMethod.isMiniBatch ? "mini-batch" : "full-set",
                         (stationarity.converged ?? true) ? "" : " NOT REACHED (--force)"))
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
        print("evaluations:        \(e.objectives) objectives, \(e.gradients) gradients, \(e.hvps) HVPs (total \(e.total); one mini-batch evaluation = one)")
        if let phases = front.evaluationsByPhase {
            let names: [(EvaluationPhase, String)] = [
                (.seed, "seed"), (.tangent, "tangent solves"), (.correction, "corrections"), (.baseline, "weighted-sum baseline"),
                (.other, "other"), (.test, "test evaluations"),
            ]
            for (phase, name) in names where phases[phase].total > 0 {
                let c = phases[phase]
                print("  \((name + ":").padding(toLength: 22, withPad: " ", startingAt: 0))\(c.total) (\(c.objectives) objectives, \(c.gradients) gradients, \(c.hvps) HVPs)")
            }
            print("  total with test:      \(phases.run.total + phases[.test].total)")
        }
        let steps = timing.stepSeconds.dropFirst()
        print(String(format: "time:               %.1f s in all (this process %.1f s); per accepted point %.1f s; gradient %.3f s, HVP %.3f s (means)",
                     timing.totalSeconds, Date().timeIntervalSince(clock),
                     steps.isEmpty ? 0.0 : steps.reduce(0, +) / Double(steps.count), timing.gradientSecondsMean, timing.hvpSecondsMean))
        print("wrote:              \(directory.path)/front.json, front.csv, timing.json, state.json, points/")
    }
}
