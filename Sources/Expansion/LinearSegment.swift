/// A family linear in the preference: `x(λ) = x₀ + Σₜ λₜ dₜ` over the simplex of `m` tasks,
/// the analytic counterpart of PaLoRA's `θ(λ) = θ₀ + (a/r) Σₜ λₜ Bₜ Aₜ` (Dimitriadis et al.,
/// eq. 2). Because `Σλ = 1` it is the convex combination `x(λ) = Σₜ λₜ vₜ` of its vertices
/// `vₜ = x(eₜ) = x₀ + dₜ`, which is how it is stored: the run's points at the one-hot
/// preferences, with their parameters.
public struct LinearSegment: ParetoFamily, Sendable, Equatable {
    /// The `method` of a linear-family run's front file.
    public static let method = "linear-segment"

    /// `vₜ = x(eₜ)`, one per task.
    public let vertices: [[Double]]
    public let nodes: [FamilyNode]
    public var domain: FamilyDomain { .simplex(tasks: vertices.count) }

    /// A family with the given vertices.
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for fewer than 2 vertices or vertices of
    ///   different lengths.
    public init(vertices: [[Double]], nodes: [FamilyNode] = []) throws {
        guard vertices.count >= 2, let n = vertices.first?.count, n > 0, vertices.allSatisfy({ $0.count == n }) else {
            throw ExpansionError.invalidOption("a linear family needs at least 2 vertices of one length")
        }
        self.vertices = vertices
        self.nodes = nodes
    }

    /// The family of a linear-family run: its vertices are the points at the one-hot
    /// preferences (their `parameters`), its nodes all points with a preference.
    /// - Throws: ``ExpansionError/invalidOption(_:)`` when a vertex or its parameters are missing.
    public init(front: FrontFile) throws {
        let withPreference = front.points.filter { $0.preference != nil }
        guard let m = withPreference.first?.preference?.count, m >= 2 else {
            throw ExpansionError.invalidOption("a linear-family run needs points with preferences")
        }
        let vertices = try (0..<m).map { task -> [Double] in
            guard let vertex = withPreference.first(where: { $0.preference == (0..<m).map { $0 == task ? 1 : 0 } }), let x = vertex.parameters else {
                throw ExpansionError.invalidOption("the linear-family run has no point with parameters at the preference e\(task + 1)")
            }
            return x
        }
        try self.init(vertices: vertices, nodes: withPreference.compactMap { point in
            point.preference.map { FamilyNode(id: point.id, coordinate: .preference($0), objectives: point.objectives) }
        })
    }

    public func parameters(at coordinate: FamilyCoordinate) throws -> [Double] {
        guard let lambda = coordinate.preference, domain.contains(coordinate) else {
            throw ExpansionError.invalidCoordinate(coordinate, domain: domain)
        }
        var x = [Double](repeating: 0, count: vertices[0].count)
        for (weight, vertex) in zip(lambda, vertices) { x = Vector.adding(x, vertex, scaledBy: weight) }
        return x
    }
}
