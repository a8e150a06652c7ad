import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --problem NAME --from x1,…,xn …`: ``AnalyticRun`` on the problem, front
    /// files in `--out`, a summary on standard output.
    /// The problem, the start (inside its box) and the run options of an analytic run.
    func analyticSetup(_ problemName: String) throws -> (benchmark: any BenchmarkProblem, start: [Double], options: AnalyticRunOptions) {
        let benchmark = try Problems.named(problemName, dimension: dimension)
        guard var start = RealList(argument: from)?.values else {
            throw ValidationError("--from must be a comma-separated point x1,…,xn for --problem, got '\(from)'")
        }
        if start.count < benchmark.parameterCount {
            start += [Double](repeating: 0, count: benchmark.parameterCount - start.count)
        }
        guard start.count == benchmark.parameterCount else {
            throw ValidationError("--from has \(start.count) values, \(benchmark.name) has \(benchmark.parameterCount) variables")
        }
        start = try Self.insideBox(start, of: benchmark, clip: clip, option: "--from")
        if let reference, reference.values.count != benchmark.objectiveCount {
            throw ValidationError("--reference has \(reference.values.count) values, \(benchmark.name) has \(benchmark.objectiveCount) objectives")
        }
        var options = AnalyticRunOptions()
        options.expansion = expansionOptions(objectiveCount: benchmark.objectiveCount)
        let weights = seedWeights?.values ?? [Double](repeating: 1 / Double(benchmark.objectiveCount), count: benchmark.objectiveCount)
        var seedOptions = options.expansion.optimize
        switch seedMethod {
        case .mgda: break
        case .chebyshev: seedOptions.method = .chebyshev(weights)
        case .weightedSum: seedOptions.method = .weightedSum(weights)
        }
        options.expansion.seedOptimize = seedOptions
        options.curveSamples = resolved(curveSamples, problem: 1001, network: 21)
        options.reference = reference?.values
        return (benchmark, start, options)
    }

    func runAnalytic(_ problemName: String) throws {
        let (benchmark, start, options) = try analyticSetup(problemName)
        let clock = Date()
        let progress = ProgressLine()
        let result = try AnalyticRun.run(
            benchmark, name: benchmark.name, bounds: benchmark.bounds, knownSet: benchmark, from: start, options: options,
            onProgress: { update in
                progress.update(
                    done: update.accepted, total: update.target, unit: "points",
                    detail: update.lastResidual.map { String(format: "MINRES residual %.2e", $0) } ?? "")
            })
        progress.finish()
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try result.front.write(to: directory)

        let file = result.front, state = result.state, seedOptimization = result.seedOptimization
        let exact = benchmark.name == "zdt2" || benchmark.name == "zdt2-variant" ? " (exact front: 1/3 = 0.333333 w.r.t. (1,1))" : ""
        print("problem:            \(benchmark.name), n = \(benchmark.parameterCount), method \(file.method)")
        print(String(format: "seed stationarity:  %.3e → %.3e after %d ParetoOptimize steps",
                     seedOptimization.initialStationarity, seedOptimization.point.stationarity, seedOptimization.iterations))
        print("points:             \(file.points.count) accepted of \(state.candidates) candidates (\(state.rejected) rejected)")
        print(String(format: "hypervolume:        %.6f continuous front, %.6f points alone, reference %@%@",
                     file.hypervolume, file.pointsHypervolume, formatted(file.reference), exact))
        let frontDistance = file.points.compactMap(\.distanceToFront).max() ?? 0
        let setDistance = file.points.compactMap(\.distanceToSet).max() ?? 0
        let curveDistance = result.curve.map { benchmark.distanceToParetoFront($0.objectives) }.max() ?? 0
        print(String(format: "distance to front:  max %.2e (points), max %.2e (continuous curve); to Pareto set: max %.2e", frontDistance, curveDistance, setDistance))
        let minres = state.minresIterations
        if !minres.isEmpty {
            print("MINRES iterations:  mean \(String(format: "%.1f", Double(minres.reduce(0, +)) / Double(minres.count))), max \(minres.max()!)")
        }
        let e = file.evaluations
        print("evaluations:        \(e.objectives) objectives, \(e.gradients) gradients, \(e.hvps) HVPs (+\(result.curveEvaluations.objectives) objective evaluations for the curve)")
        print(String(format: "time:               %.2f s", Date().timeIntervalSince(clock)))
        print("wrote:              \(directory.appendingPathComponent("front.json").path), front.csv")
    }

    /// `x` if it lies in `problem`'s box; with `clip`, its projection onto the box (said on
    /// standard error); otherwise a usage error naming the first coordinate outside.
    static func insideBox(_ x: [Double], of problem: any BenchmarkProblem, clip: Bool, option: String) throws -> [Double] {
        guard let bounds = problem.bounds,
              let i = x.indices.first(where: { x[$0] < bounds.lower[$0] || x[$0] > bounds.upper[$0] })
        else { return x }
        guard clip else {
            throw ValidationError(
                "\(option): x\(i + 1) = \(x[i]) is outside \(problem.name)'s box [\(bounds.lower[i]), \(bounds.upper[i])]; pass --clip to project the point onto the box")
        }
        let projected = x.indices.map { min(max(x[$0], bounds.lower[$0]), bounds.upper[$0]) }
        FileHandle.standardError.write(Data("note: \(option) projected onto \(problem.name)'s box (--clip)\n".utf8))
        return projected
    }
}
