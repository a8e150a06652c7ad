import ArgumentParser
import Foundation
import ParetoKit

/// `pareto-bench tangent-step`: the wall time of one tangent step of a network expansion in the
/// reference setting of Ma et al.'s public implementation (gradients on the whole training set,
/// then MINRES with k HVPs on a 2,048-image batch, damping 0.1), and its parts. A speed-up is
/// reported only against a reference time the user measured on the same machine
/// (`--reference-seconds`, e.g. from `scripts/experiments/pytorch-tangent-step.py`); no fixed
/// figure from another machine is divided by.
struct TangentStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tangent-step",
        abstract: "Time one tangent step on MultiMNIST (gradients, HVPs, MINRES) in the reference setting.")

    @Option(help: "Checkpoint to expand (default: PyTorch-default random parameters).") var from: String?
    @Option(help: "Training composites (gradients on all of them).") var trainSize = 20_000
    @Option(help: "HVP mini-batch.") var hvpBatch = 2_048
    @Option(help: "MINRES iterations k.") var minresIterations = 50
    @Option(help: "Damping δ.") var damping = 0.1
    @Option(help: "Images per chunk of the training loss.") var chunkSize = 1_024
    @Option(help: "Directory of MNIST IDX files (default: discovered as pareto train does).") var data: String?
    @Option(help: "OpenBLAS threads outside the fused kernel (MINRES's vector operations); the kernel always calls BLAS single-threaded.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seconds per step of the PyTorch reference procedure measured on this machine (scripts/experiments/pytorch-tangent-step.py); when given, the speed-up against it is reported.") var referenceSeconds: Double?
    @Flag(help: "End with one JSON line.") var json = false

    func validate() throws {
        if let referenceSeconds, !(referenceSeconds > 0) { throw ValidationError("--reference-seconds must be positive") }
    }

    func run() throws {
        BLASThreads.set(threads)
        let selection = try DataLocator(dataDirectory: data.map { URL(fileURLWithPath: $0) }).select(.mnist)
        let (train, test) = try selection.multiDigitSplits(trainCount: trainSize, testCount: 100, seed: 1)
        let model = MultiLeNet()
        let networkData = try NetworkObjectiveData(
            model: model, train: train, test: test, hvpBatchSize: hvpBatch, hvpSeed: 1, chunkSize: chunkSize,
            factory: .engine(model, .fused))
        let x: [Double] = try from.map { try Checkpoint.load(from: URL(fileURLWithPath: $0), model: model).parameters }
            ?? ParameterInitialization.pytorchDefault(layout: model.layout, seed: 1)
        let objective = try networkData.makeObjective()

        var point: EvaluatedPoint? = nil
        let gradientSeconds = try seconds { point = try EvaluatedPoint(objective, at: x) }
        let weights = point!.weights.map { Float($0) }
        let xFloat = x.map { Float($0) }
        var generator = SeededGenerator(seed: 2)
        let v = (0..<x.count).map { _ in Float(generator.unitDouble() - 0.5) }
        let curvature = networkData.curvatureLoss
        let fullHVPSeconds = try medianSeconds(repeats: 3, warmup: 1) {
            _ = try curvature.hessianVectorProduct(at: xFloat, along: v, weights: weights)
        }
        let prepareSeconds = try seconds { try curvature.prepare(at: xFloat, weights: weights) }
        let preparedHVPSeconds = try medianSeconds(repeats: 5, warmup: 1) { _ = try curvature.hessianVectorProduct(along: v) }

        let solveObjective = try networkData.makeObjective()
        var direction: ExpansionDirection? = nil
        let solveSeconds = try seconds {
            direction = try expansionDirection(
                solveObjective, at: point!, beta: [1, 0], favouring: 0,
                options: DirectionOptions(method: .tangent, minresIterations: minresIterations, minresTolerance: 1e-5, damping: damping))
        }
        let hvps = solveObjective.counts.hvps
        let minresOverhead = solveSeconds - solveObjective.hvpSeconds
        let stepSeconds = gradientSeconds + solveSeconds
        print(blasReportLine())
        print("tangent step, MultiLeNet, \(train.count) training composites, HVP batch \(hvpBatch), k = \(minresIterations), δ = \(damping)")
        print(String(format: "gradients (all training composites):  %7.2f s", gradientSeconds))
        print(String(format: "HVP, full sweeps:                     %7.3f s", fullHVPSeconds))
        print(String(format: "HVP at a prepared point:              %7.3f s  (preparation %.3f s once per solve)", preparedHVPSeconds, prepareSeconds))
        print(String(format: "MINRES solve: %d HVPs in %.2f s, %.3f s outside the HVPs; %d iterations, residual %.3g → %.3g",
                     hvps, solveSeconds, minresOverhead, direction!.minresIterations,
                     direction!.residualNorms.first ?? 0, direction!.residualNorms.last ?? 0))
        if let referenceSeconds {
            print(String(format: "tangent step (gradients + solve):     %7.2f s  (%.1f× faster than the given reference, %.2f s on this machine)",
                         stepSeconds, referenceSeconds / stepSeconds, referenceSeconds))
        } else {
            print(String(format: "tangent step (gradients + solve):     %7.2f s", stepSeconds))
        }
        if json {
            var record: [String: Any] = [
                "train_images": train.count, "hvp_batch": hvpBatch, "threads": threads, "minres_iterations": minresIterations,
                "gradient_seconds": rounded(gradientSeconds), "hvp_full_seconds": rounded(fullHVPSeconds, 4),
                "hvp_prepared_seconds": rounded(preparedHVPSeconds, 4), "prepare_seconds": rounded(prepareSeconds, 4),
                "solve_seconds": rounded(solveSeconds), "minres_overhead_seconds": rounded(minresOverhead, 4),
                "hvps": hvps, "step_seconds": rounded(stepSeconds),
            ]
            if let referenceSeconds {
                record["reference_seconds_this_machine"] = referenceSeconds
                record["speedup_vs_reference_this_machine"] = rounded(referenceSeconds / stepSeconds, 2)
            }
            print(jsonLine(record))
        }
    }
}
