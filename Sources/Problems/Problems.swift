import Autodiff
import LinearAlgebra
import MultiObjective

/// An analytic multi-objective benchmark problem (minimisation) with a known Pareto set and
/// front (``KnownParetoSet``). Values, gradients and Hessian-vector products come from the
/// autodiff engine (``VectorObjective``), never from hand-derived formulas.
public protocol BenchmarkProblem: VectorObjective, KnownParetoSet where Scalar == Double {
    /// Box constraints `(lower, upper)` per variable, or `nil` for an unconstrained problem.
    var bounds: (lower: [Double], upper: [Double])? { get }
}

/// Errors in choosing or configuring a benchmark problem.
public enum ProblemError: Error, Equatable, CustomStringConvertible {
    case unknownProblem(String)
    case invalidDimension(problem: String, dimension: Int, minimum: Int, maximum: Int)

    public var description: String {
        switch self {
        case .unknownProblem(let name):
            return "unknown problem '\(name)' (known: \(Problems.names.joined(separator: ", ")))"
        case .invalidDimension(let problem, let dimension, let minimum, let maximum):
            return "\(problem) needs a dimension in \(minimum)...\(maximum), got \(dimension)"
        }
    }
}

/// The catalogue of analytic problems, by command-line name.
public enum Problems {
    /// Names accepted by ``named(_:dimension:)``.
    public static let names = ["zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "zdt2-variant", "ldc-toy"]

    /// The problem called `name`; `dimension` is `n` for the ZDT family (pymoo's defaults:
    /// 30, and 10 for ZDT4 and ZDT6, when `nil`) and must be 3 or `nil` for `zdt2-variant`;
    /// `ldc-toy` (``LDCToyProblem``, LDC-MTL's eq. 5) ignores it.
    /// - Throws: ``ProblemError``.
    public static func named(_ name: String, dimension: Int? = nil) throws -> any BenchmarkProblem {
        switch name.lowercased() {
        case "zdt1": return try ZDT(.zdt1, dimension: dimension ?? 30)
        case "zdt2": return try ZDT(.zdt2, dimension: dimension ?? 30)
        case "zdt3": return try ZDT(.zdt3, dimension: dimension ?? 30)
        case "zdt4": return try ZDT(.zdt4, dimension: dimension ?? 10)
        case "zdt6": return try ZDT(.zdt6, dimension: dimension ?? 10)
        case "zdt2-variant":
            if let dimension, dimension != 3 {
                throw ProblemError.invalidDimension(problem: name, dimension: dimension, minimum: 3, maximum: 3)
            }
            return ZDT2Variant()
        case "ldc-toy": return LDCToyProblem()
        default: throw ProblemError.unknownProblem(name)
        }
    }
}

/// Distance from `point` to a curve `s ↦ c(s)`, `s ∈ [a, b]`: dense sampling, then golden-section
/// refinement around the best sample (exact to ~1e-12 for the smooth fronts used here).
func distanceToCurve(_ point: [Double], _ segments: [ClosedRange<Double>], _ curve: (Double) -> [Double]) -> Double {
    func distance(_ s: Double) -> Double {
        let c = curve(s)
        return zip(point, c).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
    var best = Double.infinity
    for segment in segments {
        let samples = 2_000
        let width = (segment.upperBound - segment.lowerBound) / Double(samples)
        var bestS = segment.lowerBound
        var bestD = distance(bestS)
        for k in 1...samples {
            let s = segment.lowerBound + Double(k) * width
            let d = distance(s)
            if d < bestD { (bestS, bestD) = (s, d) }
        }
        var lo = max(segment.lowerBound, bestS - width), hi = min(segment.upperBound, bestS + width)
        let ratio = (5.0.squareRoot() - 1) / 2
        for _ in 0..<80 {
            let m1 = hi - ratio * (hi - lo), m2 = lo + ratio * (hi - lo)
            if distance(m1) < distance(m2) { hi = m2 } else { lo = m1 }
        }
        best = min(best, bestD, distance((lo + hi) / 2))
    }
    return best
}
