import ArgumentParser
import Foundation
import ParetoKit

/// `pareto expand`: Algorithm 1 of Ma et al. on an analytic problem (ExpandAnalytic.swift), on
/// a trained network (`--from FILE.safetensors`, ExpandNetwork.swift), or the model at `t` of a
/// finished network run (`--at`, ExpandMaterialize.swift).
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

    @Option(parsing: .unconditional, help: "Number of variables n for the ZDT family.")
    var dimension: Int?

    @Option(parsing: .unconditional, help: "Start: a point x1,…,xn for --problem, brought to the front first (a shorter list is padded with zeros); a network checkpoint FILE.safetensors; or a run directory with --at.")
    var from: String

    @Option(help: "Method: tangent (MINRES on the tangent system) or gradient (the paper's comparison); hybrid (a PaLoRA segment — for problems a linear family x(λ) — plus tangent chains from the seed and the segment's ends, stitched; see docs/stitching.md); networks also weighted-sum (the necessity-test baseline) and palora (low-rank adapters trained around the checkpoint, Dimitriadis et al. §5.4).")
    var method: ExpandMethod = .tangent

    @Option(parsing: .unconditional, help: "K: directions per expanded point.")
    var directions = 1

    @Option(parsing: .unconditional, help: "N: accepted points to collect, the seed included.")
    var points = 20

    @Option(parsing: .unconditional, help: "s: step length along each unit direction (default 0.05 for problems, 0.1 for networks).")
    var stepSize: Double?

    @Option(parsing: .unconditional, help: "k: MINRES iteration cap.")
    var minresIterations = 50

    @Option(parsing: .unconditional, help: "MINRES relative tolerance.")
    var minresTolerance = 1e-5

    @Option(parsing: .unconditional, help: "Damping δ: solve (H + δI) v = rhs (default 0 for problems, 0.1 for networks).")
    var damping: Double?

    @Option(help: "Chain steering: both-ways (m = 2) or none.")
    var steering: Steering = .bothWays

    @Option(parsing: .unconditional, help: "ParetoOptimize: maximum steps after each expansion step (default 200 for problems, 5 for networks; the minibatch methods take exactly this many).")
    var optimizeSteps: Int?

    @Option(parsing: .unconditional, help: "ParetoOptimize: step length; full-set steps start with it and halve it until every objective decreases, mini-batch steps use it as the fixed SGD learning rate. Default 0.5 for problems; networks 0.01 for the minibatch methods, 0.1 for mgda and weighted-sum.")
    var optimizeStepSize: Double?

    @Option(parsing: .unconditional, help: "ParetoOptimize: stationarity tolerance; problems: on ‖Σ α*ᵢ ∇fᵢ‖ (default 1e-8); networks: on the relative stationarity ‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖ measured on the full training objectives, which the seed must reach (see --seed-steps, --force) and which ends the full-set methods' steps after each expansion step early (default 0.05).")
    var stationarityTolerance: Double?

    @Option(help: "ParetoOptimize of the seed: mgda, chebyshev or weighted-sum.")
    var seedMethod: SeedMethod = .mgda

    @Option(parsing: .unconditional, help: "Weights of a chebyshev or weighted-sum seed optimisation (default: equal).")
    var seedWeights: RealList?

    @Option(parsing: .unconditional, help: "Hypervolume reference point r1,…,rm (default: 1,…,1 for ZDT problems).")
    var reference: RealList?

    @Option(parsing: .unconditional, help: "Samples of the continuous front, evenly spaced t in [-1, 1] (default 1001 for problems, 21 for networks, each a test evaluation).")
    var curveSamples: Int?

    @Flag(help: "Write the run's HTML report (RUN_DIR/report/report.html, see pareto report) at the end.")
    var report = false

    @Flag(help: "Analytic problems: project a --from point outside the problem's box onto it (with a note) instead of refusing it.")
    var clip = false

    @Option(parsing: .unconditional, help: "Seed of the random β draws (runs are reproducible bit-for-bit).")
    var seed: UInt64 = 1

    @Option(help: "Output directory (created if needed); with --at, the checkpoint file to write.")
    var out: String

    @OptionGroup(title: "Networks: data (--from FILE.safetensors)")
    var dataOptions: DataOptions

    @OptionGroup(title: "Networks (--from FILE.safetensors)")
    var network: NetworkExpandOptions

    @OptionGroup(title: "PaLoRA (--method palora)")
    var palora: PaLoRAOptions

    @OptionGroup(title: "PaLoRA training (--method palora)")
    var paloraTraining: PaLoRATrainingOptions

    @OptionGroup(title: "Hybrid (--method hybrid)")
    var hybrid: HybridOptions

    /// What the command does, from `--problem`, `--from` and `--at`.
    enum Mode {
        /// Algorithm 1 on an analytic problem.
        case analytic(problem: String)
        /// Algorithm 1 on the network in a checkpoint file.
        case network(checkpoint: String)
        /// The model at `t` of a finished network run.
        case materialize(run: String, at: FamilyCoordinate)
    }

    /// The mode, or a usage error naming the options that conflict.
    func mode() throws -> Mode {
        if let problem {
            guard network.at == nil else { throw ValidationError("--at reads a finished run: give --from RUN_DIR without --problem") }
            return .analytic(problem: problem)
        }
        if let at = network.at {
            guard let coordinate = NetworkExpandOptions.parseCoordinate(at) else {
                throw ValidationError("--at must be t=VALUE (a chain, VALUE in [-1, 1]), lambda=VALUE (a PaLoRA segment, VALUE in [0, 1]) or VALUE, got '\(at)'")
            }
            return .materialize(run: from, at: coordinate)
        }
        guard from.hasSuffix(".safetensors") else {
            throw ValidationError("give --problem NAME for an analytic problem, or --from FILE.safetensors for a network (got --from \(from))")
        }
        return .network(checkpoint: from)
    }

    /// Whether the command works on a network checkpoint or run rather than an analytic problem.
    var isNetwork: Bool { problem == nil }

    /// The value of an option with a mode-dependent default.
    func resolved<T>(_ value: T?, problem analytic: T, network: T) -> T { value ?? (isNetwork ? network : analytic) }

    func validate() throws {
        try Check.count(directions, "--directions", atLeast: 1, atMost: 1_000)
        try Check.count(points, "--points", atLeast: 1, atMost: 100_000)
        try Check.positive(resolved(stepSize, problem: 0.05, network: 0.1), "--step-size")
        try Check.count(minresIterations, "--minres-iterations", atLeast: 1, atMost: 100_000)
        try Check.positive(minresTolerance, "--minres-tolerance")
        try Check.nonNegative(resolved(damping, problem: 0, network: 0.1), "--damping")
        try Check.count(resolved(curveSamples, problem: 1001, network: 21), "--curve-samples", atLeast: 2, atMost: 1_000_000)
        try Check.count(resolved(optimizeSteps, problem: 200, network: 5), "--optimize-steps", atLeast: 0, atMost: 1_000_000)
        try Check.positive(resolved(optimizeStepSize, problem: 0.5, network: 0.1), "--optimize-step-size")
        try Check.nonNegative(resolved(stationarityTolerance, problem: 1e-8, network: 0.05), "--stationarity-tolerance")
        if let seedWeights, seedWeights.values.contains(where: { $0 < 0 }) || seedWeights.values.allSatisfy({ $0 == 0 }) {
            throw ValidationError("--seed-weights must be non-negative and not all zero, got \(seedWeights)")
        }
        if method != .hybrid && !hybrid.isDefault {
            throw ValidationError("--hybrid-steps, --hybrid-step-size and --gap-tolerance go with --method hybrid")
        }
        switch try mode() {
        case .analytic:
            if method != .hybrid {
                guard palora.isDefault else { throw ValidationError("the PaLoRA schedule options (--rays, --schedule, …) go with --method hybrid for problems") }
            }
            guard paloraTraining.isDefault else { throw ValidationError("the PaLoRA training options (--epochs, --learning-rate, …) train networks") }
            guard method != .palora else { throw ValidationError("--method palora trains adapters of a network: give --from FILE.safetensors") }
            guard method != .weightedSum else { throw ValidationError("--method weighted-sum is the network baseline; use tangent or gradient with --problem") }
            guard !network.resume else { throw ValidationError("--resume continues a network run; analytic runs are rerun (they take seconds)") }
        case .network:
            guard seedMethod == .mgda, seedWeights == nil else {
                throw ValidationError("--seed-method and --seed-weights apply to analytic problems; a network seed is brought to the front by MGDA (--seed-steps)")
            }
            guard !clip else { throw ValidationError("--clip applies to analytic problems (a box-constrained start)") }
            if method != .palora && method != .hybrid {
                guard palora.isDefault, paloraTraining.isDefault else {
                    throw ValidationError("the PaLoRA options (--rank, --scale, --rays, --adapt, --schedule, --epochs, …) go with --method palora")
                }
            } else {
                guard !network.resume || method == .hybrid else { throw ValidationError("--method palora runs are not resumable (they take minutes); run again") }
            }
            guard !(method == .hybrid && network.resume) else {
                throw ValidationError("--method hybrid continues the run in --out by itself (finished parts are kept, an interrupted tangent part resumed): drop --resume")
            }
            try network.validate()
        case .materialize:
            guard !report else { throw ValidationError("--report goes with a run, not with --at") }
        }
    }

    /// The paths of the mode, checked before any data is loaded or anything is computed.
    func checkPaths() throws {
        switch try mode() {
        case .analytic: try Check.outputDirectory(out, "--out")
        case .network(let checkpoint):
            try Check.inputFile(checkpoint, "--from")
            try Check.outputDirectory(out, "--out")
        case .materialize: try Check.outputFile(out, "--out")
        }
    }

    func run() throws {
        try checkPaths()
        let mode = try mode()
        try run(mode)
        if case .materialize = mode { return }
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try RunProvenance.current.write(to: directory)
        if report { print("report:             \(try ReportCommand.write(run: directory).path)") }
    }

    private func run(_ mode: Mode) throws {
        switch mode {
        case .analytic(let problem): try method == .hybrid ? runAnalyticHybrid(problem) : runAnalytic(problem)
        case .network(let checkpoint):
            switch method {
            case .palora: try runPaLoRA(checkpoint)
            case .hybrid: try runNetworkHybrid(checkpoint)
            default: try runNetwork(checkpoint)
            }
        case .materialize(let run, let coordinate): try materialize(run: run, at: coordinate)
        }
    }

    /// Algorithm 1's options from the command line (mode-dependent defaults resolved).
    func expansionOptions(objectiveCount m: Int) -> ExpansionOptions {
        var options = ExpansionOptions()
        options.directions = directions
        options.points = points
        options.stepSize = resolved(stepSize, problem: 0.05, network: 0.1)
        options.direction = DirectionOptions(
            method: method.directionMethod, minresIterations: minresIterations, minresTolerance: minresTolerance,
            damping: resolved(damping, problem: 0, network: 0.1))
        options.optimize = ParetoOptimizeOptions(
            method: .mgda, stepSize: resolved(optimizeStepSize, problem: 0.5, network: network.optimizeMethod.isMiniBatch ? 0.01 : 0.1),
            maxIterations: resolved(optimizeSteps, problem: 200, network: 5),
            stationarityTolerance: resolved(stationarityTolerance, problem: 1e-8, network: 0.05))
        options.steering = steering
        options.seed = seed
        return options
    }
}

extension DirectionMethod: ExpressibleByArgument {}

/// `--method`: the direction methods of Algorithm 1 and the weighted-sum baseline (networks).
enum ExpandMethod: String, ExpressibleByArgument, CaseIterable {
    case tangent, gradient
    case weightedSum = "weighted-sum"
    /// PaLoRA adapters trained around the checkpoint (Dimitriadis et al. §5.4).
    case palora
    /// A PaLoRA segment (problems: a linear family) plus tangent chains from the seed and the
    /// segment's ends, stitched into one front.
    case hybrid

    /// The direction method of Algorithm 1 (weighted-sum runs never make directions).
    var directionMethod: DirectionMethod { self == .gradient ? .gradient : .tangent }
}
extension Steering: ExpressibleByArgument {}
extension WeightedSumOptimizer: ExpressibleByArgument {}

/// ParetoOptimize methods for the seed, as command-line values.
enum SeedMethod: String, ExpressibleByArgument, CaseIterable {
    case mgda, chebyshev
    case weightedSum = "weighted-sum"
}

/// `--optimize-method` for networks: ParetoOptimize after each expansion step.
enum NetworkOptimizeMethod: String, ExpressibleByArgument, CaseIterable {
    /// A fixed number of SGD steps on mini-batches with per-batch MGDA min-norm weights (the default).
    case minibatchMGDA = "minibatch-mgda"
    /// A fixed number of SGD steps on mini-batches of the equal-weight sum.
    case minibatchWeightedSum = "minibatch-weighted-sum"
    /// Full-set MGDA steps with Armijo halving (the earlier default).
    case mgda
    /// Full-set equal-weight gradient steps with Armijo halving.
    case weightedSum = "weighted-sum"

    /// Whether the steps are taken on mini-batches.
    var isMiniBatch: Bool { self == .minibatchMGDA || self == .minibatchWeightedSum }
    /// Whether the steps descend the equal-weight sum rather than by MGDA.
    var isWeightedSum: Bool { self == .weightedSum || self == .minibatchWeightedSum }
}

/// The options of `pareto expand` that only networks use.
struct NetworkExpandOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed of the composites (default: the checkpoint's training seed, else 1), so the training split is the one the network was trained on.")
    var dataSeed: UInt64?

    @Option(parsing: .unconditional, help: "Images of the Hessian-vector-product mini-batch (a seeded subset of the training split; the reference uses 2048).")
    var hvpBatch = 2048

    @Option(parsing: .unconditional, help: "Images per chunk of the training-set gradient (memory).")
    var chunkSize = 1024

    @Option(help: "ParetoOptimize after each step: minibatch-mgda (--optimize-steps SGD steps of --optimize-step-size on mini-batches of --optimize-batch composites, min-norm weights per batch), minibatch-weighted-sum (the same on the equal-weight sum), mgda or weighted-sum (full-set steps with Armijo halving, the earlier behaviour).")
    var optimizeMethod: NetworkOptimizeMethod = .minibatchMGDA

    @Option(parsing: .unconditional, help: "Mini-batch ParetoOptimize: composites per mini-batch (a seeded draw from the training split for every step).")
    var optimizeBatch = 256

    @Option(parsing: .unconditional, help: "ParetoOptimize steps at most for the seed before expanding (MGDA; mini-batch steps with the minibatch methods). Default 2000 for the minibatch methods, 50 for mgda and weighted-sum.")
    var seedSteps: Int?

    @Option(parsing: .unconditional, help: "Mini-batch seed: measure the relative stationarity on the full training objectives every this many steps (one full-set gradient each) and stop once it is within --stationarity-tolerance.")
    var seedCheckEvery = 25

    @Flag(help: "Expand even if the seed's relative stationarity stays above --stationarity-tolerance after --seed-steps (a warning on stderr); without it the run stops with an error.")
    var force = false

    @Option(parsing: .unconditional, help: "Default hypervolume reference: this factor times the input network's test loss (unless --reference).")
    var referenceScale = 2.0

    @Option(parsing: .unconditional, help: "Weighted-sum baseline: gradient steps in all (mini-batch steps with --weighted-sum-optimizer sgd; default: the cap of a tangent run, (N-1)(k + optimize steps + 1)).")
    var budget: Int?

    @Option(help: "Weighted-sum baseline: gd (full-batch gradient descent) or sgd (plain SGD on seeded mini-batches of --optimize-batch composites, Ma et al. §6.1's baseline; recorded points are evaluated on the full training set outside the budget).")
    var weightedSumOptimizer: WeightedSumOptimizer = .fullBatch

    @Option(parsing: .unconditional, help: "Weighted-sum baseline: gradient-descent learning rate.")
    var weightedSumStepSize = 0.01

    @Option(help: "Differentiation engine: fused (the architecture's hand-differentiated kernel: MultiLeNet, MiniLeNet) or tape (the autodiff tape). Default: the architecture's (fused where it has a kernel).")
    var engine: LossEngine?

    @Flag(help: "Continue the interrupted run in --out (same options).")
    var resume = false

    @Option(parsing: .unconditional, help: "With --from RUN_DIR: write the model at 't=0.3' (t ∈ [-1, 1] of a tangent run's chain; '0.3' alike) or 'lambda=0.3' (preference (0.3, 0.7) of a PaLoRA run's segment) to --out FILE.safetensors.")
    var at: String?

    /// `--seed-steps`, or its default for the ParetoOptimize method.
    var resolvedSeedSteps: Int { seedSteps ?? (optimizeMethod.isMiniBatch ? 2000 : 50) }

    func validate() throws {
        try Check.count(hvpBatch, "--hvp-batch", atLeast: 1)
        try Check.count(chunkSize, "--chunk-size", atLeast: 1)
        if let seedSteps { try Check.count(seedSteps, "--seed-steps", atLeast: 0, atMost: 1_000_000) }
        try Check.count(optimizeBatch, "--optimize-batch", atLeast: 1)
        try Check.count(seedCheckEvery, "--seed-check-every", atLeast: 1, atMost: 1_000_000)
        try Check.positive(referenceScale, "--reference-scale")
        if let budget { try Check.count(budget, "--budget", atLeast: 1, atMost: 1_000_000_000) }
        try Check.positive(weightedSumStepSize, "--weighted-sum-step-size")
    }

    /// `.t(0.3)` from `t=0.3` or `0.3`, `.preference([0.3, 0.7])` from `lambda=0.3` (the weight of
    /// task 1), `nil` for anything else.
    static func parseCoordinate(_ text: String) -> FamilyCoordinate? {
        func number(_ value: Substring) -> Double? { Double(value.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil } }
        if text.hasPrefix("lambda=") { return number(text.dropFirst(7)).map { .preference([$0, 1 - $0]) } }
        if text.hasPrefix("λ=") { return number(text.dropFirst(2)).map { .preference([$0, 1 - $0]) } }
        return number(text.hasPrefix("t=") ? text.dropFirst(2) : Substring(text)).map { .t($0) }
    }
}
