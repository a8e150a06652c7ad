import ArgumentParser
import CLinearAlgebra
import Foundation
import ParetoKit

/// `pareto-bench palora`: the cost of PaLoRA relative to the plain network, measured in one
/// process on one batch (MultiLeNet, Float32, fused kernel):
///
/// * one training step with `M` rays (Algorithm 1: `M` materialisations `θ(λ_m)`, `M` fused
///   loss+gradient sweeps, the chain rule to `θ₀` and the adapters, two Adam updates) against
///   one linear-scalarization step (one sweep, one Adam update) — target ≤ `M + 0.5` ×;
/// * the exact adapter-space HVP (`PaLoRAObjective`, base frozen) against the full-parameter
///   fused HVP — target ≤ 1.5 ×.
///
/// Every body runs once per round, rounds interleaved; ratios of the medians and of the minima
/// (the least disturbed round, robust on a shared machine) are printed, with the CPU model and
/// the OpenBLAS core.
struct PaLoRABenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palora", abstract: "Time a PaLoRA step against an LS step, and adapter HVPs against full HVPs.")

    @Option(help: "Images per batch.") var batch = 256
    @Option(help: "Rays M per step.") var rays = 5
    @Option(help: "Adapted layers: encoder or all.") var adapt = "encoder"
    @Option(help: "Timed repetitions (median reported).") var repeats = 11
    @Option(help: "Concurrent shard tasks of the fused kernel.") var tasks = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "End with one JSON line.") var json = false

    func validate() throws {
        guard batch >= 1, rays >= 1, repeats >= 1, tasks >= 1 else { throw ValidationError("batch, rays, repeats, tasks must be ≥ 1") }
        guard AdapterPlacement(rawValue: adapt) != nil else { throw ValidationError("--adapt must be encoder or all") }
    }

    func run() throws {
        var generator = SeededBenchmarkGenerator(seed: 1)
        let images = try Tensor<Float>(
            shape: [batch, 1, 28, 28], scalars: (0..<(batch * 784)).map { _ in Float.random(in: -0.4...2.8, using: &generator) })
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &generator) } }
        let fused = try FusedMultiLeNetLoss(images: images, labels: labels)
        fused.parallelism = tasks
        let configuration = PaLoRATrainingConfiguration(
            adapters: AdapterConfiguration(placement: AdapterPlacement(rawValue: adapt)!), schedule: .publicDefault(rays: rays))
        let trainer = try PaLoRATrainer(configuration: configuration) { (_: MultiDigitBatch<Float>) in fused }
        var parameters = try trainer.initialParameters()
        var paloraOptimizers = PaLoRAOptimizers(kind: configuration.optimizer, parameters: parameters)
        var lsParameters = parameters.base
        var lsOptimizer = OptimizerState<Float>(kind: configuration.optimizer, count: lsParameters.count)
        var rayGenerator = SeededGenerator(seed: 1)
        let stepRays = try configuration.schedule.rays(progress: 0.5, using: &rayGenerator)

        // A point with non-zero B for the HVPs.
        var factors = parameters.adapters
        for i in factors.indices { factors[i] += Float.random(in: -0.05...0.05, using: &generator) }
        let base = parameters.base
        let lambda = [0.3, 0.7]
        let adapterObjective = try PaLoRAObjective(inner: fused, adapters: trainer.adapters, preference: lambda, frozenBase: base)
        let theta = try adapterObjective.materialize(factors)
        let v = (0..<theta.count).map { _ in Float.random(in: -1...1, using: &generator) }
        let vp = (0..<factors.count).map { _ in Float.random(in: -1...1, using: &generator) }
        let weights: [Float] = [0.3, 0.7]

        let (_, recordedGradient) = try fused.valuesAndWeightedGradient(at: base, weights: [0.5, 0.5])
        var overheadParameters = try trainer.initialParameters()
        var overheadOptimizers = PaLoRAOptimizers(kind: configuration.optimizer, parameters: overheadParameters)
        let adapters = trainer.adapters
        let samples = try interleavedSamples(repeats: repeats, [
            {
                let (_, g) = try fused.valuesAndWeightedGradient(at: lsParameters, weights: [0.5, 0.5])
                lsOptimizer.step(&lsParameters, gradient: g, learningRate: 1e-3)
            },
            {
                _ = try trainer.step(&parameters, optimizers: &paloraOptimizers, objective: fused, rays: stepRays, learningRate: 1e-3, trainsBase: true)
            },
            {
                _ = try trainer.step(&parameters, optimizers: &paloraOptimizers, objective: fused, rays: stepRays, learningRate: 1e-3, trainsBase: false)
            },
            { _ = try fused.hessianVectorProduct(at: theta, along: v, weights: weights) },
            { _ = try adapterObjective.hessianVectorProduct(at: factors, along: vp, weights: weights) },
            { _ = try fused.valuesAndWeightedGradient(at: theta, weights: weights) },
            {
                for _ in 0..<rays {
                    let (_, g) = try fused.valuesAndWeightedGradient(at: lsParameters, weights: [0.5, 0.5])
                    lsOptimizer.step(&lsParameters, gradient: g, learningRate: 1e-3)
                }
            },
            {
                // The step's work besides the M fused sweeps, with a recorded gradient.
                var adapterGradient = [Float](repeating: 0, count: adapters.parameterCount)
                var baseGradient = [Float](repeating: 0, count: recordedGradient.count)
                for ray in stepRays {
                    _ = try adapters.materialize(base: overheadParameters.base, adapters: overheadParameters.adapters, preference: ray)
                    try adapters.pullBack(gradient: recordedGradient, adapters: overheadParameters.adapters, preference: ray, into: &adapterGradient)
                    for i in 0..<baseGradient.count { baseGradient[i] += recordedGradient[i] }
                }
                overheadOptimizers.adapters.step(&overheadParameters.adapters, gradient: adapterGradient, learningRate: 2e-3)
                overheadOptimizers.base.step(&overheadParameters.base, gradient: baseGradient, learningRate: 1e-3)
            },
        ])
        let timings = samples.map { $0[$0.count / 2] }, minima = samples.map { $0[0] }
        let (ls, step, expansionStep, fullHVP, adapterHVP) = (timings[0], timings[1], timings[2], timings[3], timings[4])
        let (gradient, lsRun, overhead) = (timings[5], timings[6], timings[7])
        // M LS steps back to back last as long as one PaLoRA step, so both see the same load.
        let pairedRatio = Double(rays) * step / lsRun
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        print("CPU: \(cpu); OpenBLAS core: \(core); fused kernel: \(tasks) task(s)")
        print("MultiLeNet, batch \(batch), Float32, adapters on \(adapt) (\(trainer.adapters.parameterCount) parameters), M = \(rays)")
        print(String(format: "LS step (gradient + Adam):            %8.2f ms", ls * 1e3))
        print(String(format: "PaLoRA step, base trained:            %8.2f ms  = %.2f × LS (target ≤ %.1f)", step * 1e3, step / ls, Double(rays) + 0.5))
        print(String(format: "  against %d LS steps back to back:   %8.2f ms  → %.2f × LS", rays, lsRun * 1e3, pairedRatio))
        print(String(format: "PaLoRA step, base frozen (expansion): %8.2f ms  = %.2f × LS", expansionStep * 1e3, expansionStep / ls))
        print(String(format: "full-parameter HVP:                   %8.2f ms", fullHVP * 1e3))
        print(String(format: "adapter HVP (exact, bilinear term):   %8.2f ms  = %.2f × full (target ≤ 1.5)", adapterHVP * 1e3, adapterHVP / fullHVP))
        print(String(format: "parts: fused gradient %.2f ms; step outside the sweeps (M θ(λ), chain rule, Adam) %.2f ms; "
                     + "M × gradient + that = %.2f × LS", gradient * 1e3, overhead * 1e3, (Double(rays) * gradient + overhead) / ls))
        print(String(format: "minima: step %.2f × LS, frozen step %.2f × LS, adapter HVP %.2f × full",
                     minima[1] / minima[0], minima[2] / minima[0], minima[4] / minima[3]))
        if json {
            print(jsonLine([
                "cpu": cpu, "blas_core": core, "batch": batch, "rays": rays, "adapt": adapt, "tasks": tasks,
                "adapter_parameters": trainer.adapters.parameterCount, "ls_step_ms": rounded(ls * 1e3), "palora_step_ms": rounded(step * 1e3),
                "palora_expansion_step_ms": rounded(expansionStep * 1e3), "step_ratio": rounded(step / ls),
                "full_hvp_ms": rounded(fullHVP * 1e3), "adapter_hvp_ms": rounded(adapterHVP * 1e3), "hvp_ratio": rounded(adapterHVP / fullHVP),
                "step_ratio_min": rounded(minima[1] / minima[0]), "step_ratio_paired": rounded(pairedRatio), "gradient_ms": rounded(gradient * 1e3),
                "step_overhead_ms": rounded(overhead * 1e3), "hvp_ratio_min": rounded(minima[4] / minima[3]),
            ]))
        }
    }
}

/// The sorted timings of `repeats` rounds in which every body runs once, in order, after one
/// untimed round.
private func interleavedSamples(repeats: Int, _ bodies: [() throws -> Void]) throws -> [[Double]] {
    for body in bodies { try body() }
    var samples = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<repeats {
        for (index, body) in bodies.enumerated() { samples[index].append(try seconds(body)) }
    }
    return samples.map { $0.sorted() }
}
