import MultiObjective

/// Where a family's own parameter lives.
public enum FamilyDomain: Sendable, Equatable {
    /// A chain's `t ∈ [−1, 1]`, from the end favouring f₁ (`−1`) to the end favouring f₂ (`1`)
    /// (Ma et al. 2020, §5: the continuous parametrisation of a tangent chain).
    case chain
    /// A preference `λ` on the probability simplex of `tasks` objectives (`λ ≥ 0`, `Σλ = 1`),
    /// e.g. the PaLoRA segment `θ(λ)` (Dimitriadis et al., eq. 2).
    case simplex(tasks: Int)

    /// Whether `coordinate` lies in the domain (to rounding: a preference may miss `Σλ = 1`
    /// by 1e-9).
    public func contains(_ coordinate: FamilyCoordinate) -> Bool {
        switch (self, coordinate) {
        case (.chain, .t(let t)): return t.isFinite && t >= -1 && t <= 1
        case (.simplex(let tasks), .preference(let lambda)):
            return lambda.count == tasks && lambda.allSatisfy { $0.isFinite && $0 >= 0 }
                && abs(lambda.reduce(0, +) - 1) <= 1e-9
        default: return false
        }
    }

    /// `count` coordinates evenly covering the domain: `t` evenly spaced in `[−1, 1]`; for two
    /// tasks `(λ, 1 − λ)` with `λ` evenly spaced in `[0, 1]`, from favouring task 2 to task 1;
    /// for more tasks the simplex lattice `{ k / h : Σk = h }` with the largest `h` that gives
    /// at most `count` points (Das & Dennis 1998).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for `count < 2`.
    public func evenlySpaced(count: Int) throws -> [FamilyCoordinate] {
        guard count >= 2 else { throw ExpansionError.invalidOption("a curve needs at least 2 samples, got \(count)") }
        switch self {
        case .chain:
            return (0..<count).map { .t(-1 + 2 * Double($0) / Double(count - 1)) }
        case .simplex(let tasks) where tasks == 2:
            return (0..<count).map { k in
                let lambda = Double(k) / Double(count - 1)
                return .preference([lambda, 1 - lambda])
            }
        case .simplex(let tasks):
            var divisions = 1
            while Self.latticeSize(tasks: tasks, divisions: divisions + 1) <= count { divisions += 1 }
            return Self.lattice(tasks: tasks, divisions: divisions).map { .preference($0) }
        }
    }

    /// The number of points `C(h + m − 1, m − 1)` of the simplex lattice with `h` divisions.
    static func latticeSize(tasks: Int, divisions: Int) -> Int {
        var size = 1
        for k in 1..<max(tasks, 1) { size = size * (divisions + k) / k }
        return size
    }

    /// The simplex lattice `{ k / h : k ∈ ℕᵐ, Σk = h }` in lexicographic order of `k`.
    static func lattice(tasks: Int, divisions: Int) -> [[Double]] {
        func compositions(_ total: Int, _ parts: Int) -> [[Int]] {
            guard parts > 1 else { return [[total]] }
            return (0...total).flatMap { first in compositions(total - first, parts - 1).map { [first] + $0 } }
        }
        return compositions(divisions, tasks).map { $0.map { Double($0) / Double(divisions) } }
    }
}

/// A value of a family's own parameter.
public enum FamilyCoordinate: Sendable, Hashable, CustomStringConvertible {
    /// A chain's `t ∈ [−1, 1]`.
    case t(Double)
    /// A preference `λ` on the simplex.
    case preference([Double])

    /// `t` for a chain coordinate.
    public var t: Double? {
        if case .t(let t) = self { return t }
        return nil
    }

    /// `λ` for a preference coordinate.
    public var preference: [Double]? {
        if case .preference(let lambda) = self { return lambda }
        return nil
    }

    public var description: String {
        switch self {
        case .t(let t): return "t = \(t)"
        case .preference(let lambda): return "λ = (\(lambda.map { "\($0)" }.joined(separator: ", ")))"
        }
    }
}

/// A point of a family at which objectives were recorded: an accepted point of a chain, an
/// evaluated preference of a segment.
public struct FamilyNode: Sendable, Equatable {
    /// Its identity within the run (a chain point's id, a preference's index).
    public var id: Int
    /// Where it lies in the family's domain.
    public var coordinate: FamilyCoordinate
    /// `f` recorded there (the objectives the family was built on, e.g. training losses).
    public var objectives: [Double]

    public init(id: Int, coordinate: FamilyCoordinate, objectives: [Double]) {
        self.id = id
        self.coordinate = coordinate
        self.objectives = objectives
    }
}

/// A continuous piece of a Pareto set: a map from a parameter domain (a chain's `t`, a
/// preference `λ`) to parameters `x` (decision variables or network weights), with the
/// objectives recorded at its nodes. Tangent chains (Ma et al. 2020, §5) and PaLoRA segments
/// (Dimitriadis et al., eq. 2) are families; stitching works on families.
public protocol ParetoFamily {
    /// The family's parameter domain.
    var domain: FamilyDomain { get }
    /// The nodes, in the family's order (a chain's from `t = −1` to `t = 1`).
    var nodes: [FamilyNode] { get }
    /// The parameters `x` at `coordinate`.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:)`` outside ``domain``.
    func parameters(at coordinate: FamilyCoordinate) throws -> [Double]
}

/// What a curve sample's evaluation returns: the objectives measured at `x` and, for
/// classifiers, the accuracy per task.
public struct SampleEvaluation: Sendable, Equatable {
    public var objectives: [Double]
    public var accuracy: [Double]?

    public init(objectives: [Double], accuracy: [Double]? = nil) {
        self.objectives = objectives
        self.accuracy = accuracy
    }
}

/// One sample of a family's continuous front: `f(x(c))` evaluated (not interpolated).
public struct CurveSample: Sendable, Equatable {
    /// Where in the family's domain.
    public var coordinate: FamilyCoordinate
    /// The objectives evaluated at `x(coordinate)`.
    public var objectives: [Double]
    /// The accuracy per task (classifiers).
    public var accuracy: [Double]?
    /// Whether another sample of the same curve dominates it (a dominated piece).
    public var dominated: Bool

    /// `t` of a chain sample.
    public var t: Double? { coordinate.t }

    public init(coordinate: FamilyCoordinate, objectives: [Double], accuracy: [Double]? = nil, dominated: Bool = false) {
        self.coordinate = coordinate
        self.objectives = objectives
        self.accuracy = accuracy
        self.dominated = dominated
    }
}

extension ParetoFamily {
    /// `f(x(c))` at `count` coordinates evenly covering the domain
    /// (``FamilyDomain/evenlySpaced(count:)``), each evaluated by `evaluate`, with the samples
    /// another sample dominates marked (``markingDominated(_:)``).
    public func sampleCurve(count: Int, evaluate: ([Double]) throws -> SampleEvaluation) throws -> [CurveSample] {
        let samples = try domain.evenlySpaced(count: count).map { coordinate in
            let value = try evaluate(try parameters(at: coordinate))
            return CurveSample(coordinate: coordinate, objectives: value.objectives, accuracy: value.accuracy)
        }
        return try CurveSample.markingDominated(samples)
    }
}

extension CurveSample {
    /// `samples` with ``dominated`` set where another sample dominates (exact duplicates do
    /// not dominate each other).
    public static func markingDominated(_ samples: [CurveSample]) throws -> [CurveSample] {
        var marked = samples
        let keep = Set(try nonDominatedIndices(samples.map(\.objectives)))
        for k in marked.indices {
            marked[k].dominated = !keep.contains(k) && samples.contains { dominates($0.objectives, samples[k].objectives) }
        }
        return marked
    }
}
