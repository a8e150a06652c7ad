import Autodiff
import Foundation
import LinearAlgebra

/// Evaluation counts in the cost unit of Ma et al. (2020, §6): every call of the objectives,
/// of the gradients (one Jacobian, all `m` rows from one forward pass) and of a Hessian-vector
/// product counts as one.
public struct EvaluationCounts: Codable, Equatable, Sendable {
    /// Calls of `f(x)` alone.
    public var objectives = 0
    /// Calls of `(f(x), ∇f(x))`.
    public var gradients = 0
    /// Calls of `H(α) v`.
    public var hvps = 0

    public init(objectives: Int = 0, gradients: Int = 0, hvps: Int = 0) {
        self.objectives = objectives
        self.gradients = gradients
        self.hvps = hvps
    }

    /// The total number of evaluations.
    public var total: Int { objectives + gradients + hvps }
}

/// The phases of a run whose evaluations are counted apart (Ma et al. 2020, §6: the cost of a
/// run is its number of objective, gradient and Hessian-vector-product evaluations; here also
/// where they went).
public enum EvaluationPhase: String, Codable, CaseIterable, Sendable {
    /// ParetoOptimize of the seed before expanding (its stationarity measurements included).
    case seed
    /// The expansion directions (ParetoExpand, Algorithm 1): the HVPs of the tangent solves.
    case tangent
    /// ParetoOptimize after each expansion step (Algorithm 1's correction).
    case correction
    /// The weighted-sum baseline's gradient steps (the necessity test, §6.1).
    case baseline
    /// Evaluations on the test split: the input network, every accepted point, the curve samples.
    case test
    /// Anything not inside one of the phases above.
    case other
}

/// Evaluation counts per ``EvaluationPhase`` (`evaluations_by_phase` in front.json). A phase
/// that did not occur is `nil` (absent from the file, never `null`).
public struct EvaluationsByPhase: Codable, Equatable, Sendable {
    /// ``EvaluationPhase/seed``: the seed's ParetoOptimize and its full-set stationarity checks.
    public var seed: EvaluationCounts?
    /// ``EvaluationPhase/tangent``: the HVPs of the tangent solves (eq. 6, MINRES).
    public var tangent: EvaluationCounts?
    /// ``EvaluationPhase/correction``: ParetoOptimize after each expansion step.
    public var correction: EvaluationCounts?
    /// ``EvaluationPhase/baseline``: the weighted-sum baseline's gradient steps.
    public var baseline: EvaluationCounts?
    /// ``EvaluationPhase/test``: test-split evaluations (not part of a run's `evaluations`).
    public var test: EvaluationCounts?
    /// ``EvaluationPhase/other``: evaluations outside the phases above.
    public var other: EvaluationCounts?

    /// No evaluations.
    public init() {}

    /// The counts of `phase` (zero if it did not occur).
    public subscript(phase: EvaluationPhase) -> EvaluationCounts {
        get {
            switch phase {
            case .seed: return seed ?? EvaluationCounts()
            case .tangent: return tangent ?? EvaluationCounts()
            case .correction: return correction ?? EvaluationCounts()
            case .baseline: return baseline ?? EvaluationCounts()
            case .test: return test ?? EvaluationCounts()
            case .other: return other ?? EvaluationCounts()
            }
        }
        set {
            let stored: EvaluationCounts? = newValue.total == 0 ? nil : newValue
            switch phase {
            case .seed: seed = stored
            case .tangent: tangent = stored
            case .correction: correction = stored
            case .baseline: baseline = stored
            case .test: test = stored
            case .other: other = stored
            }
        }
    }

    /// The sum over all phases but ``EvaluationPhase/test``: the run's `evaluations` (which
    /// has never included test-set evaluations).
    public var run: EvaluationCounts {
        EvaluationPhase.allCases.filter { $0 != .test }.reduce(EvaluationCounts()) { $0 + self[$1] }
    }

    /// `a + b` phase by phase.
    public static func + (a: EvaluationsByPhase, b: EvaluationsByPhase) -> EvaluationsByPhase {
        var sum = EvaluationsByPhase()
        for phase in EvaluationPhase.allCases { sum[phase] = a[phase] + b[phase] }
        return sum
    }

    /// `a − b` phase by phase (counts since `b` was taken).
    public static func - (a: EvaluationsByPhase, b: EvaluationsByPhase) -> EvaluationsByPhase {
        var difference = EvaluationsByPhase()
        for phase in EvaluationPhase.allCases { difference[phase] = a[phase] - b[phase] }
        return difference
    }
}

extension EvaluationCounts {
    /// `a + b` count by count.
    public static func + (a: EvaluationCounts, b: EvaluationCounts) -> EvaluationCounts {
        EvaluationCounts(objectives: a.objectives + b.objectives, gradients: a.gradients + b.gradients, hvps: a.hvps + b.hvps)
    }

    /// `a − b` count by count.
    public static func - (a: EvaluationCounts, b: EvaluationCounts) -> EvaluationCounts {
        EvaluationCounts(objectives: a.objectives - b.objectives, gradients: a.gradients - b.gradients, hvps: a.hvps - b.hvps)
    }
}

/// The objectives on mini-batches of the data: `f_B(x)` and `∇f_B(x)`, the mean losses over
/// a batch `B` of ``batchSize`` of the ``count`` items the full objectives average over (the
/// stochastic gradients of SGD, and of mini-batch ParetoOptimize, ``MiniBatchOptimization``).
public struct MiniBatchSource {
    /// Items the full objectives average over (batches are drawn from `0..<count`).
    public let count: Int
    /// Items per batch (at most ``count``).
    public let batchSize: Int
    let body: ([Int], [Double]) throws -> (values: [Double], jacobian: [[Double]])

    /// A source whose batch `indices` has the objectives `function(indices)`.
    /// - Throws: ``ExpansionError/invalidOption(_:)`` unless `1 ≤ batchSize` and `count ≥ 1`
    ///   (a batch size above `count` is reduced to `count`).
    public init<Scalar: BLASScalar>(
        count: Int, batchSize: Int, function: @escaping ([Int]) throws -> any DifferentiableVectorFunction<Scalar>
    ) throws {
        guard count >= 1, batchSize >= 1 else {
            throw ExpansionError.invalidOption("mini-batches need at least one item and a positive batch size, got \(count) items and batch size \(batchSize)")
        }
        self.count = count
        self.batchSize = min(batchSize, count)
        body = { indices, x in
            let (values, jacobian) = try function(indices).valuesAndJacobian(at: x.map { Scalar($0) })
            return (values.map(Double.init), jacobian.map { $0.map(Double.init) })
        }
    }

    /// A batch: ``batchSize`` distinct indices drawn uniformly from `0..<count` (partial
    /// Fisher–Yates), in increasing order.
    public func draw(using generator: inout SeededGenerator) -> [Int] {
        var pool = Array(0..<count)
        for i in 0..<batchSize {
            let j = i + generator.uniformIndex(below: count - i)
            pool.swapAt(i, j)
        }
        return pool.prefix(batchSize).sorted()
    }
}

/// Errors of the expansion algorithms.
public enum ExpansionError: Error, Equatable, CustomStringConvertible {
    case dimensionMismatch(argument: String, expected: Int, actual: Int)
    case invalidOption(String)
    case degenerateDirection(String)
    /// A coordinate outside the family's domain (a chain's `t ∉ [−1, 1]`, a preference off the simplex).
    case invalidCoordinate(FamilyCoordinate, domain: FamilyDomain)
    /// An objective value, gradient or Hessian-vector product is NaN or infinite.
    case nonFinite(quantity: String, index: Int)

    public var description: String {
        switch self {
        case .dimensionMismatch(let argument, let expected, let actual):
            return "\(argument) has \(actual) components, expected \(expected)"
        case .invalidOption(let reason): return reason
        case .degenerateDirection(let reason): return "no expansion direction: \(reason)"
        case .invalidCoordinate(let coordinate, let domain):
            switch domain {
            case .chain: return "\(coordinate) is outside the chain's domain [-1, 1]"
            case .simplex(let tasks): return "\(coordinate) is not a preference on the \(tasks)-task simplex (non-negative, summing to 1)"
            }
        case .nonFinite(let quantity, let index): return "non-finite value (NaN or infinity) in \(quantity), component \(index)"
        }
    }
}

/// The objectives `f: Rⁿ → Rᵐ` an expansion works on, in double precision, with optional box
/// bounds, counting every evaluation and timing gradients and HVPs.
///
/// Values and gradients come from one ``DifferentiableVectorFunction``; Hessian-vector
/// products may come from another (the reference setting for networks: gradients on the whole
/// training set, HVPs on one mini-batch). Scalars are converted at the boundary, so a Float32
/// network and a Float64 analytic problem look the same here. Not thread-safe.
public final class ParetoObjective {
    /// `n`.
    public let parameterCount: Int
    /// `m`.
    public let objectiveCount: Int
    /// Lower and upper bounds per variable, or `nil` (unconstrained).
    public let bounds: (lower: [Double], upper: [Double])?
    /// Evaluations so far.
    public private(set) var counts = EvaluationCounts()
    /// Evaluations so far, split by the ``phase`` they were made in (their sum is ``counts``).
    public private(set) var countsByPhase = EvaluationsByPhase()
    /// The phase new evaluations are counted in (see ``withPhase(_:_:)``).
    public private(set) var phase: EvaluationPhase = .other
    /// Mini-batches of the objectives (`nil`: only the full objectives).
    public let miniBatches: MiniBatchSource?
    /// Seconds spent in full-set gradient evaluations so far.
    public private(set) var gradientSeconds = 0.0
    /// Mini-batch gradient evaluations so far (also in ``counts``' gradients).
    public private(set) var miniBatchGradients = 0
    /// Seconds spent in mini-batch gradient evaluations so far (not in ``gradientSeconds``).
    public private(set) var miniBatchSeconds = 0.0
    /// Seconds spent in Hessian-vector products so far.
    public private(set) var hvpSeconds = 0.0

    private let valuesBody: ([Double]) throws -> [Double]
    private let jacobianBody: ([Double]) throws -> (values: [Double], jacobian: [[Double]])
    private let hvpBody: ([Double], [Double], [Double]) throws -> [Double]

    /// An objective whose values, gradients and HVPs all come from `function`.
    public convenience init<F: DifferentiableVectorFunction>(
        _ function: F, bounds: (lower: [Double], upper: [Double])? = nil
    ) throws {
        try self.init(values: function, curvature: function, bounds: bounds)
    }

    /// An objective with values and gradients from `values` and Hessian-vector products from
    /// `curvature` (same `n` and `m`). A `curvature` that conforms to
    /// ``PreparedHessianVectorProducts`` is prepared once per point; it must not be used by
    /// anything else while this objective lives (its prepared point would be overwritten).
    /// - Throws: ``ExpansionError`` if the dimensions or bounds disagree.
    /// - Parameter miniBatches: the objectives on mini-batches of the same data (mini-batch
    ///   ParetoOptimize), or `nil`.
    public init<F: DifferentiableVectorFunction, H: DifferentiableVectorFunction>(
        values function: F, curvature: H, bounds: (lower: [Double], upper: [Double])? = nil, miniBatches: MiniBatchSource? = nil
    ) throws {
        guard function.parameterCount == curvature.parameterCount else {
            throw ExpansionError.dimensionMismatch(argument: "curvature function", expected: function.parameterCount, actual: curvature.parameterCount)
        }
        guard function.objectiveCount == curvature.objectiveCount else {
            throw ExpansionError.dimensionMismatch(argument: "curvature objectives", expected: function.objectiveCount, actual: curvature.objectiveCount)
        }
        if let bounds {
            guard bounds.lower.count == function.parameterCount, bounds.upper.count == function.parameterCount else {
                throw ExpansionError.dimensionMismatch(argument: "bounds", expected: function.parameterCount, actual: bounds.lower.count)
            }
            if let i = bounds.lower.indices.first(where: { !(bounds.lower[$0] <= bounds.upper[$0]) }) {
                throw ExpansionError.invalidOption("bound \(i): lower \(bounds.lower[i]) exceeds upper \(bounds.upper[i])")
            }
        }
        parameterCount = function.parameterCount
        objectiveCount = function.objectiveCount
        self.bounds = bounds
        self.miniBatches = miniBatches
        valuesBody = { x in try function.values(at: x.map { F.Scalar($0) }).map(Double.init) }
        jacobianBody = { x in
            let (values, jacobian) = try function.valuesAndJacobian(at: x.map { F.Scalar($0) })
            return (values.map(Double.init), jacobian.map { $0.map(Double.init) })
        }
        // A curvature function that can prepare a point (a fused kernel) pays the primal sweeps
        // once per (x, α), as MINRES multiplies many vectors at the same point; the products are
        // bit-identical to full HVPs. If an evaluation elsewhere discarded the prepared point,
        // it is prepared again.
        if let prepared = curvature as? any PreparedHessianVectorProducts<H.Scalar> {
            var preparedPoint: (x: [Double], weights: [Double])? = nil
            var preparationWorks = true
            hvpBody = { x, v, weights in
                func full() throws -> [Double] {
                    try curvature.hessianVectorProduct(
                        at: x.map { H.Scalar($0) }, along: v.map { H.Scalar($0) }, weights: weights.map { H.Scalar($0) }
                    ).product.map(Double.init)
                }
                guard preparationWorks else { return try full() }
                let direction = v.map { H.Scalar($0) }
                func prepare() throws {
                    try prepared.prepare(at: x.map { H.Scalar($0) }, weights: weights.map { H.Scalar($0) })
                    preparedPoint = (x, weights)
                }
                do {
                    if preparedPoint?.x != x || preparedPoint?.weights != weights { try prepare() }
                    do {
                        return try prepared.hessianVectorProduct(along: direction).map(Double.init)
                    } catch {
                        try prepare()
                        return try prepared.hessianVectorProduct(along: direction).map(Double.init)
                    }
                } catch {
                    // Preparation is only an optimisation: fall back to full products (which
                    // report a genuine error, such as a non-finite value, themselves).
                    preparationWorks = false
                    preparedPoint = nil
                    return try full()
                }
            }
        } else {
            hvpBody = { x, v, weights in
                try curvature.hessianVectorProduct(
                    at: x.map { H.Scalar($0) }, along: v.map { H.Scalar($0) }, weights: weights.map { H.Scalar($0) }
                ).product.map(Double.init)
            }
        }
    }

    private func checkLength(_ x: [Double], _ name: String, _ expected: Int) throws {
        guard x.count == expected else { throw ExpansionError.dimensionMismatch(argument: name, expected: expected, actual: x.count) }
    }

    /// `values` itself, or ``ExpansionError/nonFinite(quantity:index:)`` naming the first NaN or infinity.
    private func finite(_ values: [Double], _ quantity: @autoclosure () -> String) throws -> [Double] {
        if let index = values.firstIndex(where: { !$0.isFinite }) { throw ExpansionError.nonFinite(quantity: quantity(), index: index) }
        return values
    }

    /// Runs `body` with new evaluations counted in `phase`, then restores the previous phase.
    public func withPhase<T>(_ phase: EvaluationPhase, _ body: () throws -> T) rethrows -> T {
        let previous = self.phase
        self.phase = phase
        defer { self.phase = previous }
        return try body()
    }

    private func count(objectives: Int = 0, gradients: Int = 0, hvps: Int = 0) {
        let added = EvaluationCounts(objectives: objectives, gradients: gradients, hvps: hvps)
        counts = counts + added
        countsByPhase[phase] = countsByPhase[phase] + added
    }

    /// `f_B(x)` and `∇f_B(x)` on the mini-batch `batch` of ``miniBatches`` (one gradient
    /// evaluation: Ma et al.'s unit counts a mini-batch evaluation as one).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` without mini-batches or for an index out
    ///   of range; ``ExpansionError/nonFinite(quantity:index:)`` for a NaN or infinite value.
    public func miniBatchValuesAndJacobian(at x: [Double], batch: [Int]) throws -> (values: [Double], jacobian: [[Double]]) {
        try checkLength(x, "parameters", parameterCount)
        guard let miniBatches else { throw ExpansionError.invalidOption("the objective has no mini-batches (mini-batch ParetoOptimize needs them)") }
        guard !batch.isEmpty, batch.allSatisfy({ (0..<miniBatches.count).contains($0) }) else {
            throw ExpansionError.invalidOption("a mini-batch must be non-empty indices in 0..<\(miniBatches.count)")
        }
        count(gradients: 1)
        miniBatchGradients += 1
        let start = DispatchTime.now().uptimeNanoseconds
        defer { miniBatchSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let (values, jacobian) = try miniBatches.body(batch, x)
        for (i, row) in jacobian.enumerated() { _ = try finite(row, "the mini-batch gradient of objective \(i + 1)") }
        return (try finite(values, "the mini-batch objective values"), jacobian)
    }

    /// `f(x)` (one objective evaluation).
    /// - Throws: ``ExpansionError/nonFinite(quantity:index:)`` for a NaN or infinite value.
    public func values(at x: [Double]) throws -> [Double] {
        try checkLength(x, "parameters", parameterCount)
        count(objectives: 1)
        return try finite(try valuesBody(x), "the objective values")
    }

    /// `f(x)` and `∇f(x)` (one gradient evaluation).
    /// - Throws: ``ExpansionError/nonFinite(quantity:index:)`` for a NaN or infinite value.
    public func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) {
        try checkLength(x, "parameters", parameterCount)
        count(gradients: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        defer { gradientSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let (values, jacobian) = try jacobianBody(x)
        for (i, row) in jacobian.enumerated() { _ = try finite(row, "the gradient of objective \(i + 1)") }
        return (try finite(values, "the objective values"), jacobian)
    }

    /// `H(α) v = Σ αᵢ ∇²fᵢ(x) v` (one HVP evaluation).
    /// - Throws: ``ExpansionError/nonFinite(quantity:index:)`` for a NaN or infinite component.
    public func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> [Double] {
        try checkLength(x, "parameters", parameterCount)
        try checkLength(v, "direction", parameterCount)
        try checkLength(weights, "weights", objectiveCount)
        count(hvps: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        defer { hvpSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try finite(try hvpBody(x, v, weights), "a Hessian-vector product")
    }

    /// The Euclidean projection of `x` onto the box (identity without bounds).
    public func project(_ x: [Double]) -> [Double] {
        guard let bounds else { return x }
        return x.indices.map { min(max(x[$0], bounds.lower[$0]), bounds.upper[$0]) }
    }

    /// The variables that are free at `x`: all but those on a bound that every objective's
    /// gradient pushes outward (`∂fₖ/∂xᵢ ≥ 0` for all `k` at a lower bound, `≤ 0` at an upper
    /// bound). Fixing the others is the active-set form of the KKT conditions for box
    /// constraints: Pareto stationarity and tangents are taken in the free coordinates.
    public func freeVariables(at x: [Double], jacobian: [[Double]]) -> [Int] {
        guard let bounds else { return Array(0..<parameterCount) }
        return (0..<parameterCount).filter { i in
            let scale = max(1, abs(bounds.lower[i]), abs(bounds.upper[i])) * 1e-12
            if x[i] <= bounds.lower[i] + scale && jacobian.allSatisfy({ $0[i] >= 0 }) { return false }
            if x[i] >= bounds.upper[i] - scale && jacobian.allSatisfy({ $0[i] <= 0 }) { return false }
            return true
        }
    }
}

/// Vector helpers on `[Double]` used by the expansion (short vectors or one pass each).
enum Vector {
    static func dot(_ a: [Double], _ b: [Double]) -> Double { Vectors.dot(a, b) }
    static func norm(_ a: [Double]) -> Double { Vectors.norm(a) }
    static func restrict(_ a: [Double], to indices: [Int]) -> [Double] { indices.map { a[$0] } }
    static func embed(_ a: [Double], at indices: [Int], count: Int) -> [Double] {
        var full = [Double](repeating: 0, count: count)
        for (value, i) in zip(a, indices) { full[i] = value }
        return full
    }
    static func adding(_ a: [Double], _ b: [Double], scaledBy s: Double) -> [Double] {
        var result = a
        Vectors.axpy(s, b, &result)
        return result
    }
    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
}
