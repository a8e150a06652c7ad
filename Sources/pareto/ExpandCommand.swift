import ArgumentParser
import Foundation
import ParetoKit

/// `pareto expand`: Algorithm 1 of Ma et al. on an analytic problem.
struct ExpandCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Grow a continuous Pareto set from one point by second-order tangent expansion.",
        discussion: """
            Analytic problems: pareto expand --problem zdt2 --dimension 3 --from 0.5,0,0 --directions 1 \\
              --points 20 --step-size 0.05 --minres-iterations 50 --seed 1 --out run/
            writes run/front.json and run/front.csv and prints a summary.
            """)

    @Option(help: "Analytic problem: \(Problems.names.joined(separator: ", ")).")
    var problem: String?

    @Option(help: "Number of variables n for the ZDT family.")
    var dimension: Int?

    @Option(help: "Start: a point x1,…,xn for --problem, brought to the front first (a shorter list is padded with zeros).")
    var from: String

    @Option(help: "Directions method: tangent (MINRES on the tangent system) or gradient (the paper's comparison).")
    var method: DirectionMethod = .tangent

    @Option(help: "K: directions per expanded point.")
    var directions = 1

    @Option(help: "N: accepted points to collect, the seed included.")
    var points = 20

    @Option(help: "s: step length along each unit direction.")
    var stepSize = 0.05

    @Option(help: "k: MINRES iteration cap.")
    var minresIterations = 50

    @Option(help: "MINRES relative tolerance.")
    var minresTolerance = 1e-5

    @Option(help: "Damping δ: solve (H + δI) v = rhs.")
    var damping = 0.0

    @Option(help: "Chain steering: both-ways (m = 2) or none.")
    var steering: Steering = .bothWays

    @Option(help: "ParetoOptimize: maximum steps after each expansion step.")
    var optimizeSteps = 200

    @Option(help: "ParetoOptimize: initial step length (halved until every objective decreases).")
    var optimizeStepSize = 0.5

    @Option(help: "ParetoOptimize: stationarity tolerance on ‖Σ α*ᵢ ∇fᵢ‖.")
    var stationarityTolerance = 1e-8

    @Option(help: "ParetoOptimize of the seed: mgda, chebyshev or weighted-sum.")
    var seedMethod: SeedMethod = .mgda

    @Option(help: "Weights of a chebyshev or weighted-sum seed optimisation (default: equal).")
    var seedWeights: RealList?

    @Option(help: "Hypervolume reference point r1,…,rm (default: 1,…,1 for ZDT problems).")
    var reference: RealList?

    @Option(help: "Samples of the continuous front (evenly spaced t in [-1, 1]).")
    var curveSamples = 1001

    @Option(help: "Seed of the random β draws (runs are reproducible bit-for-bit).")
    var seed: UInt64 = 1

    @Option(help: "Output directory (created if needed).")
    var out: String

    func validate() throws {
        guard directions >= 1 else { throw ValidationError("--directions must be at least 1") }
        guard points >= 1 else { throw ValidationError("--points must be at least 1") }
        guard stepSize > 0, stepSize.isFinite else { throw ValidationError("--step-size must be positive") }
        guard minresIterations >= 1 else { throw ValidationError("--minres-iterations must be at least 1") }
        guard damping >= 0 else { throw ValidationError("--damping must be non-negative") }
        guard curveSamples >= 2 else { throw ValidationError("--curve-samples must be at least 2") }
        guard optimizeSteps >= 0 else { throw ValidationError("--optimize-steps must be non-negative") }
        guard problem != nil else {
            throw ValidationError("--problem is required: expanding trained checkpoints (--from FILE.safetensors) is not available in this version")
        }
    }

    func run() throws {
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
extension Steering: ExpressibleByArgument {}

/// ParetoOptimize methods for the seed, as command-line values.
enum SeedMethod: String, ExpressibleByArgument, CaseIterable {
    case mgda, chebyshev
    case weightedSum = "weighted-sum"
}
