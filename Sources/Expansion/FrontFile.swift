import Foundation
import MultiObjective

/// The `front.json` file of every run, analytic or network (schema in docs/file-formats.md).
/// Scripts read it: keys are stable, new keys may be added, and keys that do not apply to a
/// run are absent (never `null`): analytic runs carry `parameters` and distances to the
/// analytic front, network runs a `checkpoint` per point, test metrics, the data sizes and
/// the timing.
public struct FrontFile: Codable, Sendable, Equatable {
    /// One accepted point (a chain node) or one evaluated preference (a segment node).
    public struct Point: Codable, Sendable, Equatable {
        /// Acceptance order (0: the seed).
        public var id: Int
        /// The point it was grown from.
        public var parent: Int?
        /// Its `t` on the chain, or `nil` if it is not on the chain.
        public var t: Double?
        /// Its preference `λ` (segment families).
        public var preference: [Double]?
        /// The decision variables (analytic runs).
        public var parameters: [Double]?
        /// Path of its checkpoint relative to the run directory (network runs).
        public var checkpoint: String?
        /// The objectives the run works on (network runs: training losses).
        public var objectives: [Double]
        /// The objective its chain favours, 1-based (`nil` for the seed).
        public var favours: Int?
        /// Distance to the analytic front in objective space (analytic problems only).
        public var distanceToFront: Double?
        /// Distance to the analytic Pareto set in parameter space (analytic problems only).
        public var distanceToSet: Double?
        /// Training loss, test loss and test accuracy per task (network runs).
        public var trainLoss: [Double]?
        public var testLoss: [Double]?
        public var testAccuracy: [Double]?
        /// MINRES iterations of the solve that produced it (tangent chains).
        public var minresIterations: Int?
        /// ParetoOptimize steps after its expansion step (tangent chains).
        public var optimizeIterations: Int?
        /// Stationarity at the point: ‖Σ α*ᵢ∇fᵢ‖ (analytic), relative ‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖ (networks).
        public var stationarity: Double?
        /// Stitched runs: the family the point belongs to (index into ``Stitch/families``).
        public var family: Int?
        /// Stitched runs: the point's `t ∈ [−1, 1]` on its family's chain (its `λ` is ``preference``).
        public var localT: Double?
        /// Stitched runs: `sample` (a sample of its family) or `crossing` (an inserted crossing).
        public var origin: String?

        public init(
            id: Int, parent: Int? = nil, t: Double? = nil, preference: [Double]? = nil, parameters: [Double]? = nil,
            checkpoint: String? = nil, objectives: [Double], favours: Int? = nil, distanceToFront: Double? = nil,
            distanceToSet: Double? = nil, trainLoss: [Double]? = nil, testLoss: [Double]? = nil, testAccuracy: [Double]? = nil,
            minresIterations: Int? = nil, optimizeIterations: Int? = nil, stationarity: Double? = nil,
            family: Int? = nil, localT: Double? = nil, origin: String? = nil
        ) {
            self.id = id
            self.parent = parent
            self.t = t
            self.preference = preference
            self.parameters = parameters
            self.checkpoint = checkpoint
            self.objectives = objectives
            self.favours = favours
            self.distanceToFront = distanceToFront
            self.distanceToSet = distanceToSet
            self.trainLoss = trainLoss
            self.testLoss = testLoss
            self.testAccuracy = testAccuracy
            self.minresIterations = minresIterations
            self.optimizeIterations = optimizeIterations
            self.stationarity = stationarity
            self.family = family
            self.localT = localT
            self.origin = origin
        }

        enum CodingKeys: String, CodingKey {
            case id, parent, t, preference, parameters, checkpoint, objectives, favours, stationarity
            case distanceToFront = "distance_to_front", distanceToSet = "distance_to_set"
            case trainLoss = "train_loss", testLoss = "test_loss", testAccuracy = "test_accuracy"
            case minresIterations = "minres_iterations", optimizeIterations = "optimize_iterations"
            case family, origin, localT = "local_t"
        }
    }

    /// How a stitched run was put together (``FrontStitcher``): its families, crossings and gaps.
    public struct Stitch: Codable, Sendable, Equatable {
        /// One input family.
        public struct Family: Codable, Sendable, Equatable {
            /// A readable name (`<run directory name>` or `<run>/<part>`).
            public var name: String
            /// Its run directory, relative to the stitched run's directory.
            public var run: String
            /// `tangent-chain` or `segment`.
            public var kind: String
            /// The content digest that identifies it (the stitcher's canonical order).
            public var identity: String
            /// Samples of its curve.
            public var samples: Int
            /// Hypervolume of its samples w.r.t. the stitched run's reference.
            public var hypervolume: Double
            /// Vertices of the stitched front it contributes.
            public var vertices: Int

            public init(name: String, run: String, kind: String, identity: String, samples: Int, hypervolume: Double, vertices: Int) {
                self.name = name
                self.run = run
                self.kind = kind
                self.identity = identity
                self.samples = samples
                self.hypervolume = hypervolume
                self.vertices = vertices
            }
        }

        /// A crossing of two families.
        public struct Crossing: Codable, Sendable, Equatable {
            /// The crossing of the two sampled curves in objective space.
            public var objectives: [Double]
            /// The two families.
            public var families: [Int]
            /// Its `t` on each family's chain (`nil` for a segment) …
            public var localT: [Double?]
            /// … and its `λ` on each segment (`nil` for a chain).
            public var preference: [[Double]?]
            /// The point that represents it (`nil`: its models were dominated).
            public var point: Int?

            public init(objectives: [Double], families: [Int], localT: [Double?], preference: [[Double]?], point: Int?) {
                self.objectives = objectives
                self.families = families
                self.localT = localT
                self.preference = preference
                self.point = point
            }

            enum CodingKeys: String, CodingKey {
                case objectives, families, preference, point
                case localT = "local_t"
            }
        }

        /// Where the stitched front is disconnected (no model bridges it).
        public struct Gap: Codable, Sendable, Equatable {
            public var t: Double
            /// The points on either side.
            public var from: Int
            public var to: Int
            /// Their distance in objective space.
            public var distance: Double

            public init(t: Double, from: Int, to: Int, distance: Double) {
                self.t = t
                self.from = from
                self.to = to
                self.distance = distance
            }
        }

        public var families: [Family]
        public var crossings: [Crossing]
        /// Runs of consecutive points along which one family's own interpolation is the front.
        public var pieces: [StitchPiece]
        public var gaps: [Gap]
        /// Junctions longer than this are gaps.
        public var gapTolerance: Double
        /// Arc length of the front in objective space (gaps excluded).
        public var length: Double
        /// What the stitched points' objectives are (`test loss`, `f`).
        public var objectives: String

        public init(
            families: [Family], crossings: [Crossing], pieces: [StitchPiece], gaps: [Gap], gapTolerance: Double, length: Double,
            objectives: String
        ) {
            self.families = families
            self.crossings = crossings
            self.pieces = pieces
            self.gaps = gaps
            self.gapTolerance = gapTolerance
            self.length = length
            self.objectives = objectives
        }

        enum CodingKeys: String, CodingKey {
            case families, crossings, pieces, gaps, length, objectives
            case gapTolerance = "gap_tolerance"
        }
    }

    /// One sample of the continuous front (``CurveSample`` as stored).
    public struct Sample: Codable, Sendable, Equatable {
        /// `t` of a chain sample.
        public var t: Double?
        /// `λ` of a segment sample.
        public var preference: [Double]?
        /// The objectives evaluated there (network runs: test loss per task).
        public var objectives: [Double]
        /// Test accuracy per task (network runs).
        public var testAccuracy: [Double]?
        public var dominated: Bool

        /// The stored form of `sample`.
        public init(_ sample: CurveSample) {
            t = sample.coordinate.t
            preference = sample.coordinate.preference
            objectives = sample.objectives
            testAccuracy = sample.accuracy
            dominated = sample.dominated
        }

        enum CodingKeys: String, CodingKey {
            case t, preference, objectives, dominated
            case testAccuracy = "test_accuracy"
        }
    }

    /// Relative stationarity `‖Σ α*ᵢ∇fᵢ‖ / maxᵢ‖∇fᵢ‖` of a network seed (on the full training
    /// objectives) before and after its ParetoOptimize.
    public struct Stationarity: Codable, Sendable, Equatable {
        /// At the input network.
        public var before: Double
        /// At the seed Algorithm 1 expands.
        public var after: Double
        /// The tolerance the seed was driven toward (absent in older files).
        public var tolerance: Double?
        /// ParetoOptimize steps the seed took (absent in older files).
        public var steps: Int?
        /// Whether `after ≤ tolerance` (absent in older files; `false`: expanded anyway, forced).
        public var converged: Bool?

        /// The seed's stationarity record (the optional fields absent in older files).
        public init(before: Double, after: Double, tolerance: Double? = nil, steps: Int? = nil, converged: Bool? = nil) {
            self.before = before
            self.after = after
            self.tolerance = tolerance
            self.steps = steps
            self.converged = converged
        }
    }

    /// Wall-clock costs of a network run.
    public struct Timing: Codable, Sendable, Equatable {
        /// The whole run (all sessions, without the curve sampling).
        public var totalSeconds: Double
        /// Seconds from the previous accepted point to each accepted point (0 for the seed).
        public var stepSeconds: [Double]
        /// Mean seconds per Hessian-vector product.
        public var hvpSecondsMean: Double
        /// Mean seconds per gradient (Jacobian) evaluation.
        public var gradientSecondsMean: Double
        /// MINRES iterations of each tangent solve.
        public var minresIterations: [Int]
        /// Mean seconds per mini-batch gradient (runs with mini-batch ParetoOptimize; then
        /// ``gradientSecondsMean`` is that of the full-set gradients alone).
        public var miniBatchGradientSecondsMean: Double?

        public init(
            totalSeconds: Double, stepSeconds: [Double], hvpSecondsMean: Double, gradientSecondsMean: Double, minresIterations: [Int],
            miniBatchGradientSecondsMean: Double? = nil
        ) {
            self.totalSeconds = totalSeconds
            self.stepSeconds = stepSeconds
            self.hvpSecondsMean = hvpSecondsMean
            self.gradientSecondsMean = gradientSecondsMean
            self.minresIterations = minresIterations
            self.miniBatchGradientSecondsMean = miniBatchGradientSecondsMean
        }

        enum CodingKeys: String, CodingKey {
            case totalSeconds = "total_seconds", stepSeconds = "step_seconds", hvpSecondsMean = "hvp_seconds_mean"
            case gradientSecondsMean = "gradient_seconds_mean", minresIterations = "minres_iterations"
            case miniBatchGradientSecondsMean = "mini_batch_gradient_seconds_mean"
        }
    }

    /// The problem (`zdt2`, …) or the data set (`multimnist`, `multifashion`, with `-14` for
    /// 14×14 composites).
    public var problem: String
    /// The network architecture (network runs).
    public var architecture: String?
    /// The seed of the random draws (β of the tangent system).
    public var seed: UInt64
    /// `tangent`, `gradient`, `weighted-sum`, …
    public var method: String
    /// The hypervolume reference point.
    public var reference: [Double]
    /// How ``reference`` was chosen (network runs).
    public var referenceRule: String?
    /// Hypervolume of the continuous front (points and curve samples) w.r.t. ``reference``
    /// (network runs: of test losses).
    public var hypervolume: Double
    /// Hypervolume of the input network alone (network runs).
    public var hypervolumeBefore: Double?
    /// Equal to ``hypervolume`` (network runs).
    public var hypervolumeAfter: Double?
    /// Hypervolume of the accepted points alone.
    public var pointsHypervolume: Double
    public var points: [Point]
    public var curve: [Sample]
    /// Evaluations of the run (the curve's not included).
    public var evaluations: EvaluationCounts
    /// ``evaluations`` by phase (network runs; Ma et al.'s unit, one mini-batch evaluation =
    /// one), with the test-set evaluations under `test` (not part of ``evaluations``): the
    /// phases other than `test` add up to ``evaluations``. Absent in older files.
    public var evaluationsByPhase: EvaluationsByPhase?
    /// Candidates tried and rejected by Algorithm 1.
    public var candidates: Int
    public var rejected: Int
    /// Candidates whose branch stopped on a numerical failure (absent when there were none).
    public var failures: [CandidateFailure]?
    /// The seed's stationarity (network runs).
    public var stationarity: Stationarity?
    /// Wall-clock costs (network runs write them to `timing.json`, so that `front.json` is the
    /// same for the same options and seed; `nil` there).
    public var timing: Timing?
    /// How a stitched run was put together (stitched runs only).
    public var stitch: Stitch?
    /// Training and test composites, and images of the HVP mini-batch (network runs).
    public var trainImages: Int?
    public var testImages: Int?
    public var hvpImages: Int?

    public init(
        problem: String, architecture: String? = nil, seed: UInt64, method: String, reference: [Double], referenceRule: String? = nil,
        hypervolume: Double, hypervolumeBefore: Double? = nil, hypervolumeAfter: Double? = nil, pointsHypervolume: Double,
        points: [Point], curve: [Sample], evaluations: EvaluationCounts, candidates: Int, rejected: Int,
        failures: [CandidateFailure]? = nil, stationarity: Stationarity? = nil, timing: Timing? = nil, trainImages: Int? = nil, testImages: Int? = nil, hvpImages: Int? = nil,
        stitch: Stitch? = nil, evaluationsByPhase: EvaluationsByPhase? = nil
    ) {
        self.evaluationsByPhase = evaluationsByPhase
        self.problem = problem
        self.architecture = architecture
        self.seed = seed
        self.method = method
        self.reference = reference
        self.referenceRule = referenceRule
        self.hypervolume = hypervolume
        self.hypervolumeBefore = hypervolumeBefore
        self.hypervolumeAfter = hypervolumeAfter
        self.pointsHypervolume = pointsHypervolume
        self.points = points
        self.curve = curve
        self.evaluations = evaluations
        self.candidates = candidates
        self.rejected = rejected
        self.failures = failures
        self.stationarity = stationarity
        self.timing = timing
        self.trainImages = trainImages
        self.testImages = testImages
        self.hvpImages = hvpImages
        self.stitch = stitch
    }

    enum CodingKeys: String, CodingKey {
        case problem, architecture, seed, method, reference, hypervolume, points, curve, evaluations, candidates, rejected
        case stationarity, timing, failures, stitch
        case referenceRule = "reference_rule", hypervolumeBefore = "hypervolume_before", hypervolumeAfter = "hypervolume_after"
        case pointsHypervolume = "points_hypervolume", trainImages = "train_images", testImages = "test_images"
        case hvpImages = "hvp_images", evaluationsByPhase = "evaluations_by_phase"
    }

    /// The file of an analytic run: each point with its parameters and, where the problem's
    /// Pareto set is known, its distances to the front and the set.
    public init(
        problem: String, knownSet: (any KnownParetoSet)?, seed: UInt64, method: DirectionMethod, reference: [Double],
        set: ContinuousParetoSet, curve: [CurveSample], state: ExpansionState, evaluations: EvaluationCounts
    ) throws {
        let points = set.points.map { p in
            Point(
                id: p.id, parent: p.parent, t: set.parameter(ofPoint: p.id), parameters: p.parameters, objectives: p.objectives,
                favours: p.heading.map { $0 + 1 }, distanceToFront: knownSet?.distanceToParetoFront(p.objectives),
                distanceToSet: knownSet?.distanceToParetoSet(p.parameters), minresIterations: p.minresIterations,
                optimizeIterations: p.optimizeIterations, stationarity: p.point.stationarity)
        }
        self.init(
            problem: problem, seed: seed, method: method.rawValue, reference: reference,
            hypervolume: try Hypervolume.compute(points.map(\.objectives) + curve.map(\.objectives), reference: reference),
            pointsHypervolume: try Hypervolume.compute(points.map(\.objectives), reference: reference),
            points: points, curve: curve.map(Sample.init), evaluations: evaluations,
            candidates: state.candidates, rejected: state.rejected, failures: state.failures.isEmpty ? nil : state.failures)
    }

    /// JSON bytes with sorted keys (identical runs give identical files).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// Reads `front.json` at `url`.
    /// - Throws: ``FrontFileError`` naming the file.
    public static func read(from url: URL) throws -> FrontFile {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw FrontFileError.unreadable(path: url.path)
        }
        do {
            return try JSONDecoder().decode(FrontFile.self, from: bytes)
        } catch let error as DecodingError {
            throw FrontFileError.invalid(path: url.path, reason: FrontFileError.describe(error))
        }
    }

    /// The points as CSV, one row per point, with the columns that apply to the run:
    /// `id,parent,t`, then `family,local_t,origin` (stitched runs), `lambda1…m` (segments), `checkpoint` (networks), `f1…fm`,
    /// `test_loss1…m` and `test_accuracy1…m` (networks), `x1…xn` (analytic runs).
    public func csv() -> String {
        guard let first = points.first else { return "" }
        let m = first.objectives.count
        let preferences = points.contains { $0.preference != nil }
        let checkpoints = points.contains { $0.checkpoint != nil }
        let testLoss = points.contains { $0.testLoss != nil }
        let testAccuracy = points.contains { $0.testAccuracy != nil }
        let n = points.compactMap { $0.parameters?.count }.max() ?? 0
        func numbered(_ prefix: String, _ count: Int) -> [String] { count > 0 ? (1...count).map { "\(prefix)\($0)" } : [] }
        func values(_ list: [Double]?, _ count: Int) -> [String] {
            (0..<count).map { i in list.flatMap { i < $0.count ? "\($0[i])" : nil } ?? "" }
        }
        let stitched = points.contains { $0.family != nil }
        var header = ["id", "parent", "t"]
        if stitched { header += ["family", "local_t", "origin"] }
        if preferences { header += numbered("lambda", m) }
        if checkpoints { header.append("checkpoint") }
        header += numbered("f", m)
        if testLoss { header += numbered("test_loss", m) }
        if testAccuracy { header += numbered("test_accuracy", m) }
        header += numbered("x", n)
        var lines = [header.joined(separator: ",")]
        for p in points {
            var fields = ["\(p.id)", p.parent.map(String.init) ?? "", p.t.map { "\($0)" } ?? ""]
            if stitched { fields += [p.family.map(String.init) ?? "", p.localT.map { "\($0)" } ?? "", p.origin ?? ""] }
            if preferences { fields += values(p.preference, m) }
            if checkpoints { fields.append(p.checkpoint ?? "") }
            fields += values(p.objectives, m)
            if testLoss { fields += values(p.testLoss, m) }
            if testAccuracy { fields += values(p.testAccuracy, m) }
            fields += values(p.parameters, n)
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `front.json` and `front.csv` into `directory` (created if needed), atomically.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writeAtomically(try encoded(), to: directory.appendingPathComponent("front.json"))
        try writeAtomically(Data(csv().utf8), to: directory.appendingPathComponent("front.csv"))
    }
}

/// Errors reading a `front.json`.
public enum FrontFileError: Error, Equatable, CustomStringConvertible {
    /// The file is missing or cannot be read.
    case unreadable(path: String)
    /// The file is not a front file (invalid JSON, a missing key, a value of the wrong type).
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot read the front file (missing or unreadable)"
        case .invalid(let path, let reason): return "\(path) is not a valid front file: \(reason)"
        }
    }

    /// A one-line account of a decoding error: what was wrong and where (for any JSON file).
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(context.debugDescription)\(path(context))"
        case .dataCorrupted(let context): return "corrupt JSON\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}

/// Writes `data` to `url` atomically (a temporary file in the same directory, then a rename),
/// so a reader never sees a partial file and an interruption loses nothing already written.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try data.write(to: url, options: .atomic)
}
