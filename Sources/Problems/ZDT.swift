import Autodiff
import LinearAlgebra
import RealModule

/// The ZDT problems (Zitzler, Deb & Thiele 2000) exactly as pymoo defines them
/// (`pymoo.problems.multi.zdt`), for any number of variables `n ≥ 2`:
///
/// * ZDT1: `f1 = x1`, `g = 1 + 9 Σ_{i≥2} xᵢ/(n−1)`, `f2 = g (1 − √(f1/g))`; front `f2 = 1 − √f1`.
/// * ZDT2: same `g`, `f2 = g (1 − (f1/g)²)`; front `f2 = 1 − f1²` (concave).
/// * ZDT3: same `g`, `f2 = g (1 − √(f1/g) − (f1/g) sin(10π f1))`; disconnected front.
/// * ZDT4: `x1 ∈ [0,1]`, `xᵢ ∈ [−5,5]`, `g = 1 + 10(n−1) + Σ_{i≥2} (xᵢ² − 10 cos 4πxᵢ)`,
///   `f2 = g (1 − √(f1/g))`; front `f2 = 1 − √f1`.
/// * ZDT6: `f1 = 1 − e^{−4x1} sin⁶(6πx1)`, `g = 1 + 9 (Σ_{i≥2} xᵢ/(n−1))^{1/4}`,
///   `f2 = g (1 − (f1/g)²)`; front `f2 = 1 − f1²`, `f1 ∈ [0.2807753191, 1]`.
///
/// Bounds are `[0, 1]` except ZDT4's. The Pareto set is `xᵢ = 0` for `i ≥ 2` (on the bound),
/// with `x1` in `[0, 1]` (ZDT3: the five intervals of its disconnected front).
///
/// Derivatives on the box boundary. Two terms are `uᵖ` with `0 < p < 1` of a quantity `u ≥ 0`
/// that vanishes on a face of the box: `√(f1/g)` (ZDT1, ZDT3, ZDT4) at `x1 = 0`, and ZDT6's
/// `(Σ_{i≥2} xᵢ/(n−1))^{1/4}` at `x2 = … = xn = 0`, that is on ZDT6's whole Pareto set. There
/// the one-sided derivative of `uᵖ` is `+∞`, which no gradient, Hessian-vector product or
/// linear solve can carry. Convention: where `u = 0` exactly, the term's first and second
/// derivatives are taken as 0 (values are unchanged; for `u > 0` the derivatives are exact).
/// For ZDT6 this keeps the sign the expansion's active-set rule uses (a variable on its lower
/// bound whose partial derivatives are all `≥ 0` is fixed: with `+∞` or 0 alike, `x2 … xn`
/// stay on the bound and tangents are taken in `x1`). For `√(f1/g)` it fixes `x1` at `x1 = 0`,
/// where the front ends (`f = (0, g)`, the Pareto-optimal end point), so a chain that reaches
/// the bound ends there instead of failing on an infinite slope.
public struct ZDT: BenchmarkProblem {
    /// Which member of the family.
    public enum Kind: String, Sendable, CaseIterable { case zdt1, zdt2, zdt3, zdt4, zdt6 }

    /// The member.
    public let kind: Kind
    /// `n`.
    public let parameterCount: Int
    public var objectiveCount: Int { 2 }
    public var name: String { kind.rawValue }

    /// The `x1` ranges of ZDT3's Pareto set (pymoo's `_calc_pareto_front` regions).
    public static let zdt3Regions: [ClosedRange<Double>] = [
        0...0.0830015349, 0.182228780...0.2577623634, 0.4093136748...0.4538821041,
        0.6183967944...0.6525117038, 0.8233317983...0.8518328654,
    ]

    /// - Throws: ``ProblemError/invalidDimension(problem:dimension:minimum:maximum:)`` if `n < 2`.
    public init(_ kind: Kind, dimension: Int) throws {
        guard dimension >= 2 && dimension <= 100_000 else {
            throw ProblemError.invalidDimension(problem: kind.rawValue, dimension: dimension, minimum: 2, maximum: 100_000)
        }
        self.kind = kind
        self.parameterCount = dimension
    }

    public var bounds: (lower: [Double], upper: [Double])? {
        let n = parameterCount
        if kind == .zdt4 { return ([0] + [Double](repeating: -5, count: n - 1), [1] + [Double](repeating: 5, count: n - 1)) }
        return ([Double](repeating: 0, count: n), [Double](repeating: 1, count: n))
    }

    public func objectives(_ x: Variable<Double>) throws -> Variable<Double> {
        let n = parameterCount
        let x1 = try slice(x, offset: 0, shape: [1])
        let rest = try slice(x, offset: 1, shape: [n - 1])
        let f1: Variable<Double>
        let g: Variable<Double>
        switch kind {
        case .zdt1, .zdt2, .zdt3:
            f1 = x1
            g = 1.0 + sum(rest) * (9.0 / Double(n - 1))
        case .zdt4:
            f1 = x1
            g = try (1.0 + 10.0 * Double(n - 1)) + sum(square(rest) - cos(rest * (4 * .pi)) * 10.0)
        case .zdt6:
            f1 = try 1.0 - exp(x1 * -4.0) * pow(sin(x1 * (6 * .pi)), 6 as Int)
            g = 1.0 + Self.boundaryPower(sum(rest) * (1.0 / Double(n - 1)), 0.25) * 9.0
        }
        let ratio = try f1 / g
        let h: Variable<Double>
        switch kind {
        case .zdt1, .zdt4: h = 1.0 - Self.boundaryPower(ratio, 0.5)
        case .zdt2, .zdt6: h = 1.0 - square(ratio)
        case .zdt3: h = try 1.0 - Self.boundaryPower(ratio, 0.5) - ratio * sin(f1 * (10 * .pi))
        }
        return try concatenate([f1, g * h])
    }

    /// `uᵖ` (`0 < p < 1`) of a one-element `u ≥ 0`, with first and second derivatives 0 where
    /// `u = 0` exactly (the boundary convention in the type's documentation): there the term is
    /// recorded as `0 · u`, which has the value 0 and no curvature.
    static func boundaryPower(_ u: Variable<Double>, _ p: Double) -> Variable<Double> {
        if u.value.scalars[0] == 0 { return u * 0.0 }
        return p == 0.5 ? sqrt(u) : pow(u, p)
    }

    private func frontValue(_ f1: Double) -> Double {
        switch kind {
        case .zdt1, .zdt4: return 1 - f1.squareRoot()
        case .zdt2, .zdt6: return 1 - f1 * f1
        case .zdt3: return 1 - f1.squareRoot() - f1 * .sin(10 * .pi * f1)
        }
    }

    private var frontRanges: [ClosedRange<Double>] {
        switch kind {
        case .zdt3: return Self.zdt3Regions
        case .zdt6: return [0.2807753191...1]
        default: return [0...1]
        }
    }

    public func paretoFront(count: Int) -> [[Double]] {
        let ranges = frontRanges
        let total = ranges.reduce(0) { $0 + $1.upperBound - $1.lowerBound }
        var points: [[Double]] = []
        for range in ranges {
            let share = max(2, Int((Double(count) * (range.upperBound - range.lowerBound) / total).rounded()))
            let pieces = ranges.count == 1 ? max(count, 2) : share
            for k in 0..<pieces {
                let f1 = range.lowerBound + (range.upperBound - range.lowerBound) * Double(k) / Double(pieces - 1)
                points.append([f1, frontValue(f1)])
            }
        }
        return points
    }

    public func distanceToParetoFront(_ objectives: [Double]) -> Double {
        distanceToCurve(objectives, frontRanges) { [$0, frontValue($0)] }
    }

    public func distanceToParetoSet(_ x: [Double]) -> Double {
        let rest = x.dropFirst().reduce(0) { $0 + $1 * $1 }
        var x1Distance = Double.infinity
        let x1Ranges: [ClosedRange<Double>] = kind == .zdt3 ? Self.zdt3Regions : [0...1]
        for range in x1Ranges {
            x1Distance = min(x1Distance, x[0] < range.lowerBound ? range.lowerBound - x[0] : max(0, x[0] - range.upperBound))
        }
        return (rest + x1Distance * x1Distance).squareRoot()
    }

    public func paretoOptimalPoint(firstObjective f1: Double) -> [Double] {
        var x = [Double](repeating: 0, count: parameterCount)
        if kind == .zdt6 {
            // f1(x1) = 1 − e^{−4x1} sin⁶(6πx1) is increasing on [0.0833, 1] … take the largest x1 branch by bisection.
            var (lo, hi) = (1.0 / 12, 1.0)
            func value(_ t: Double) -> Double { 1 - .exp(-4 * t) * .pow(.sin(6 * .pi * t), 6) }
            for _ in 0..<200 { let mid = (lo + hi) / 2; if value(mid) < f1 { lo = mid } else { hi = mid } }
            x[0] = (lo + hi) / 2
        } else if kind == .zdt3 {
            // The nearest point of the disconnected set.
            x[0] = Self.zdt3Regions.map { min(max(f1, $0.lowerBound), $0.upperBound) }.min { abs($0 - f1) < abs($1 - f1) }!
        } else {
            x[0] = min(max(f1, 0), 1)
        }
        return x
    }
}

/// The unconstrained ZDT2 variant of Ma, Du & Matusik (2020), Figures 2–3 (n = 3, m = 2):
///
///     s = x2² + x3²,  u1 = ½ sin(x1 + s) + ½,  u2 = u3 = ½ cos(s) + ½,
///     f1 = u1,  g = 1 + (9/2)(u2 + u3),  f2 = g (1 − (u1/g)²).
///
/// Pareto set: the cylinder `x2² + x3² = π` (so `u2 = u3 = 0`) with `x1 ∈ [−3π/2, −π/2]`, and
/// its periodic copies (`s = (2k+1)π`, `x1 + s ∈ [−π/2, π/2] + 2πj`). Front: `f2 = 1 − f1²`.
/// The set is a 2-D surface, so the weighted Hessian has a null direction along the cylinder.
public struct ZDT2Variant: BenchmarkProblem {
    public init() {}
    public var name: String { "zdt2-variant" }
    public var parameterCount: Int { 3 }
    public var objectiveCount: Int { 2 }
    public var bounds: (lower: [Double], upper: [Double])? { nil }

    public func objectives(_ x: Variable<Double>) throws -> Variable<Double> {
        let x1 = try slice(x, offset: 0, shape: [1])
        let s = sum(square(try slice(x, offset: 1, shape: [2])))
        let u1 = try sin(x1 + s) * 0.5 + 0.5
        let u23 = cos(s) * 0.5 + 0.5
        let g = 1.0 + u23 * 9.0
        let ratio = try u1 / g
        return try concatenate([u1, g * (1.0 - square(ratio))])
    }

    public func paretoFront(count: Int) -> [[Double]] {
        (0..<max(count, 2)).map { k in
            let f1 = Double(k) / Double(max(count, 2) - 1)
            return [f1, 1 - f1 * f1]
        }
    }

    public func distanceToParetoFront(_ objectives: [Double]) -> Double {
        distanceToCurve(objectives, [0...1]) { [$0, 1 - $0 * $0] }
    }

    public func distanceToParetoSet(_ x: [Double]) -> Double {
        let radius = (x[1] * x[1] + x[2] * x[2]).squareRoot()
        var best = Double.infinity
        for k in 0..<64 {
            let s = Double(2 * k + 1) * .pi
            let radialDistance = abs(radius - s.squareRoot())
            // x1 + s must lie in [−π/2, π/2] + 2πj: distance of x1 to the nearest such interval.
            let shifted = x[0] + s + .pi / 2
            let phase = shifted - 2 * .pi * (shifted / (2 * .pi)).rounded(.down)
            let x1Distance = phase <= .pi ? 0 : min(phase - .pi, 2 * .pi - phase)
            best = min(best, (radialDistance * radialDistance + x1Distance * x1Distance).squareRoot())
            if radialDistance > best && s.squareRoot() > radius { break }
        }
        return best
    }

    /// The point `(x1, √π, 0)` with `sin(x1 + π) = 2 f1 − 1`, `x1 ∈ [−3π/2, −π/2]`.
    public func paretoOptimalPoint(firstObjective f1: Double) -> [Double] {
        [.asin(2 * min(max(f1, 0), 1) - 1) - .pi, Double.pi.squareRoot(), 0]
    }
}
