import MultiObjective

/// Piecewise-linear interpolation along a chain of nodes with increasing `t` (Ma et al. 2020,
/// §5: for m = 2 and K = 1 the union of the local sets is a piecewise-linear curve):
/// `x(t) = (1 − w) x_j + w x_{j+1}` for `t_j ≤ t ≤ t_{j+1}`, `w = (t − t_j)/(t_{j+1} − t_j)`.
/// The nodes' parameters come from a closure, so they can live in memory (an analytic run)
/// or in checkpoint files (a network run), loaded only when needed.
public struct ChainInterpolation: Sendable, Equatable {
    /// The nodes' `t`, non-decreasing, from −1 to 1 (a single node has `t = 0`).
    public let t: [Double]

    /// - Throws: ``ExpansionError/invalidOption(_:)`` for no nodes or `t` not non-decreasing
    ///   in `[−1, 1]`.
    public init(t: [Double]) throws {
        guard !t.isEmpty else { throw ExpansionError.invalidOption("a chain needs at least one node") }
        guard t.allSatisfy({ $0.isFinite && $0 >= -1 && $0 <= 1 }), zip(t, t.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw ExpansionError.invalidOption("chain parameters must be non-decreasing in [-1, 1], got \(t)")
        }
        self.t = t
    }

    /// A chain parametrisation known to be valid (``arcLengthParameters(segmentLengths:)``).
    init(validated t: [Double]) {
        self.t = t
    }

    /// `t` of nodes at cumulative arc lengths of the given segment lengths: `t = −1` at the
    /// first node, `1` at the last, proportional to arc length in between (all `0` for a
    /// chain of zero length). A negative or non-finite length counts as 0, so the result is
    /// always a valid chain parametrisation (non-decreasing in `[−1, 1]`).
    public static func arcLengthParameters(segmentLengths: [Double]) -> [Double] {
        var cumulative = [0.0]
        for length in segmentLengths { cumulative.append(cumulative.last! + (length.isFinite && length > 0 ? length : 0)) }
        let total = cumulative.last!
        return total > 0 ? cumulative.map { 2 * $0 / total - 1 } : cumulative.map { _ in 0 }
    }

    /// The two nodes around `t` and the weight `w` of the second.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:domain:)`` outside `[−1, 1]`.
    public func bracket(_ t: Double) throws -> (lower: Int, upper: Int, weight: Double) {
        guard FamilyDomain.chain.contains(.t(t)) else { throw ExpansionError.invalidCoordinate(.t(t), domain: .chain) }
        guard self.t.count > 1 else { return (0, 0, 0) }
        var segment = 0
        while segment < self.t.count - 2 && self.t[segment + 1] < t { segment += 1 }
        let (t0, t1) = (self.t[segment], self.t[segment + 1])
        let weight = t1 > t0 ? min(max((t - t0) / (t1 - t0), 0), 1) : 0
        return (segment, segment + 1, weight)
    }

    /// `x(t)` from the nodes' parameters (`node(j)` for the j-th node, called at most twice).
    public func interpolate(at t: Double, node: (Int) throws -> [Double]) throws -> [Double] {
        let (lower, upper, weight) = try bracket(t)
        let a = try node(lower)
        guard upper != lower else { return a }
        let b = try node(upper)
        return zip(a, b).map { $0 + weight * ($1 - $0) }
    }
}

/// A tangent chain as a ``ParetoFamily``: the nodes from the end favouring f₁ (`t = −1`) to the
/// end favouring f₂ (`t = 1`), `x(t)` by ``ChainInterpolation``. The nodes' parameters come
/// from `nodeParameters` (by node id), so a chain read from a run directory loads only the
/// two checkpoints around each `t`.
public struct TangentChain: ParetoFamily, Sendable {
    public var domain: FamilyDomain { .chain }
    /// The chain's points, `coordinate = .t(tᵢ)`, ids as in the run.
    public let nodes: [FamilyNode]
    /// The interpolation over the nodes' `t`.
    public let interpolation: ChainInterpolation
    private let nodeParameters: @Sendable (Int) throws -> [Double]

    /// A chain of `nodes` (each with a `.t` coordinate, non-decreasing) whose parameters
    /// `nodeParameters(id)` returns.
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for nodes without `t` or out of order.
    public init(nodes: [FamilyNode], nodeParameters: @escaping @Sendable (Int) throws -> [Double]) throws {
        let t = try nodes.map { node -> Double in
            guard let t = node.coordinate.t else { throw ExpansionError.invalidOption("chain node \(node.id) has no t") }
            return t
        }
        self.init(nodes: nodes, interpolation: try ChainInterpolation(t: t), nodeParameters: nodeParameters)
    }

    /// A chain whose nodes' `t` are `interpolation.t`.
    init(nodes: [FamilyNode], interpolation: ChainInterpolation, nodeParameters: @escaping @Sendable (Int) throws -> [Double]) {
        self.interpolation = interpolation
        self.nodes = nodes
        self.nodeParameters = nodeParameters
    }

    public func parameters(at coordinate: FamilyCoordinate) throws -> [Double] {
        guard let t = coordinate.t else { throw ExpansionError.invalidCoordinate(coordinate, domain: .chain) }
        return try interpolation.interpolate(at: t) { try nodeParameters(nodes[$0].id) }
    }

    /// `x(t)`.
    public func parameters(at t: Double) throws -> [Double] { try parameters(at: .t(t)) }
}

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
/// proportional to arc length in parameter space in between. ``family`` is that curve as a
/// ``ParetoFamily``.
public struct ContinuousParetoSet: Sendable {
    /// The accepted points, by id.
    public let points: [ExpansionPoint]
    /// The chain's point ids from the f₁ end to the f₂ end (the seed alone unless m = 2 with steering).
    public let chain: [Int]
    /// `t` of each chain point, increasing from −1 to 1 (a single point has `t = 0`).
    public let chainParameters: [Double]
    /// The chain as a family (its nodes' objectives are the points' objectives).
    public let family: TangentChain

    /// Builds the parametrisation of an expansion.
    public init(_ state: ExpansionState) {
        points = state.points
        chain = Self.chainIDs(parents: state.points.map(\.parent), headings: state.points.map(\.heading))
        chainParameters = ChainInterpolation.arcLengthParameters(
            segmentLengths: zip(chain, chain.dropFirst()).map { Vector.distance(state.points[$0].parameters, state.points[$1].parameters) })
        let points = state.points
        family = TangentChain(
            nodes: zip(chain, chainParameters).map { FamilyNode(id: $0, coordinate: .t($1), objectives: points[$0].objectives) },
            interpolation: ChainInterpolation(validated: chainParameters), nodeParameters: { points[$0].parameters })
    }

    /// The ids of the chain through the seed (id 0): heading 0's branch reversed, the seed,
    /// heading 1's branch, each branch following every point's first child in that heading.
    /// Two objectives are needed for headings; otherwise the chain is the seed alone.
    public static func chainIDs(parents: [Int?], headings: [Int?]) -> [Int] {
        guard !parents.isEmpty else { return [] }
        func branch(_ heading: Int) -> [Int] {
            var ids: [Int] = []
            var current = 0
            while let next = parents.indices.first(where: { parents[$0] == current && headings[$0] == heading }) {
                ids.append(next)
                current = next
            }
            return ids
        }
        return branch(0).reversed() + [0] + branch(1)
    }

    /// `t` of the point with id `id` if it lies on the chain.
    public func parameter(ofPoint id: Int) -> Double? {
        chain.firstIndex(of: id).map { chainParameters[$0] }
    }

    /// The parameters `x(t)` on the chain, by linear interpolation between neighbouring chain
    /// points.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:domain:)`` outside `[−1, 1]`.
    public func parameters(at t: Double) throws -> [Double] { try family.parameters(at: t) }

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
        guard FamilyDomain.simplex(tasks: members.count).contains(.preference(weights)) else {
            throw ExpansionError.invalidOption("local-set weights must be non-negative and sum to 1")
        }
        var x = [Double](repeating: 0, count: points[id].parameters.count)
        for (weight, member) in zip(weights, members) { x = Vector.adding(x, points[member].parameters, scaledBy: weight) }
        return x
    }

    /// `f(x(t))` at `count` evenly spaced `t` in `[−1, 1]` (each an objective evaluation),
    /// with dominated samples marked.
    public func sampleCurve(count: Int, objective: ParetoObjective) throws -> [CurveSample] {
        try family.sampleCurve(count: count) { SampleEvaluation(objectives: try objective.values(at: $0)) }
    }
}
