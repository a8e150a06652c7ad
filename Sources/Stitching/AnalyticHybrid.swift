import Autodiff
import Expansion
import Foundation
import MultiObjective
import Problems

/// Options of ``AnalyticHybrid``.
public struct AnalyticHybridOptions: Sendable, Equatable {
    /// Each tangent chain's run (Algorithm 1, its curve samples, the reference).
    public var run = AnalyticRunOptions()
    /// The linear family's training.
    public var segment = LinearSegmentOptions()
    /// Samples of the linear family's curve (evenly spaced `λ`; `nil`: as the chains' curves).
    public var segmentSamples: Int? = nil
    /// The stitcher's options.
    public var stitch = StitchOptions()

    public init() {}
}

/// The result of ``AnalyticHybrid/run(_:from:options:directory:)``.
public struct AnalyticHybridResult: Sendable {
    /// The parts' run directories, by name (`segment`, `tangent-seed`, `tangent-lambda1`, …).
    public var parts: [String]
    /// The stitched front.
    public var stitched: StitchedRunResult
}

/// The hybrid method on an analytic problem: a linear family `x(λ) = x₀ + Σₜ λₜ dₜ` trained
/// with PaLoRA's preference schedule around the seed (``LinearSegmentTraining``), tangent
/// chains (Ma et al. 2020, Algorithm 1) from the seed and from each of the family's vertices
/// `x(eₜ)` (each brought to the front by ParetoOptimize first), and the stitch of all of them
/// (``StitchedRun``). The run directory holds one sub-directory per part (each an ordinary
/// run directory) and the stitched `front.json`; a part already written is read, not re-run.
public enum AnalyticHybrid {
    /// The part names, in the order they run: the segment, then the chains.
    public static func partNames(tasks: Int) -> [String] {
        ["segment", "tangent-seed"] + (1...tasks).map { "tangent-lambda\($0)" }
    }

    /// Runs the hybrid method.
    /// - Throws: errors of the parts and of the stitch.
    public static func run(
        _ problem: any BenchmarkProblem, from start: [Double], options: AnalyticHybridOptions, directory: URL
    ) throws -> AnalyticHybridResult {
        let m = problem.objectiveCount
        let reference = options.run.reference ?? [Double](repeating: 1, count: m)
        var runOptions = options.run
        runOptions.reference = reference
        let names = partNames(tasks: m)
        let urls = names.map { directory.appendingPathComponent($0, isDirectory: true) }
        func finished(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent("front.json").path) }

        // The chain from the seed first: its ParetoOptimize gives the segment's start.
        let seedChain: FrontFile
        if finished(urls[1]) {
            seedChain = try FrontFile.read(from: urls[1].appendingPathComponent("front.json"))
        } else {
            seedChain = try AnalyticRun.run(
                problem, name: problem.name, bounds: problem.bounds, knownSet: problem, from: start, options: runOptions).front
            try seedChain.write(to: urls[1])
        }
        guard let seed = seedChain.points.first(where: { $0.id == 0 })?.parameters else {
            throw StitchingError.notARun(path: urls[1].path, reason: "the seed chain has no seed parameters")
        }
        let segment: LinearSegment
        if finished(urls[0]) {
            segment = try LinearSegment(front: try FrontFile.read(from: urls[0].appendingPathComponent("front.json")))
        } else {
            let objective = try ParetoObjective(problem, bounds: problem.bounds)
            segment = try LinearSegmentTraining.train(objective, from: seed, options: options.segment)
            let front = try segmentFront(
                segment, problem: problem, objective: objective, samples: options.segmentSamples ?? options.run.curveSamples,
                reference: reference, seed: options.segment.seed, evaluations: objective.counts)
            try front.write(to: urls[0])
        }
        for (t, vertex) in segment.vertices.enumerated() where !finished(urls[2 + t]) {
            let chain = try AnalyticRun.run(
                problem, name: problem.name, bounds: problem.bounds, knownSet: problem, from: vertex, options: runOptions)
            try chain.front.write(to: urls[2 + t])
        }
        let families = try RunFamilies.load(from: urls)
        let stitched = try StitchedRun.stitch(
            families, reference: reference, options: options.stitch, method: "hybrid", directory: directory,
            evaluate: StitchedRun.analyticEvaluator)
        try stitched.front.write(to: directory)
        return AnalyticHybridResult(parts: names, stitched: stitched)
    }

    /// The front file of a trained linear family: its vertices `x(eₜ)` as points (with their
    /// parameters and, where the problem's set is known, distances), `f(x(λ))` at `samples`
    /// evenly spaced preferences as the curve; `evaluations` are the training's.
    public static func segmentFront(
        _ segment: LinearSegment, problem: any BenchmarkProblem, objective: ParetoObjective, samples: Int, reference: [Double], seed: UInt64,
        evaluations: EvaluationCounts
    ) throws -> FrontFile {
        let m = segment.vertices.count
        let points = try segment.vertices.enumerated().map { t, x in
            let f = try objective.values(at: x)
            return FrontFile.Point(
                id: t, preference: (0..<m).map { $0 == t ? 1 : 0 }, parameters: x, objectives: f,
                distanceToFront: problem.distanceToParetoFront(f), distanceToSet: problem.distanceToParetoSet(x))
        }
        let curve = try segment.sampleCurve(count: samples) { SampleEvaluation(objectives: try objective.values(at: $0)) }
        return FrontFile(
            problem: problem.name, seed: seed, method: LinearSegment.method, reference: reference,
            hypervolume: try Hypervolume.compute(points.map(\.objectives) + curve.map(\.objectives), reference: reference),
            pointsHypervolume: try Hypervolume.compute(points.map(\.objectives), reference: reference),
            points: points, curve: curve.map(FrontFile.Sample.init),
            evaluations: evaluations, candidates: 0, rejected: 0)
    }
}
