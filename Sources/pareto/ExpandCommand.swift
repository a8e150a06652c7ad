import ArgumentParser
import Foundation
import ParetoKit

/// `pareto expand`: Algorithm 1 of Ma et al. on an analytic problem, on a trained network
/// (`--from FILE.safetensors`), or the model at `t` of a finished network run (`--at`).
struct ExpandCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Grow a continuous Pareto set from one point by second-order tangent expansion.",
        discussion: """
            Analytic problems: pareto expand --problem zdt2 --dimension 3 --from 0.5,0,0 --directions 1 \\
              --points 20 --step-size 0.05 --minres-iterations 50 --seed 1 --out run/
            writes run/front.json and run/front.csv and prints a summary.
            Networks: pareto expand --from ls.safetensors --dataset multimnist --method tangent --directions 1 \
              --points 21 --step-size 0.1 --minres-iterations 50 --hvp-batch 2048 --seed 1 --out run/
            writes run/points/NNNN.safetensors, run/state.json (continue with --resume), run/front.json, front.csv.
            Model at t: pareto expand --from run/ --at t=0.3 --out model.safetensors
            See docs/network-expansion.md.
            """)

    @Option(help: "Analytic problem: \(Problems.names.joined(separator: ", ")).")
    var problem: String?

    @Option(help: "Number of variables n for the ZDT family.")
    var dimension: Int?

    @Option(help: "Start: a point x1,…,xn for --problem, brought to the front first (a shorter list is padded with zeros); a network checkpoint FILE.safetensors; or a run directory with --at.")
    var from: String

    @Option(help: "Directions method: tangent (MINRES on the tangent system) or gradient (the paper's comparison); networks also weighted-sum (the necessity-test baseline).")
    var method: ExpandMethod = .tangent

    @Option(help: "K: directions per expanded point.")
    var directions = 1

    @Option(help: "N: accepted points to collect, the seed included.")
    var points = 20

    @Option(help: "s: step length along each unit direction (default 0.05 for problems, 0.1 for networks).")
    var stepSize: Double?

    @Option(help: "k: MINRES iteration cap.")
    var minresIterations = 50

    @Option(help: "MINRES relative tolerance.")
    var minresTolerance = 1e-5

    @Option(help: "Damping δ: solve (H + δI) v = rhs (default 0 for problems, 0.1 for networks).")
    var damping: Double?

    @Option(help: "Chain steering: both-ways (m = 2) or none.")
    var steering: Steering = .bothWays

    @Option(help: "ParetoOptimize: maximum steps after each expansion step (default 200 for problems, 5 for networks).")
    var optimizeSteps: Int?

    @Option(help: "ParetoOptimize: initial step length, halved until every objective decreases (default 0.5 for problems, 0.1 for networks).")
    var optimizeStepSize: Double?

    @Option(help: "ParetoOptimize: stationarity tolerance; problems: on ‖Σ α*ᵢ ∇fᵢ‖ (default 1e-8); networks: on the relative stationarity ‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖, for the seed and after each step (default 0.05).")
    var stationarityTolerance: Double?

    @Option(help: "ParetoOptimize of the seed: mgda, chebyshev or weighted-sum.")
    var seedMethod: SeedMethod = .mgda

    @Option(help: "Weights of a chebyshev or weighted-sum seed optimisation (default: equal).")
    var seedWeights: RealList?

    @Option(help: "Hypervolume reference point r1,…,rm (default: 1,…,1 for ZDT problems).")
    var reference: RealList?

    @Option(help: "Samples of the continuous front, evenly spaced t in [-1, 1] (default 1001 for problems, 21 for networks, each a test evaluation).")
    var curveSamples: Int?

    @Option(help: "Seed of the random β draws (runs are reproducible bit-for-bit).")
    var seed: UInt64 = 1

    @Option(help: "Output directory (created if needed); with --at, the checkpoint file to write.")
    var out: String

    @OptionGroup(title: "Networks (--from FILE.safetensors)")
    var network: NetworkExpandOptions

    /// Whether the command works on a network checkpoint or run rather than an analytic problem.
    var isNetwork: Bool { problem == nil }

    /// The value of an option with a mode-dependent default.
    func resolved<T>(_ value: T?, problem analytic: T, network: T) -> T { value ?? (isNetwork ? network : analytic) }

    func validate() throws {
        guard directions >= 1 else { throw ValidationError("--directions must be at least 1") }
        guard points >= 1 else { throw ValidationError("--points must be at least 1") }
        let step = resolved(stepSize, problem: 0.05, network: 0.1)
        guard step > 0, step.isFinite else { throw ValidationError("--step-size must be positive") }
        guard minresIterations >= 1 else { throw ValidationError("--minres-iterations must be at least 1") }
        guard resolved(damping, problem: 0, network: 0.1) >= 0 else { throw ValidationError("--damping must be non-negative") }
        guard resolved(curveSamples, problem: 1001, network: 21) >= 2 else { throw ValidationError("--curve-samples must be at least 2") }
        guard resolved(optimizeSteps, problem: 200, network: 5) >= 0 else { throw ValidationError("--optimize-steps must be non-negative") }
        if problem != nil {
            guard method != .weightedSum else { throw ValidationError("--method weighted-sum is the network baseline; use tangent or gradient with --problem") }
            guard network.at == nil else { throw ValidationError("--at reads a network run (--from run/); analytic runs store their points in front.json") }
        } else if network.at == nil {
            guard from.hasSuffix(".safetensors") else {
                throw ValidationError("give --problem NAME for an analytic problem, or --from FILE.safetensors for a network (got --from \(from))")
            }
            try network.validate()
        }
    }

    func run() throws {
        if isNetwork {
            if let at = network.at { return try materialize(at: at) }
            return try runNetwork()
        }
        let stepSize = resolved(stepSize, problem: 0.05, network: 0.1)
        let damping = resolved(damping, problem: 0, network: 0.1)
        let optimizeSteps = resolved(optimizeSteps, problem: 200, network: 5)
        let optimizeStepSize = resolved(optimizeStepSize, problem: 0.5, network: 0.1)
        let stationarityTolerance = resolved(stationarityTolerance, problem: 1e-8, network: 0.05)
        let curveSamples = resolved(curveSamples, problem: 1001, network: 21)
        let method = self.method.directionMethod
        let benchmark = try Problems.named(problem!, dimension: dimension)
        guard var start = RealList(argument: from)?.values else {
            throw ValidationError("--from must be a comma-separated point x1,…,xn for --problem, got '\(from)'")
        }
        if start.count < benchmark.parameterCount {
            start += [Double](repeating: 0, count: benchmark.parameterCount - start.count)
        }
        guard start.count == benchmark.parameterCount else {
            throw ValidationError("--from has \(start.count) values, \(benchmark.name) has \(benchmark.parameterCount) variables")
        }
        let referencePoint = reference?.values ?? [Double](repeating: 1, count: benchmark.objectiveCount)
        guard referencePoint.count == benchmark.objectiveCount else {
            throw ValidationError("--reference has \(referencePoint.count) values, \(benchmark.name) has \(benchmark.objectiveCount) objectives")
        }
        var options = ExpansionOptions()
        options.directions = directions
        options.points = points
        options.stepSize = stepSize
        options.direction = DirectionOptions(
            method: method, minresIterations: minresIterations, minresTolerance: minresTolerance, damping: damping)
        options.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: optimizeStepSize, maxIterations: optimizeSteps, stationarityTolerance: stationarityTolerance)
        options.steering = steering
        options.seed = seed
        let weights = seedWeights?.values ?? [Double](repeating: 1 / Double(benchmark.objectiveCount), count: benchmark.objectiveCount)
        var seedOptions = options.optimize
        switch seedMethod {
        case .mgda: break
        case .chebyshev: seedOptions.method = .chebyshev(weights)
        case .weightedSum: seedOptions.method = .weightedSum(weights)
        }
        options.seedOptimize = seedOptions

        let clock = Date()
        let objective = try ParetoObjective(benchmark, bounds: benchmark.bounds)
        let (seedState, seedOptimization) = try ParetoExpansion.start(objective, from: start, options: options)
        let progress = ProgressLine()
        let state = try ParetoExpansion.run(objective, state: seedState, options: options, onProgress: { update in
            progress.update(
                done: update.accepted, total: update.target, unit: "points",
                detail: update.lastResidual.map { String(format: "MINRES residual %.2e", $0) } ?? "")
        })
        progress.finish()
        let set = ContinuousParetoSet(state)
        let countsBeforeCurve = objective.counts
        let curve = try set.sampleCurve(count: curveSamples, objective: objective)
        let file = try FrontFile(
            problem: benchmark, seed: seed, method: method, reference: referencePoint, set: set, curve: curve,
            state: state, evaluations: countsBeforeCurve)

        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writeAtomically(try file.encoded(), to: directory.appendingPathComponent("front.json"))
        try writeAtomically(Data(file.csv().utf8), to: directory.appendingPathComponent("front.csv"))

        let exact = benchmark.name == "zdt2" || benchmark.name == "zdt2-variant" ? " (exact front: 1/3 = 0.333333 w.r.t. (1,1))" : ""
        print("problem:            \(benchmark.name), n = \(benchmark.parameterCount), method \(method.rawValue)")
        print(String(format: "seed stationarity:  %.3e → %.3e after %d ParetoOptimize steps",
                     seedOptimization.initialStationarity, seedOptimization.point.stationarity, seedOptimization.iterations))
        print("points:             \(file.points.count) accepted of \(state.candidates) candidates (\(state.rejected) rejected)")
        print(String(format: "hypervolume:        %.6f continuous front, %.6f points alone, reference %@%@",
                     file.hypervolume, file.pointsHypervolume, formatted(referencePoint), exact))
        let frontDistance = file.points.compactMap(\.distanceToFront).max() ?? 0
        let setDistance = file.points.compactMap(\.distanceToSet).max() ?? 0
        let curveDistance = curve.map { benchmark.distanceToParetoFront($0.objectives) }.max() ?? 0
        print(String(format: "distance to front:  max %.2e (points), max %.2e (continuous curve); to Pareto set: max %.2e", frontDistance, curveDistance, setDistance))
        let minres = state.minresIterations
        if !minres.isEmpty {
            print("MINRES iterations:  mean \(String(format: "%.1f", Double(minres.reduce(0, +)) / Double(minres.count))), max \(minres.max()!)")
        }
        print("evaluations:        \(countsBeforeCurve.objectives) objectives, \(countsBeforeCurve.gradients) gradients, \(countsBeforeCurve.hvps) HVPs (+\(curveSamples) objective evaluations for the curve)")
        print(String(format: "time:               %.2f s", Date().timeIntervalSince(clock)))
        print("wrote:              \(directory.appendingPathComponent("front.json").path), front.csv")
    }
}

extension DirectionMethod: ExpressibleByArgument {}

/// `--method`: the direction methods of Algorithm 1 and the weighted-sum baseline (networks).
enum ExpandMethod: String, ExpressibleByArgument, CaseIterable {
    case tangent, gradient
    case weightedSum = "weighted-sum"

    /// The direction method of Algorithm 1 (weighted-sum runs never make directions).
    var directionMethod: DirectionMethod { self == .gradient ? .gradient : .tangent }
}
extension Steering: ExpressibleByArgument {}

/// ParetoOptimize methods for the seed, as command-line values.
enum SeedMethod: String, ExpressibleByArgument, CaseIterable {
    case mgda, chebyshev
    case weightedSum = "weighted-sum"
}

/// `--optimize-method` for networks.
enum NetworkOptimizeMethod: String, ExpressibleByArgument, CaseIterable {
    case mgda
    case weightedSum = "weighted-sum"
}

/// `--engine`.
enum NetworkEngine: String, ExpressibleByArgument, CaseIterable {
    case fused, tape
}

/// The options of `pareto expand` that only networks use.
struct NetworkExpandOptions: ParsableArguments {
    @Option(help: "Data set: \(CompositeDataset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: CompositeDataset = .multimnist

    @Option(help: "Training composites the objectives average over (default: one per training digit).")
    var trainSize: Int?

    @Option(help: "Test composites (default: one per test digit).")
    var testSize: Int?

    @Option(help: "Directory of MNIST / Fashion-MNIST IDX files (default: see docs/training.md).")
    var data: String?

    @Option(help: "Seed of the composites (default: the checkpoint's training seed, else 1), so the training split is the one the network was trained on.")
    var dataSeed: UInt64?

    @Option(help: "Images of the Hessian-vector-product mini-batch (a seeded subset of the training split; the reference uses 2048).")
    var hvpBatch = 2048

    @Option(help: "Images per chunk of the training-set gradient (memory).")
    var chunkSize = 1024

    @Option(help: "ParetoOptimize after each step: mgda or weighted-sum (equal weights).")
    var optimizeMethod: NetworkOptimizeMethod = .mgda

    @Option(help: "ParetoOptimize steps at most for the seed before expanding.")
    var seedSteps = 50

    @Option(help: "Default hypervolume reference: this factor times the input network's test loss (unless --reference).")
    var referenceScale = 2.0

    @Option(help: "Weighted-sum baseline: gradient steps in all (default: the cap of a tangent run, (N-1)(k + optimize steps + 1)).")
    var budget: Int?

    @Option(help: "Weighted-sum baseline: gradient-descent learning rate.")
    var weightedSumStepSize = 0.01

    @Option(help: "Differentiation engine: fused (hand-differentiated kernels of MultiLeNet and MiniLeNet) or tape (the autodiff tape). Default: fused.")
    var engine: NetworkEngine?

    @Flag(help: "Continue the interrupted run in --out (same options).")
    var resume = false

    @Option(help: "With --from RUN_DIR: write the model at t ∈ [-1, 1] of the run's continuous chain ('t=0.3' or '0.3') to --out FILE.safetensors.")
    var at: String?

    func validate() throws {
        if let trainSize, trainSize < 1 { throw ValidationError("--train-size must be at least 1") }
        if let testSize, testSize < 1 { throw ValidationError("--test-size must be at least 1") }
        guard hvpBatch >= 1 else { throw ValidationError("--hvp-batch must be at least 1") }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be at least 1") }
        guard seedSteps >= 0 else { throw ValidationError("--seed-steps must be non-negative") }
        guard referenceScale > 0 else { throw ValidationError("--reference-scale must be positive") }
        if let budget, budget < 1 { throw ValidationError("--budget must be at least 1") }
        guard weightedSumStepSize > 0 else { throw ValidationError("--weighted-sum-step-size must be positive") }
    }

    /// `t` from `t=0.3` or `0.3`.
    var parsedT: Double? {
        guard let at else { return nil }
        let text = at.hasPrefix("t=") ? String(at.dropFirst(2)) : at
        return Double(text.trimmingCharacters(in: .whitespaces))
    }
}

extension ExpandCommand {
    /// The architecture recorded in a checkpoint or front file (MultiLeNet if none).
    static func architecture(ofCheckpoint path: String) throws -> String {
        let file = try SafetensorsFile.read(from: URL(fileURLWithPath: path))
        return file.metadata["architecture"] ?? MultiLeNet().architecture
    }

    /// `pareto expand --from FILE.safetensors …`: Algorithm 1 on the network.
    func runNetwork() throws {
        switch try Self.architecture(ofCheckpoint: from) {
        case MiniLeNet().architecture: try runNetwork(MiniLeNet())
        case MultiLeNet().architecture: try runNetwork(MultiLeNet())
        case let other: throw ValidationError("--from \(from): architecture \(other) is not supported (MultiLeNet, MiniLeNet)")
        }
    }

    private func runNetwork<Model: MultiTaskModel>(_ model: Model) throws {
        let clock = Date()
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: from), model: model)
        let selection = try loadSelection(network.dataset, data: network.data)
        let dataSeed = network.dataSeed ?? checkpoint.metadata.seed ?? 1
        let side = model.inputShape.last!
        let (train, test) = try selection.multiDigitSplits(
            trainCount: network.trainSize, testCount: network.testSize, seed: dataSeed, side: side)
        let engine = network.engine ?? .fused
        let factory: NetworkLossFactory = engine == .tape ? .tape(model) : model is MiniLeNet ? .miniLeNet : .fusedMultiLeNet
        // The fused kernel runs its shards on every core itself; multi-threaded BLAS outside it
        // (MINRES's vector operations) would only leave OpenBLAS's workers spinning beside it.
        if engine == .fused { BLASThreads.set(1) }
        let data = try NetworkObjectiveData(
            model: model, train: train, test: test, hvpBatchSize: network.hvpBatch, hvpSeed: seed, chunkSize: network.chunkSize,
            factory: factory)

        var options = NetworkExpansionOptions()
        options.method = NetworkExpansionMethod(rawValue: method.rawValue)!
        options.expansion.directions = directions
        options.expansion.points = points
        options.expansion.stepSize = resolved(stepSize, problem: 0.05, network: 0.1)
        options.expansion.direction = DirectionOptions(
            method: method.directionMethod, minresIterations: minresIterations, minresTolerance: minresTolerance,
            damping: resolved(damping, problem: 0, network: 0.1))
        let tolerance = resolved(stationarityTolerance, problem: 1e-8, network: 0.05)
        options.expansion.optimize = ParetoOptimizeOptions(
            method: network.optimizeMethod == .mgda ? .mgda : .weightedSum([Double](repeating: 1 / Double(model.taskCount), count: model.taskCount)),
            stepSize: resolved(optimizeStepSize, problem: 0.5, network: 0.1),
            maxIterations: resolved(optimizeSteps, problem: 200, network: 5), stationarityTolerance: 0,
            relativeStationarityTolerance: tolerance)
        options.expansion.steering = steering
        options.expansion.seed = seed
        options.seedStationarityTolerance = tolerance
        options.seedSteps = network.seedSteps
        options.curveSamples = resolved(curveSamples, problem: 1001, network: 21)
        options.reference = reference?.values
        options.referenceScale = network.referenceScale
        options.weightedSumBudget = network.budget
        options.weightedSumStepSize = network.weightedSumStepSize
        if let reference, reference.values.count != model.taskCount {
            throw ValidationError("--reference has \(reference.values.count) values, the network has \(model.taskCount) tasks")
        }

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
        let result = network.resume ? try expansion.resume() : try expansion.run(from: checkpoint.parameters)
        progress.finish()
        let front = result.front
        let e = front.evaluations
        print("network:            \(model.architecture), n = \(model.layout.parameterCount), method \(method.rawValue), \(train.count) train / \(test.count) test composites, HVP batch \(data.hvpIndices.count)")
        print(String(format: "seed stationarity:  %.3e → %.3e (relative, training objectives; tolerance %.2e, %d steps at most)",
                     front.stationarity.before, front.stationarity.after, tolerance, network.seedSteps))
        print("points:             \(front.points.count) accepted of \(front.candidates) candidates (\(front.rejected) rejected)")
        print(String(format: "test hypervolume:   %.6f before → %.6f after (points alone %.6f), reference %@ (%@)",
                     front.hypervolumeBefore, front.hypervolumeAfter, front.pointsHypervolume, formatted(front.reference), front.referenceRule))
        let minres = front.timing.minresIterations
        if !minres.isEmpty {
            print("MINRES iterations:  mean \(String(format: "%.1f", Double(minres.reduce(0, +)) / Double(minres.count))), max \(minres.max()!)")
        }
        print("evaluations:        \(e.objectives) objectives, \(e.gradients) gradients, \(e.hvps) HVPs (total \(e.total))")
        let steps = front.timing.stepSeconds.dropFirst()
        print(String(format: "time:               %.1f s in all (this process %.1f s); per accepted point %.1f s; gradient %.3f s, HVP %.3f s (means)",
                     front.timing.totalSeconds, Date().timeIntervalSince(clock),
                     steps.isEmpty ? 0.0 : steps.reduce(0, +) / Double(steps.count), front.timing.gradientSecondsMean, front.timing.hvpSecondsMean))
        print("wrote:              \(directory.path)/front.json, front.csv, state.json, points/")
    }

    /// `pareto expand --from RUN_DIR --at t=… --out FILE.safetensors`.
    func materialize(at _: String) throws {
        guard let t = network.parsedT else { throw ValidationError("--at must be t=VALUE or VALUE with VALUE in [-1, 1], got '\(network.at!)'") }
        let directory = URL(fileURLWithPath: from, isDirectory: true)
        let front = try NetworkRun.front(in: directory)
        switch front.architecture {
        case MiniLeNet().architecture: try materialize(MiniLeNet(), t: t, directory: directory, front: front)
        case MultiLeNet().architecture: try materialize(MultiLeNet(), t: t, directory: directory, front: front)
        case let other: throw ValidationError("\(from): architecture \(other) is not supported")
        }
    }

    private func materialize<Model: MultiTaskModel>(_ model: Model, t: Double, directory: URL, front: NetworkFrontFile) throws {
        let x = try NetworkRun.parameters(at: t, in: directory, model: model)
        let metadata = CheckpointMetadata(
            architecture: model.architecture, method: "expand-\(front.method)-at", seed: front.seed,
            other: ["t": "\(t)", "run": directory.path])
        // Networks compute in Float32; the interpolated parameters are stored as such.
        let checkpoint = try Checkpoint(
            layout: model.layout, parameters: x.map { Double(Float($0)) }, precision: .float32, metadata: metadata)
        try checkpoint.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(model.architecture) at t = \(t) of \(directory.path)")
    }
}
