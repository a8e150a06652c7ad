import Foundation
import MultiObjective

/// The `front.json` file of an expansion run (schema in docs/file-formats.md). Scripts read it:
/// keys are stable; new keys may be added.
public struct FrontFile: Codable, Sendable, Equatable {
    /// One accepted point.
    public struct Point: Codable, Sendable, Equatable {
        public var id: Int
        public var parent: Int?
        /// Its `t` on the chain, or `nil` if it is not on the chain.
        public var t: Double?
        public var parameters: [Double]
        public var objectives: [Double]
        /// The objective its chain favours, 1-based (`null` for the seed).
        public var favours: Int?
        /// Distance to the analytic front in objective space (analytic problems only).
        public var distanceToFront: Double?
        /// Distance to the analytic Pareto set in parameter space (analytic problems only).
        public var distanceToSet: Double?
        public var minresIterations: Int
        public var optimizeIterations: Int
        public var stationarity: Double

        enum CodingKeys: String, CodingKey {
            case id, parent, t, parameters, objectives, favours, stationarity
            case distanceToFront = "distance_to_front", distanceToSet = "distance_to_set"
            case minresIterations = "minres_iterations", optimizeIterations = "optimize_iterations"
        }
    }

    /// One sample of the continuous front.
    public struct CurveSample: Codable, Sendable, Equatable {
        public var t: Double
        public var objectives: [Double]
        public var dominated: Bool
    }

    public var problem: String
    public var seed: UInt64
    public var method: String
    public var reference: [Double]
    /// Hypervolume of the continuous front (curve samples and points) w.r.t. `reference`.
    public var hypervolume: Double
    /// Hypervolume of the accepted points alone.
    public var pointsHypervolume: Double
    public var points: [Point]
    public var curve: [CurveSample]
    public var evaluations: EvaluationCounts
    /// Candidates tried and rejected by Algorithm 1.
    public var candidates: Int
    public var rejected: Int

    enum CodingKeys: String, CodingKey {
        case problem, seed, method, reference, hypervolume, points, curve, evaluations, candidates, rejected
        case pointsHypervolume = "points_hypervolume"
    }

    /// Builds the file contents of an analytic-problem run.
    public init(
        problem: any BenchmarkProblem, seed: UInt64, method: DirectionMethod, reference: [Double],
        set: ContinuousParetoSet, curve: [ContinuousParetoSet.Sample], state: ExpansionState, evaluations: EvaluationCounts
    ) throws {
        self.problem = problem.name
        self.seed = seed
        self.method = method.rawValue
        self.reference = reference
        points = set.points.map { p in
            Point(
                id: p.id, parent: p.parent, t: set.parameter(ofPoint: p.id), parameters: p.parameters, objectives: p.objectives,
                favours: p.heading.map { $0 + 1 }, distanceToFront: problem.distanceToParetoFront(p.objectives),
                distanceToSet: problem.distanceToParetoSet(p.parameters), minresIterations: p.minresIterations,
                optimizeIterations: p.optimizeIterations, stationarity: p.point.stationarity)
        }
        self.curve = curve.map { CurveSample(t: $0.t, objectives: $0.objectives, dominated: $0.dominated) }
        pointsHypervolume = try Hypervolume.compute(points.map(\.objectives), reference: reference)
        hypervolume = try Hypervolume.compute(points.map(\.objectives) + curve.map(\.objectives), reference: reference)
        self.evaluations = evaluations
        candidates = state.candidates
        rejected = state.rejected
    }

    /// JSON bytes with sorted keys (identical runs give identical files).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// The points as CSV: `id,parent,t,f1,…,fm,x1,…,xn`.
    public func csv() -> String {
        guard let first = points.first else { return "" }
        let m = first.objectives.count, n = first.parameters.count
        var header: [String] = ["id", "parent", "t"]
        header += (1...m).map { "f\($0)" }
        header += (1...n).map { "x\($0)" }
        var lines = [header.joined(separator: ",")]
        for p in points {
            var fields: [String] = ["\(p.id)", p.parent.map(String.init) ?? "", p.t.map { "\($0)" } ?? ""]
            fields += p.objectives.map { "\($0)" }
            fields += p.parameters.map { "\($0)" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Writes `data` to `url` atomically (a temporary file in the same directory, then a rename),
/// so a reader never sees a partial file and an interruption loses nothing already written.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try data.write(to: url, options: .atomic)
}
