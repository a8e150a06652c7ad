import Foundation

/// Everything a report page shows, as plain values: what a run directory's `front.json` holds
/// plus what only the caller knows (the command line, the ParetoKit version, the analytic front).
public struct ReportInput: Sendable, Equatable {
    /// Page title.
    public var title: String
    /// `front.json`'s `problem` (`zdt2`, `multimnist`, …).
    public var problem: String
    /// `method` (`tangent`, …).
    public var method: String
    /// The network architecture (network runs), or `nil`.
    public var architecture: String?
    /// The run's random seed.
    public var seed: UInt64?
    /// The hypervolume reference point.
    public var reference: [Double]?
    /// How the reference was chosen (network runs).
    public var referenceRule: String?
    /// Hypervolumes the run recorded.
    public var hypervolumes: ReportHypervolumes
    /// Accepted points, in acceptance order (0 is the seed).
    public var points: [ReportPoint]
    /// Samples of the continuous set.
    public var curve: [ReportCurveSample]
    /// Objective, gradient and Hessian-vector-product counts.
    public var evaluations: ReportEvaluations?
    /// Directions Algorithm 1 tried.
    public var candidates: Int?
    /// Directions it rejected.
    public var rejected: Int?
    /// Candidates whose branch stopped on a numerical failure (`failures`), with the reasons.
    public var failures: [String]
    /// Seed stationarity before and after ParetoOptimize (network runs).
    public var stationarity: ReportStationarity?
    /// Wall-clock costs (network runs).
    public var timing: ReportTiming?
    /// Image counts of the splits (network runs).
    public var images: ReportImageCounts?
    /// MINRES residual norms per tangent solve (from `state.json` when present).
    public var residualHistories: [[Double]]
    /// The analytic Pareto front, sorted by `f₁`, when known.
    public var analyticFront: [[Double]]?
    /// The exact command line that produced the run, when the caller knows it.
    public var command: String?
    /// The ParetoKit version that produced the run, when the caller knows it.
    public var version: String?
    /// The file the input was read from, when read from disk.
    public var source: String?
    /// Stitched runs: the families and the points each contributes.
    public var families: [ReportFamily]
    /// Stitched runs: the gaps, as the indices of the points on either side.
    public var gaps: [[Int]]

    /// A report input; everything beyond problem, method and points is optional.
    public init(title: String? = nil, problem: String, method: String, architecture: String? = nil, seed: UInt64? = nil,
                reference: [Double]? = nil, referenceRule: String? = nil, hypervolumes: ReportHypervolumes = ReportHypervolumes(),
                points: [ReportPoint], curve: [ReportCurveSample] = [], evaluations: ReportEvaluations? = nil,
                candidates: Int? = nil, rejected: Int? = nil, failures: [String] = [], stationarity: ReportStationarity? = nil, timing: ReportTiming? = nil,
                images: ReportImageCounts? = nil, residualHistories: [[Double]] = [], analyticFront: [[Double]]? = nil,
                command: String? = nil, version: String? = nil, source: String? = nil, families: [ReportFamily] = [], gaps: [[Int]] = []) {
        self.title = title ?? "ParetoKit report: \(problem) · \(method)"
        self.problem = problem
        self.method = method
        self.architecture = architecture
        self.seed = seed
        self.reference = reference
        self.referenceRule = referenceRule
        self.hypervolumes = hypervolumes
        self.points = points
        self.curve = curve
        self.evaluations = evaluations
        self.candidates = candidates
        self.rejected = rejected
        self.failures = failures
        self.stationarity = stationarity
        self.timing = timing
        self.images = images
        self.residualHistories = residualHistories
        self.analyticFront = analyticFront
        self.command = command
        self.version = version
        self.source = source
        self.families = families
        self.gaps = gaps
    }

    /// Whether this is a network run (points carry test losses or an architecture is named):
    /// hypervolumes are then of test losses.
    public var isNetwork: Bool { architecture != nil || points.contains { $0.testLoss != nil } }
}

/// One family of a stitched run.
public struct ReportFamily: Sendable, Equatable {
    /// Its name (its run directory's).
    public var name: String
    /// Its hypervolume w.r.t. the stitched run's reference.
    public var hypervolume: Double?
    /// The objectives of the stitched points it contributes.
    public var objectives: [[Double]]
    /// Its own sampled curve (from its run directory), when available.
    public var curve: [[Double]]

    public init(name: String, hypervolume: Double?, objectives: [[Double]], curve: [[Double]] = []) {
        self.name = name
        self.hypervolume = hypervolume
        self.objectives = objectives
        self.curve = curve
    }
}

/// The hypervolumes of a run (`nil` where the run did not record one).
public struct ReportHypervolumes: Sendable, Equatable {
    /// Of the continuous front (curve samples and points).
    public var continuous: Double?
    /// Of the accepted points alone.
    public var points: Double?
    /// Of the input network alone (network runs).
    public var before: Double?
    /// After the expansion (network runs).
    public var after: Double?
    /// Of the analytic front, when known (not in `front.json`: the reader computes it).
    public var analytic: Double?

    /// Hypervolumes as recorded.
    public init(continuous: Double? = nil, points: Double? = nil, before: Double? = nil, after: Double? = nil, analytic: Double? = nil) {
        self.continuous = continuous
        self.points = points
        self.before = before
        self.after = after
        self.analytic = analytic
    }
}

/// One accepted point of a run.
public struct ReportPoint: Sendable, Equatable {
    /// Acceptance order (0: the seed).
    public var id: Int
    /// The point it was grown from.
    public var parent: Int?
    /// Position on the continuous chain.
    public var t: Double?
    /// Preference `λ` (families parametrised by a preference, instead of `t`).
    public var preference: [Double]?
    /// Parameters (analytic runs).
    public var parameters: [Double]?
    /// Objectives (training losses for networks).
    public var objectives: [Double]
    /// The 1-based objective its chain favours.
    public var favours: Int?
    /// Distance to the analytic front in objective space.
    public var distanceToFront: Double?
    /// Distance to the analytic Pareto set in parameter space.
    public var distanceToSet: Double?
    /// MINRES iterations of the solve that produced it.
    public var minresIterations: Int?
    /// ParetoOptimize iterations spent on it.
    public var optimizeIterations: Int?
    /// `‖Σ α*ᵢ ∇fᵢ‖` (relative for networks).
    public var stationarity: Double?
    /// Checkpoint path relative to the run directory (networks).
    public var checkpoint: String?
    /// Training losses (networks).
    public var trainLoss: [Double]?
    /// Test losses (networks).
    public var testLoss: [Double]?
    /// Test accuracies (networks).
    public var testAccuracy: [Double]?

    /// A point with `id` and `objectives`; the rest optional.
    public init(id: Int, parent: Int? = nil, t: Double? = nil, preference: [Double]? = nil, parameters: [Double]? = nil, objectives: [Double],
                favours: Int? = nil, distanceToFront: Double? = nil, distanceToSet: Double? = nil, minresIterations: Int? = nil,
                optimizeIterations: Int? = nil, stationarity: Double? = nil, checkpoint: String? = nil,
                trainLoss: [Double]? = nil, testLoss: [Double]? = nil, testAccuracy: [Double]? = nil) {
        self.id = id
        self.parent = parent
        self.t = t
        self.preference = preference
        self.parameters = parameters
        self.objectives = objectives
        self.favours = favours
        self.distanceToFront = distanceToFront
        self.distanceToSet = distanceToSet
        self.minresIterations = minresIterations
        self.optimizeIterations = optimizeIterations
        self.stationarity = stationarity
        self.checkpoint = checkpoint
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
    }

    /// The objectives hypervolumes are measured in: test losses for networks, else objectives.
    public var frontObjectives: [Double] { testLoss ?? objectives }
}

/// One sample `x(t)` (or `x(λ)`) of the continuous set.
public struct ReportCurveSample: Sendable, Equatable {
    /// `t ∈ [−1, 1]` on a chain, or `nil` for a preference family.
    public var t: Double?
    /// The preference `λ` of a preference family, else `nil`.
    public var preference: [Double]?
    /// Objectives (test losses for networks).
    public var objectives: [Double]
    /// Whether it is dominated.
    public var dominated: Bool
    /// Test accuracies (networks).
    public var testAccuracy: [Double]?

    /// A sample at `t` (or at preference `preference`).
    public init(t: Double?, preference: [Double]? = nil, objectives: [Double], dominated: Bool = false, testAccuracy: [Double]? = nil) {
        self.t = t
        self.preference = preference
        self.objectives = objectives
        self.dominated = dominated
        self.testAccuracy = testAccuracy
    }

    /// The coordinate the curve is coloured by: `t`, else `λ₁`.
    public var parameter: Double? { t ?? preference?.first }
}

/// Evaluation counts of a run (curve sampling excluded).
public struct ReportEvaluations: Sendable, Equatable {
    /// Objective evaluations.
    public var objectives: Int?
    /// Gradient (Jacobian) evaluations.
    public var gradients: Int?
    /// Hessian-vector products.
    public var hvps: Int?

    /// Counts as recorded.
    public init(objectives: Int? = nil, gradients: Int? = nil, hvps: Int? = nil) {
        self.objectives = objectives
        self.gradients = gradients
        self.hvps = hvps
    }
}

/// Stationarity of the seed before and after ParetoOptimize.
public struct ReportStationarity: Sendable, Equatable {
    /// Before.
    public var before: Double?
    /// After.
    public var after: Double?

    /// A summary.
    public init(before: Double? = nil, after: Double? = nil) {
        self.before = before
        self.after = after
    }
}

/// Wall-clock costs of a network run.
public struct ReportTiming: Sendable, Equatable {
    /// The whole run in seconds.
    public var totalSeconds: Double?
    /// Seconds to each accepted point.
    public var stepSeconds: [Double]
    /// Mean seconds per Hessian-vector product.
    public var hvpSecondsMean: Double?
    /// Mean seconds per gradient evaluation.
    public var gradientSecondsMean: Double?
    /// MINRES iterations of each tangent solve.
    public var minresIterations: [Int]

    /// Timings as recorded.
    public init(totalSeconds: Double? = nil, stepSeconds: [Double] = [], hvpSecondsMean: Double? = nil,
                gradientSecondsMean: Double? = nil, minresIterations: [Int] = []) {
        self.totalSeconds = totalSeconds
        self.stepSeconds = stepSeconds
        self.hvpSecondsMean = hvpSecondsMean
        self.gradientSecondsMean = gradientSecondsMean
        self.minresIterations = minresIterations
    }
}

/// Image counts of a network run's splits.
public struct ReportImageCounts: Sendable, Equatable {
    /// Training images.
    public var train: Int?
    /// Test images.
    public var test: Int?
    /// Images per Hessian-vector product.
    public var hvp: Int?

    /// Counts as recorded.
    public init(train: Int? = nil, test: Int? = nil, hvp: Int? = nil) {
        self.train = train
        self.test = test
        self.hvp = hvp
    }
}
