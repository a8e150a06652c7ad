import ArgumentParser
import Foundation
import ParetoKit

/// `pareto-bench zdt2`: evaluations and wall time for a tangent expansion to reach 99 % of
/// the exact hypervolume of ZDT2 (1/3 w.r.t. (1, 1)) with its continuous curve, from a random
/// start (ParetoOptimize first, then expand).
struct ZDT2Benchmark: ParsableCommand {
    /// `--seed-method`: how the random start is brought to the front (an unknown value is a
    /// usage error, not silently MGDA).
    enum SeedOptimization: String, ExpressibleByArgument, CaseIterable {
        case chebyshev, mgda
    }

    static let configuration = CommandConfiguration(
        commandName: "zdt2",
        abstract: "Evaluations to reach 0.99 of ZDT2's exact hypervolume from a random start.")

    @Option(help: "Number of variables.") var dimension = 30
    @Option(help: "Step length s.") var stepSize = 0.1
    @Option(help: "Random starts (seeds 1…N), each reported.") var starts = 5
    @Option(help: "Seed optimisation: chebyshev (weights 0.5, 0.5) or mgda.") var seedMethod: SeedOptimization = .chebyshev
    @Flag(help: "End with one JSON line.") var json = false

    func run() throws {
        let problem = try ZDT(.zdt2, dimension: dimension)
        let target = 0.99 / 3
        var rows: [[String: Any]] = []
        print(blasReportLine())
        for start in 1...starts {
            var generator = SeededGenerator(seed: UInt64(start))
            let x0 = (0..<dimension).map { _ in generator.unitDouble() }
            var options = ExpansionOptions()
            options.points = 200
            options.stepSize = stepSize
            options.direction = DirectionOptions(method: .tangent, minresIterations: 50, minresTolerance: 1e-10)
            options.optimize = ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 200, stationarityTolerance: 1e-8)
            var seedOptions = options.optimize
            if seedMethod == .chebyshev { seedOptions.method = .chebyshev([0.5, 0.5]) }
            options.seedOptimize = seedOptions

            let objective = try ParetoObjective(problem, bounds: problem.bounds)
            let measurement = try ParetoObjective(problem, bounds: problem.bounds)
            let clock = Date()
            var measuringSeconds = 0.0
            var reached: (points: Int, counts: EvaluationCounts, seconds: Double, hypervolume: Double)? = nil
            let (seedState, _) = try ParetoExpansion.start(objective, from: x0, options: options)
            struct Reached: Error {}
            do {
                _ = try ParetoExpansion.run(objective, state: seedState, options: options, onAccept: { state in
                    let measureStart = Date()
                    let curve = try ContinuousParetoSet(state).sampleCurve(count: 1001, objective: measurement)
                    let hypervolume = try Hypervolume.compute(curve.map(\.objectives), reference: [1, 1])
                    measuringSeconds += Date().timeIntervalSince(measureStart)
                    if hypervolume >= target {
                        reached = (state.points.count, objective.counts, Date().timeIntervalSince(clock) - measuringSeconds, hypervolume)
                        throw Reached()
                    }
                })
            } catch is Reached {}
            if let reached {
                print(String(format: "start %d: 0.99 reached with %d points, %d evaluations (%d objectives, %d gradients, %d HVPs), %.1f ms, HV %.6f",
                             start, reached.points, reached.counts.total, reached.counts.objectives, reached.counts.gradients,
                             reached.counts.hvps, reached.seconds * 1e3, reached.hypervolume))
                rows.append(["start": start, "points": reached.points, "evaluations": reached.counts.total,
                             "objectives": reached.counts.objectives, "gradients": reached.counts.gradients,
                             "hvps": reached.counts.hvps, "ms": rounded(reached.seconds * 1e3, 2), "hypervolume": reached.hypervolume])
            } else {
                print("start \(start): 0.99 not reached (\(objective.counts.total) evaluations)")
                rows.append(["start": start, "reached": false, "evaluations": objective.counts.total])
            }
        }
        let evaluations = rows.compactMap { $0["points"] != nil ? $0["evaluations"] as? Int : nil }
        if !evaluations.isEmpty {
            print("evaluations to 0.99: max \(evaluations.max()!), median \(evaluations.sorted()[evaluations.count / 2]) (NSGA-II needs ~13,500 to reach 0.95)")
        }
        if json {
            print(jsonLine(["dimension": dimension, "step_size": stepSize, "seed_method": seedMethod.rawValue, "runs": rows,
                            "max_evaluations": evaluations.max() ?? -1]))
        }
    }
}
