import MultiObjective

/// The continuous parametrisation of an expansion (Ma et al. 2020, §5, eq. 7).
///
/// **Local sets.** The local set of point `xᵢ` is the convex hull of `xᵢ` and its children,
/// `{ Σⱼ λⱼ xⱼ : λ in the simplex }`; ``localSet(of:)`` lists it and ``point(inLocalSetOf:weights:)``
/// evaluates a member.
///
/// **Chains (m = 2).** With both-ways steering the points form two chains from the seed, one
/// favouring f₁ and one favouring f₂ (each point's first child in its own heading). Joined at
/// the seed they are one piecewise-linear curve in parameter space, re-parametrised by
/// `t ∈ [−1, 1]`: `t = −1` at the end favouring f₁, `t = 1` at the end favouring f₂, and `t`
/// proportional to arc length in parameter space in between.
public struct ContinuousParetoSet: Sendable {
    /// The accepted points, by id.
    public let points: [ExpansionPoint]
    /// The chain's point ids from the f₁ end to the f₂ end (empty unless m = 2 with steering).
    public let chain: [Int]
    /// `t` of each chain point, increasing from −1 to 1 (a single point has `t = 0`).
    public let chainParameters: [Double]

    /// Builds the parametrisation of an expansion.
    public init(_ state: ExpansionState) {
        points = state.points
        guard let seed = state.points.first, seed.objectives.count == 2 else {
            chain = state.points.first.map { [$0.id] } ?? []
            chainParameters = chain.map { _ in 0 }
            return
        }
        func branch(_ heading: Int) -> [Int] {
            var ids: [Int] = []
            var current = seed.id
            while let next = state.points.first(where: { $0.parent == current && $0.heading == heading }) {
                ids.append(next.id)
                current = next.id
            }
            return ids
        }
        let ids = branch(0).reversed() + [seed.id] + branch(1)
        var lengths = [0.0]
        for (a, b) in zip(ids, ids.dropFirst()) {
            lengths.append(lengths.last! + Vector.distance(state.points[a].parameters, state.points[b].parameters))
        }
        let total = lengths.last!
        chain = ids
        chainParameters = total > 0 ? lengths.map { 2 * $0 / total - 1 } : ids.map { _ in 0 }
    }

    /// `t` of the point with id `id` if it lies on the chain.
    public func parameter(ofPoint id: Int) -> Double? {
        chain.firstIndex(of: id).map { chainParameters[$0] }
    }

    /// The parameters `x(t)` on the chain, by linear interpolation between neighbouring chain
    /// points.
    /// - Throws: ``ExpansionError/invalidParameter(t:)`` outside `[−1, 1]`.
    public func parameters(at t: Double) throws -> [Double] {
        guard t >= -1, t <= 1, t.isFinite else { throw ExpansionError.invalidParameter(t: t) }
        guard chain.count > 1 else { return points[chain[0]].parameters }
        var segment = 0
        while segment < chain.count - 2 && chainParameters[segment + 1] < t { segment += 1 }
        let (t0, t1) = (chainParameters[segment], chainParameters[segment + 1])
        let lambda = t1 > t0 ? min(max((t - t0) / (t1 - t0), 0), 1) : 0
        let a = points[chain[segment]].parameters, b = points[chain[segment + 1]].parameters
        return zip(a, b).map { $0 + lambda * ($1 - $0) }
    }

    /// The ids of the local set of point `id`: the point and its children (eq. 7).
    public func localSet(of id: Int) -> [Int] {
        [id] + points.filter { $0.parent == id }.map(\.id)
    }

    /// `Σⱼ λⱼ xⱼ` over ``localSet(of:)`` for convex weights `λ`.
    /// - Throws: ``ExpansionError`` if the weights do not match or are not convex.
    public func point(inLocalSetOf id: Int, weights: [Double]) throws -> [Double] {
        let members = localSet(of: id)
        guard weights.count == members.count else {
            throw ExpansionError.dimensionMismatch(argument: "local-set weights", expected: members.count, actual: weights.count)
        }
        guard weights.allSatisfy({ $0 >= 0 }), abs(weights.reduce(0, +) - 1) < 1e-9 else {
            throw ExpansionError.invalidOption("local-set weights must be non-negative and sum to 1")
        }
        var x = [Double](repeating: 0, count: points[id].parameters.count)
        for (weight, member) in zip(weights, members) { x = Vector.adding(x, points[member].parameters, scaledBy: weight) }
        return x
    }

    /// One sample of the continuous front.
    public struct Sample: Sendable, Equatable {
        /// `t`.
        public var t: Double
        /// `f(x(t))`, evaluated (not interpolated).
        public var objectives: [Double]
        /// Whether another sample dominates it (a dominated piece of the curve).
        public var dominated: Bool
    }

    /// `f(x(t))` at `count` evenly spaced `t` in `[−1, 1]` (each an objective evaluation),
    /// with dominated samples marked.
    public func sampleCurve(count: Int, objective: ParetoObjective) throws -> [Sample] {
        guard count >= 2 else { throw ExpansionError.invalidOption("curve needs at least 2 samples, got \(count)") }
        var samples: [Sample] = []
        for k in 0..<count {
            let t = -1 + 2 * Double(k) / Double(count - 1)
            samples.append(Sample(t: t, objectives: try objective.values(at: try parameters(at: t)), dominated: false))
        }
        // Non-dominated filtering keeps one of exact duplicates; a duplicate is not dominated.
        let keep = Set(try nonDominatedIndices(samples.map(\.objectives)))
        for k in samples.indices where !keep.contains(k) {
            samples[k].dominated = samples.contains { dominates($0.objectives, samples[k].objectives) }
        }
        return samples
    }
}
