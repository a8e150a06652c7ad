import Krylov
import LinearAlgebra
import MultiObjective
import RealModule

/// Which way chains grow.
public enum Steering: String, Sendable, Codable, CaseIterable {
    /// Two objectives: the seed grows one chain favouring f₁ and one favouring f₂; every later
    /// point continues in its own chain's direction (β = e_j for the first of its K directions,
    /// random β for the rest, oriented by the sign rule toward the chain's objective).
    case bothWays = "both-ways"
    /// Random β on the simplex for every direction, oriented by the retraction sign rule only.
    case none
}

/// Options of Algorithm 1.
public struct ExpansionOptions: Sendable, Equatable {
    /// `K`, directions per expanded point.
    public var directions: Int = 1
    /// `N`, accepted points to collect (the seed included).
    public var points: Int = 20
    /// `s`, the step length along each unit direction.
    public var stepSize: Double = 0.05
    /// Tangent solve.
    public var direction = DirectionOptions()
    /// ParetoOptimize after each step.
    public var optimize = ParetoOptimizeOptions()
    /// ParetoOptimize of the seed before expanding (`nil`: the same as ``optimize``). A
    /// Chebyshev seed lands inside concave fronts, where MGDA from a poor start may stop at an end.
    public var seedOptimize: ParetoOptimizeOptions? = nil
    /// Chain steering.
    public var steering: Steering = .bothWays
    /// Seed of the random β draws (each point and direction has its own stream, so results
    /// do not depend on the order of evaluation and an interrupted run resumes exactly).
    public var seed: UInt64 = 1
    /// Candidates tried at most, accepted or not, as a multiple of `N` (a guard against
    /// endless rejection).
    public var maxCandidatesFactor: Int = 10

    public init() {}
}

/// One accepted point of an expansion (Ma et al., Algorithm 1 output: x, f(x), ∇f(x), parent).
public struct ExpansionPoint: Sendable, Equatable {
    /// Index in acceptance order (0 is the seed).
    public var id: Int
    /// The point it was grown from (`nil` for the seed).
    public var parent: Int?
    /// The objective its chain favours (`nil`: the seed, or no steering).
    public var heading: Int?
    /// Which of its parent's directions produced it (0-based).
    public var directionIndex: Int
    /// The evaluated point (parameters, objectives, Jacobian, stationarity).
    public var point: EvaluatedPoint
    /// The unit direction taken from the parent (`nil` for the seed).
    public var direction: [Double]?
    /// MINRES iterations of that direction.
    public var minresIterations: Int
    /// MINRES residual norms of that direction.
    public var residualNorms: [Double]
    /// ParetoOptimize iterations after the step.
    public var optimizeIterations: Int

    public init(
        id: Int, parent: Int?, heading: Int?, directionIndex: Int, point: EvaluatedPoint, direction: [Double]?,
        minresIterations: Int, residualNorms: [Double], optimizeIterations: Int
    ) {
        self.id = id
        self.parent = parent
        self.heading = heading
        self.directionIndex = directionIndex
        self.point = point
        self.direction = direction
        self.minresIterations = minresIterations
        self.residualNorms = residualNorms
        self.optimizeIterations = optimizeIterations
    }

    /// `x`.
    public var parameters: [Double] { point.parameters }
    /// `f(x)`.
    public var objectives: [Double] { point.objectives }
}

/// The resumable state of Algorithm 1: accepted points in breadth-first order and how far
/// the expansion has got.
public struct ExpansionState: Sendable, Equatable {
    /// Accepted points; the queue of Algorithm 1 is this list from ``nextToExpand`` on.
    public var points: [ExpansionPoint]
    /// Index of the next point to expand.
    public var nextToExpand: Int = 0
    /// Index of its next direction.
    public var nextDirection: Int = 0
    /// Candidates tried so far (accepted or rejected).
    public var candidates: Int = 0
    /// Candidates rejected as dominated, stalled or degenerate.
    public var rejected: Int = 0
    /// ParetoOptimize iterations spent on candidates (accepted or not).
    public var optimizeIterations: Int = 0
    /// MINRES iterations per solve, in order.
    public var minresIterations: [Int] = []
    /// Candidates whose branch stopped on a numerical failure (a non-finite value, a zero
    /// right-hand side or solution, a solver breakdown), each counted in ``rejected`` too.
    public var failures: [CandidateFailure] = []
    /// Ids of the points where a chain ended: a candidate grown from the point did not lower
    /// the objective its chain favours (the chain ran into a gap of a disconnected front, as
    /// between ZDT3's pieces, or the end of the set) and was rejected. In candidate order; a
    /// point appears once per such candidate.
    public var chainEnds: [Int] = []

    /// A state holding only the seed.
    public init(seed: ExpansionPoint) { points = [seed] }
}

/// A candidate of Algorithm 1 that could not be made: the branch from `parent` along its
/// direction `direction` stops there, the rest of the run goes on.
public struct CandidateFailure: Codable, Sendable, Equatable {
    /// The point the candidate was grown from.
    public var parent: Int
    /// Which of its directions.
    public var direction: Int
    /// What went wrong.
    public var reason: String

    public init(parent: Int, direction: Int, reason: String) {
        self.parent = parent
        self.direction = direction
        self.reason = reason
    }

    /// Whether `error` ends one branch rather than the run: a degenerate direction, a
    /// non-finite value, or MINRES stopped by one.
    static func endsBranch(_ error: any Error) -> Bool {
        switch error {
        case ExpansionError.degenerateDirection, ExpansionError.nonFinite: return true
        case KrylovError.nonFiniteOperatorOutput: return true
        case KrylovError.operatorFailed(_, _, let underlying): return endsBranch(underlying)
        default: return false
        }
    }
}

/// Progress of a running expansion, for progress lines.
public struct ExpansionProgress: Sendable {
    public var accepted: Int
    public var target: Int
    public var candidates: Int
    public var lastResidual: Double?
    public var evaluations: EvaluationCounts
}

/// Algorithm 1 of Ma, Du & Matusik (2020): breadth-first Pareto expansion.
///
/// From a seed brought to the front by ParetoOptimize, pop points in order; for each make
/// `K` directions (``expansionDirection(_:at:beta:favouring:options:)``), step `x + s v`
/// (projected onto the box), re-optimise, and accept the child if no accepted point
/// dominates it; stop after `N` accepted points. A child that moved less than `s/10` from
/// its parent (the chain ran into a bound) is rejected as stalled. A child that does not lower
/// the objective its chain favours (`f_j(child) ≥ f_j(parent)` for heading `j`) went back along
/// the front instead of forward: the chain has reached a gap of the front (beyond the gap edge
/// both objectives rise, and re-optimisation slides back) or its end; it is rejected and the
/// parent recorded in ``ExpansionState/chainEnds``, so the chain stops there without failing.
public enum ParetoExpansion {
    /// Runs ParetoOptimize on `x0` and returns the seed state.
    public static func start(
        _ objective: ParetoObjective, from x0: [Double], options: ExpansionOptions
    ) throws -> (state: ExpansionState, optimization: ParetoOptimizeResult) {
        guard x0.count == objective.parameterCount else {
            throw ExpansionError.dimensionMismatch(argument: "seed", expected: objective.parameterCount, actual: x0.count)
        }
        let optimized = try objective.withPhase(.seed) {
            try paretoOptimize(objective, from: x0, options: options.seedOptimize ?? options.optimize, stream: seedStream)
        }
        let seed = ExpansionPoint(
            id: 0, parent: nil, heading: nil, directionIndex: 0, point: optimized.point, direction: nil,
            minresIterations: 0, residualNorms: [], optimizeIterations: optimized.iterations)
        return (ExpansionState(seed: seed), optimized)
    }

    /// The mini-batch stream of the seed's ParetoOptimize (candidates use ``candidateStream(parent:direction:)``).
    static let seedStream: UInt64 = 0xFFFF_FFFF

    /// The mini-batch stream of the ParetoOptimize after the step from point `parent` along its
    /// direction `direction` (unique per candidate, so a resumed run draws the same batches).
    static func candidateStream(parent: Int, direction: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: parent) << 12 | UInt64(truncatingIfNeeded: direction & 0xFFF)
    }

    /// Headings and β of the directions of `point`.
    static func plan(
        for point: ExpansionPoint, objectiveCount m: Int, options: ExpansionOptions
    ) -> [(heading: Int?, beta: [Double])] {
        let k = options.directions
        func randomBeta(_ index: Int) -> [Double] {
            var generator = SeededGenerator(seed: options.seed, stream: UInt64(point.id) << 16 | UInt64(index))
            let draws = (0..<m).map { _ in -Double.log(max(generator.unitDouble(), 1e-300)) }
            let total = draws.reduce(0, +)
            return draws.map { $0 / total }
        }
        func unit(_ j: Int) -> [Double] { (0..<m).map { $0 == j ? 1 : 0 } }
        switch options.steering {
        case .none:
            return (0..<k).map { (nil, randomBeta($0)) }
        case .bothWays:
            let headings = point.heading.map { [$0] } ?? Array(0..<m)
            var plan: [(Int?, [Double])] = []
            for heading in headings {
                for d in 0..<k { plan.append((heading, d == 0 ? unit(heading) : randomBeta(plan.count))) }
            }
            return plan
        }
    }

    /// Continues Algorithm 1 from `state` until `N` points are accepted, the queue is empty
    /// or the candidate cap is reached. `onAccept` is called after every accepted point (to
    /// save the state atomically); `onProgress` after every candidate.
    public static func run(
        _ objective: ParetoObjective, state initial: ExpansionState, options: ExpansionOptions,
        onAccept: (ExpansionState) throws -> Void = { _ in },
        onProgress: (ExpansionProgress) -> Void = { _ in }
    ) throws -> ExpansionState {
        guard options.directions >= 1, options.points >= 1 else {
            throw ExpansionError.invalidOption("directions and points must be at least 1")
        }
        guard options.stepSize > 0, options.stepSize.isFinite else {
            throw ExpansionError.invalidOption("step size must be positive, got \(options.stepSize)")
        }
        if options.steering == .bothWays && objective.objectiveCount != 2 {
            throw ExpansionError.invalidOption("both-ways steering needs two objectives; use steering none")
        }
        var state = initial
        let m = objective.objectiveCount
        let maxCandidates = options.maxCandidatesFactor * options.points
        while state.points.count < options.points && state.nextToExpand < state.points.count
                && state.candidates < maxCandidates {
            let parent = state.points[state.nextToExpand]
            let plan = plan(for: parent, objectiveCount: m, options: options)
            if state.nextDirection >= plan.count {
                state.nextToExpand += 1
                state.nextDirection = 0
                continue
            }
            let (heading, beta) = plan[state.nextDirection]
            let directionIndex = state.nextDirection
            state.nextDirection += 1
            state.candidates += 1
            var lastResidual: Double? = nil
            do {
                let direction = try objective.withPhase(.tangent) {
                    try expansionDirection(objective, at: parent.point, beta: beta, favouring: heading, options: options.direction)
                }
                if options.direction.method == .tangent { state.minresIterations.append(direction.minresIterations) }
                lastResidual = direction.residualNorms.last
                let stepped = objective.project(Vector.adding(parent.parameters, direction.direction, scaledBy: options.stepSize))
                let optimized = try objective.withPhase(.correction) {
                    try paretoOptimize(
                        objective, from: stepped, options: options.optimize,
                        stream: candidateStream(parent: parent.id, direction: directionIndex))
                }
                state.optimizeIterations += optimized.iterations
                let child = optimized.point
                let stalled = Vector.distance(child.parameters, parent.parameters) < options.stepSize / 10
                let dominated = state.points.contains { dominates($0.objectives, child.objectives) }
                let backwards = heading.map { child.objectives[$0] >= parent.objectives[$0] } ?? false
                if stalled || dominated || backwards {
                    state.rejected += 1
                    if backwards && !stalled && !dominated { state.chainEnds.append(parent.id) }
                } else {
                    state.points.append(ExpansionPoint(
                        id: state.points.count, parent: parent.id, heading: heading, directionIndex: directionIndex,
                        point: child, direction: direction.direction, minresIterations: direction.minresIterations,
                        residualNorms: direction.residualNorms, optimizeIterations: optimized.iterations))
                    try onAccept(state)
                }
            } catch let error where CandidateFailure.endsBranch(error) {
                state.rejected += 1
                state.failures.append(CandidateFailure(parent: parent.id, direction: directionIndex, reason: "\(error)"))
            }
            onProgress(ExpansionProgress(
                accepted: state.points.count, target: options.points, candidates: state.candidates,
                lastResidual: lastResidual, evaluations: objective.counts))
        }
        return state
    }
}
