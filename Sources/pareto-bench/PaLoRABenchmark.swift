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
/// Ratios are medians of interleaved timings; CPU model and OpenBLAS core are printed.
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

        let timings = try interleavedMedianSeconds(repeats: repeats, [
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
        ])
        let (ls, step, expansionStep, fullHVP, adapterHVP) = (timings[0], timings[1], timings[2], timings[3], timings[4])
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        print("CPU: \(cpu); OpenBLAS core: \(core); fused kernel: \(tasks) task(s)")
        print("MultiLeNet, batch \(batch), Float32, adapters on \(adapt) (\(trainer.adapters.parameterCount) parameters), M = \(rays)")
        print(String(format: "LS step (gradient + Adam):            %8.2f ms", ls * 1e3))
        print(String(format: "PaLoRA step, base trained:            %8.2f ms  = %.2f × LS (target ≤ %.1f)", step * 1e3, step / ls, Double(rays) + 0.5))
        print(String(format: "PaLoRA step, base frozen (expansion): %8.2f ms  = %.2f × LS", expansionStep * 1e3, expansionStep / ls))
        print(String(format: "full-parameter HVP:                   %8.2f ms", fullHVP * 1e3))
        print(String(format: "adapter HVP (exact, bilinear term):   %8.2f ms  = %.2f × full (target ≤ 1.5)", adapterHVP * 1e3, adapterHVP / fullHVP))
        if json {
            print(jsonLine([
                "cpu": cpu, "blas_core": core, "batch": batch, "rays": rays, "adapt": adapt, "tasks": tasks,
                "adapter_parameters": trainer.adapters.parameterCount, "ls_step_ms": rounded(ls * 1e3), "palora_step_ms": rounded(step * 1e3),
                "palora_expansion_step_ms": rounded(expansionStep * 1e3), "step_ratio": rounded(step / ls),
                "full_hvp_ms": rounded(fullHVP * 1e3), "adapter_hvp_ms": rounded(adapterHVP * 1e3), "hvp_ratio": rounded(adapterHVP / fullHVP),
            ]))
        }
    }
}
