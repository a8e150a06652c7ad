import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --problem P --from x --method hybrid --out DIR`: ``AnalyticHybrid`` — a
    /// linear family trained with the preference schedule (the PaLoRA options `--rays`,
    /// `--schedule`, `--temperature`, `--concentration` apply; `--hybrid-steps` and
    /// `--hybrid-step-size` its training), tangent chains from the seed and the family's
    /// vertices, and their stitch.
    func runAnalyticHybrid(_ problemName: String) throws {
        let (benchmark, start, runOptions) = try analyticSetup(problemName)
        guard benchmark.objectiveCount == 2 else {
            throw ValidationError("--method hybrid stitches two-objective fronts; \(benchmark.name) has \(benchmark.objectiveCount) objectives")
        }
        var options = AnalyticHybridOptions()
        options.run = runOptions
        options.segment.schedule = palora.preferenceSchedule
        options.segment.steps = hybrid.hybridSteps
        options.segment.stepSize = hybrid.hybridStepSize
        options.segment.seed = seed
        options.segment.scalarization = hybrid.hybridScalarization
        options.stitch.gapTolerance = hybrid.gapTolerance
        let clock = Date()
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let result = try AnalyticHybrid.run(benchmark, from: start, options: options, directory: directory)
        print("problem:            \(benchmark.name), n = \(benchmark.parameterCount), method hybrid (parts: \(result.parts.joined(separator: ", ")))")
        StitchCommand.printSummary(result.stitched, seconds: Date().timeIntervalSince(clock))
        let distance = result.stitched.front.points.map { benchmark.distanceToParetoFront($0.objectives) }.max() ?? 0
        print(String(format: "distance to front:  max %.2e over the stitched points", distance))
        print("wrote:              \(directory.appendingPathComponent("front.json").path), front.csv, and one directory per part")
    }

    /// `pareto expand --from ls.safetensors --method hybrid --out DIR`: the PaLoRA segment
    /// around the checkpoint (DIR/palora), its end models θ(e₁), θ(e₂) (DIR/segment-ends), a
    /// tangent chain from the checkpoint and from each end (DIR/tangent-seed,
    /// DIR/tangent-lambda1, …; each seed brought towards Pareto stationarity by MGDA first),
    /// all measured against the PaLoRA part's reference, then the stitch (DIR/front.json).
    /// A part that finished is kept; an interrupted tangent part is resumed.
    func runNetworkHybrid(_ path: String) throws {
        let clock = Date()
        let loaded = try Checkpoint.load(from: URL(fileURLWithPath: path))
        guard loaded.model.architecture == MultiLeNet().architecture else {
            throw ValidationError("--method hybrid adapts the MultiLeNet (PaLoRA); \(path) is a \(loaded.model.architecture)")
        }
        if let reference, reference.values.count != 2 {
            throw ValidationError("--reference has \(reference.values.count) values, the network has 2 tasks")
        }
        let input = loaded.checkpoint
        let dataset = dataOptions.resolvedDataset(recordedIn: input.metadata)
        let dataSeed = network.dataSeed ?? input.metadata.seed ?? 1
        let (train, test) = try dataOptions.selection(dataset).multiDigitSplits(
            trainCount: dataOptions.trainSize, testCount: dataOptions.testSize, seed: dataSeed)
        let model = MultiLeNet()
        let engine = network.engine ?? model.defaultEngine
        if engine == .fused { BLASThreads.set(1) }
        var tangent = self
        tangent.method = .tangent
        var configuration = NetworkHybridConfiguration(
            palora: try paloraConfiguration(expanding: input.metadata), expansion: tangent.networkExpansionOptions(taskCount: 2).options,
            metadata: CheckpointMetadata(architecture: model.architecture, tasks: dataset.tasks, method: "palora", seed: dataSeed,
                                         other: ["expanded_from": path, "dataset": dataset.rawValue]))
        configuration.reference = reference.map { .given($0.values) } ?? .scaled(network.referenceScale)
        configuration.stitch.gapTolerance = hybrid.gapTolerance
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let interrupt = InterruptRequest()
        let result = try NetworkHybrid.run(
            input: input.parameters(as: Float.self), train: train, test: test, configuration: configuration, directory: directory,
            objectiveData: {
                try NetworkObjectiveData(
                    model: model, train: train, test: test, hvpBatchSize: network.hvpBatch, hvpSeed: seed, chunkSize: network.chunkSize,
                    factory: .engine(model, engine), miniBatchSize: network.optimizeMethod.isMiniBatch ? network.optimizeBatch : nil)
            },
            prepare: { expansion in
                let progress = ProgressLine()
                expansion.onProgress = { progress.update(done: $0.accepted, total: $0.target, unit: "points", detail: String(format: "HV %.4f", $0.hypervolume)) }
                expansion.onSaved = { id in
                    if interrupt.isRequested {
                        throw InterruptedError(advice: "points 0…\(id) are saved in \(expansion.directory.path); run the same command again to continue")
                    }
                }
            },
            onPart: { part in
                FileHandle.standardError.write(Data("hybrid: \(part) (\(train.count) training composites, testing on \(test.count))\n".utf8))
            })
        print("hybrid of \(path): parts \(result.parts.joined(separator: ", ")); run now: \(result.ran.isEmpty ? "none (all kept)" : result.ran.joined(separator: ", "))")
        StitchCommand.printSummary(result.stitched, seconds: Date().timeIntervalSince(clock))
        print("wrote:              \(directory.appendingPathComponent("front.json").path), front.csv, and one directory per part")
    }
}

extension SegmentScalarization: ExpressibleByArgument {}

/// The options of `pareto expand --method hybrid`.
struct HybridOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Hybrid, analytic problems: gradient steps of the linear family x(λ) = x₀ + Σ λₜ dₜ.")
    var hybridSteps = 5000

    @Option(parsing: .unconditional, help: "Hybrid, analytic problems: step length of the linear family's projected gradient descent.")
    var hybridStepSize = 0.02

    @Option(help: "Hybrid, analytic problems: how each preference ray weighs the objectives when training the linear family: chebyshev (max λᵢfᵢ; spreads along concave fronts) or linear (λᵀf, PaLoRA's; collapses to an end of a concave front).")
    var hybridScalarization: SegmentScalarization = .chebyshev

    @Option(parsing: .unconditional, help: "Hybrid: longest junction between parts that still counts as continuous (default: the parts' own sampling resolution; see pareto stitch).")
    var gapTolerance: Double?

    /// Whether every option has its default (it then may go with any method).
    var isDefault: Bool { hybridSteps == 5000 && hybridStepSize == 0.02 && hybridScalarization == .chebyshev && gapTolerance == nil }

    func validate() throws {
        try Check.count(hybridSteps, "--hybrid-steps", atLeast: 1, atMost: 10_000_000)
        try Check.positive(hybridStepSize, "--hybrid-step-size")
        if let gapTolerance { try Check.nonNegative(gapTolerance, "--gap-tolerance") }
    }
}
