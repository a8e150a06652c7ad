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
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clock = Date()
        let input = try Checkpoint.load(from: URL(fileURLWithPath: path)).checkpoint
        let dataSeed = network.dataSeed ?? input.metadata.seed ?? 1
        func finished(_ part: String) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(part).appendingPathComponent("front.json").path)
        }
        func part(_ name: String) -> String { directory.appendingPathComponent(name).path }

        if !finished("palora") {
            var step = self
            step.out = part("palora")
            step.method = .palora
            step.network.dataSeed = dataSeed
            try step.runPaLoRA(path)
        }
        let palora = try RunFamilies.load(from: directory.appendingPathComponent("palora"))
        guard let segment = palora.first else { throw StitchingError.notARun(path: part("palora"), reason: "no segment") }
        let reference = segment.front.reference
        let ends = directory.appendingPathComponent("segment-ends", isDirectory: true)
        try FileManager.default.createDirectory(at: ends, withIntermediateDirectories: true)
        var seeds = [("tangent-seed", path)]
        for task in 0..<2 {
            let lambda = (0..<2).map { $0 == task ? 1.0 : 0.0 }
            let file = ends.appendingPathComponent("lambda\(task + 1).safetensors")
            if !FileManager.default.fileExists(atPath: file.path) {
                var checkpoint = try segment.checkpoint(at: .preference(lambda))
                checkpoint.metadata.seed = dataSeed
                checkpoint.metadata.other["dataset"] = input.metadata.other["dataset"] ?? dataOptions.resolvedDataset(recordedIn: input.metadata).rawValue
                try checkpoint.write(to: file)
            }
            seeds.append(("tangent-lambda\(task + 1)", file.path))
        }
        for (name, seedPath) in seeds where !finished(name) {
            var step = self
            step.out = part(name)
            step.method = .tangent
            step.reference = RealList(values: reference)
            step.network.dataSeed = dataSeed
            step.network.resume = FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).appendingPathComponent("state.json").path)
            FileHandle.standardError.write(Data("hybrid: tangent chain \(name) from \(seedPath)\(step.network.resume ? " (resumed)" : "")\n".utf8))
            try step.runNetwork(seedPath)
        }
        let families = try RunFamilies.load(from: (["palora"] + seeds.map(\.0)).map { directory.appendingPathComponent($0) })
        var data = dataOptions
        data.dataset = data.dataset ?? dataOptions.resolvedDataset(recordedIn: input.metadata)
        let evaluator = try StitchEvaluator(families: families, data: data, dataSeed: dataSeed)
        let result = try StitchedRun.stitch(
            families, reference: reference, options: StitchOptions(gapTolerance: hybrid.gapTolerance), method: "hybrid",
            directory: directory, evaluate: evaluator.evaluate)
        try result.front.write(to: directory)
        print("hybrid of \(path): parts palora, \(seeds.map(\.0).joined(separator: ", "))")
        StitchCommand.printSummary(result, seconds: Date().timeIntervalSince(clock))
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
