import Autodiff
import LinearAlgebra
import RealModule

/// The two-task toy problem of FAMO (Liu et al., NeurIPS 2023; a modification of CAGrad's) used
/// by LDC-MTL (§A.3, eq. 5) to show loss balancing, `x ∈ R²`:
///
///     L₁ = 0.1 (c₁ f₁ + c₂ g₁),   L₂ = c₁ f₂ + c₂ g₂,
///     f₁ = log max(|0.5(−x₁ − 7) − tanh(−x₂)|, 5·10⁻⁶) + 6,
///     f₂ = log max(|0.5(−x₁ + 3) − tanh(−x₂) + 2|, 5·10⁻⁶) + 6,
///     g₁ = ((−x₁ + 7)² + 0.1 (−x₂ − 8)²)/10 − 20,   g₂ = ((−x₁ − 7)² + 0.1 (−x₂ − 8)²)/10 − 20,
///     c₁ = max(tanh(0.5 x₂), 0),   c₂ = max(tanh(−0.5 x₂), 0)
///
/// (the maxima and the floor differentiated as PyTorch's `clamp`: the gradient passes at the bound).
///
/// The first loss is scaled by 0.1 (FAMO's `scale`): an imbalance. The losses are bounded below
/// by `(−2.1, −21)` (FAMO's `min_losses`, ``lowerBounds``). The Pareto set lies in `x₂ < 0`
/// (where `c₁ = 0`): from the optimum of task 1 near `(7, −8.44)` to that of task 2 near
/// `(−7, −8.44)`, the curve on which `∇L₁ ∥ −∇L₂` (``paretoSetPoint(x1:)``). Its **balanced point**
/// is `x₁ = 0`, `x₂ ≈ −8.36`, where the unscaled losses are equal (`g₁ = g₂`, by the symmetry
/// `x₁ ↦ −x₁`), i.e. `(L₁ − b₁)/0.1 = L₂ − b₂`.
///
/// The paper's starts: `(−8.5, 7.5)`, `(−8.5, 5)`, `(0, 0)`, `(9, 9)`, `(10, −8)` (``starts``).
public struct LDCToyProblem: BenchmarkProblem {
    public init() {}
    public var name: String { "ldc-toy" }
    public var parameterCount: Int { 2 }
    public var objectiveCount: Int { 2 }
    public var bounds: (lower: [Double], upper: [Double])? { nil }

    /// The five initial points of LDC-MTL's Figure 1 (§A.3).
    public static let starts: [[Double]] = [[-8.5, 7.5], [-8.5, 5], [0, 0], [9, 9], [10, -8]]
    /// Lower bounds of `(L₁, L₂)`: `(−21 · 0.1, −21)`.
    public static let lowerBounds: [Double] = [-2.1, -21]
    /// The scale of the first loss.
    public static let firstLossScale = 0.1

    public func objectives(_ x: Variable<Double>) throws -> Variable<Double> {
        let x1 = try slice(x, offset: 0, shape: [1])
        let x2 = try slice(x, offset: 1, shape: [1])
        let t = tanh(x2 * -1.0)
        let f1 = try logOfMagnitude(try (x1 * -1.0 - 7.0) * 0.5 - t, floor: 5e-6) + 6.0
        let f2 = try logOfMagnitude(try (x1 * -1.0 + 3.0) * 0.5 - t + 2.0, floor: 5e-6) + 6.0
        let spread = square(x2 * -1.0 - 8.0) * 0.1
        let g1 = try (square(x1 * -1.0 + 7.0) + spread) * 0.1 - 20.0
        let g2 = try (square(x1 * -1.0 - 7.0) + spread) * 0.1 - 20.0
        let c1 = try clampedAtZero(tanh(x2 * 0.5))
        let c2 = try clampedAtZero(tanh(x2 * -0.5))
        let first = try (c1 * f1 + c2 * g1) * Self.firstLossScale
        let second = try c1 * f2 + c2 * g2
        return try concatenate([first, second])
    }

    // MARK: The Pareto set (x₂ < 0, c₁ = 0, c = tanh(−x₂/2))

    /// `c (c′ (∂₁g₁ g₂ − g₁ ∂₁g₂) + c ∂₂g (∂₁g₁ − ∂₁g₂))`, the cross product `∂₁L₁ ∂₂L₂ − ∂₂L₁ ∂₁L₂`
    /// up to the factor 0.1: zero on the Pareto set.
    private static func crossProduct(_ x1: Double, _ x2: Double) -> Double {
        let c = Double.tanh(-x2 / 2), slope = -0.5 / (Double.cosh(x2 / 2) * Double.cosh(x2 / 2))
        let g1 = ((x1 - 7) * (x1 - 7) + 0.1 * (x2 + 8) * (x2 + 8)) / 10 - 20
        let g2 = ((x1 + 7) * (x1 + 7) + 0.1 * (x2 + 8) * (x2 + 8)) / 10 - 20
        let (g1x, g2x, gy) = ((x1 - 7) / 5, (x1 + 7) / 5, 0.02 * (x2 + 8))
        return slope * (g1x * g2 - g1 * g2x) + c * gy * (g1x - g2x)
    }

    /// The point of the Pareto set with first coordinate `x1 ∈ [−7, 7]` (clamped): `x₂` solves
    /// `∂₁L₁ ∂₂L₂ = ∂₂L₁ ∂₁L₂` by bisection on `[−12, −7]` (a single sign change there).
    public func paretoSetPoint(x1: Double) -> [Double] {
        let u = min(max(x1, -7), 7)
        var (lo, hi) = (-12.0, -7.0)
        let low = Self.crossProduct(u, lo)
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if (Self.crossProduct(u, mid) > 0) == (low > 0) { lo = mid } else { hi = mid }
        }
        return [u, (lo + hi) / 2]
    }

    /// The balanced point `(0, x₂*)` of the Pareto set.
    public var balancedPoint: [Double] { paretoSetPoint(x1: 0) }

    /// `(L₁, L₂)` on the Pareto set in closed form (`c₁ = 0`).
    private func frontValues(_ x: [Double]) -> [Double] {
        let c = Double.tanh(-x[1] / 2)
        let spread = 0.1 * (x[1] + 8) * (x[1] + 8)
        return [0.1 * c * (((x[0] - 7) * (x[0] - 7) + spread) / 10 - 20), c * (((x[0] + 7) * (x[0] + 7) + spread) / 10 - 20)]
    }

    public func paretoFront(count: Int) -> [[Double]] {
        let pieces = max(count, 2)
        return (0..<pieces).map { k in frontValues(paretoSetPoint(x1: 7 - 14 * Double(k) / Double(pieces - 1))) }
    }

    public func distanceToParetoFront(_ objectives: [Double]) -> Double {
        distanceToCurve(objectives, [-7...7]) { frontValues(paretoSetPoint(x1: $0)) }
    }

    public func distanceToParetoSet(_ x: [Double]) -> Double {
        distanceToCurve(x, [-7...7]) { paretoSetPoint(x1: $0) }
    }

    /// The Pareto-set point whose `L₁` is nearest `f1` (`L₁` increases with `x₁` on `[−7, 7]`).
    public func paretoOptimalPoint(firstObjective f1: Double) -> [Double] {
        var (lo, hi) = (-7.0, 7.0)
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if frontValues(paretoSetPoint(x1: mid))[0] < f1 { hi = mid } else { lo = mid }
        }
        return paretoSetPoint(x1: (lo + hi) / 2)
    }
}

/// `log max(|u|, ε)`, elementwise: derivative `1/u` and second derivative `−1/u²` where
/// `|u| ≥ ε`, zero below (PyTorch's `clamp`, whose gradient passes at the bound, and `abs′(0) = 0`).
func logOfMagnitude(_ u: Variable<Double>, floor: Double) throws -> Variable<Double> {
    try pointwise(u) { x in
        let magnitude = Swift.abs(x)
        guard magnitude >= floor, x != 0 else { return (Double.log(floor), 0, 0) }
        return (Double.log(magnitude), 1 / x, -1 / (x * x))
    }
}

/// `max(t, 0)` with PyTorch's `clamp(t, min: 0)` derivative: 1 for `t ≥ 0` (the bound included,
/// unlike ``relu(_:)``), 0 below. At `x₂ = 0` both gates of the toy problem then pass gradient,
/// as in the reference implementation.
func clampedAtZero(_ t: Variable<Double>) throws -> Variable<Double> {
    try pointwise(t) { x in x >= 0 ? (x, 1, 0) : (0, 0, 0) }
}

/// Records an elementwise function from its value, first and second derivative per element
/// (JVP `f′ ẋ`, pullback `f′ ȳ`, tangent of the pullback `f′ ẏ̄ + f″ ẋ ȳ`).
private func pointwise(
    _ u: Variable<Double>, _ rule: (Double) -> (value: Double, slope: Double, curvature: Double)
) throws -> Variable<Double> {
    let parts = u.value.scalars.map(rule)
    let slope = parts.map(\.slope), curvature = parts.map(\.curvature)
    let tangent = try u.tangent.map { try Tensor(shape: u.shape, scalars: zip(slope, $0.scalars).map { $0 * $1 }) }
    let node = u.node
    return u.tape.record(value: try Tensor(shape: u.shape, scalars: parts.map(\.value)), tangent: tangent, inputs: [u]) { adjoint, adjointTangent, tape in
        let inputAdjoint = try Tensor(shape: node.shape, scalars: zip(slope, adjoint.scalars).map { $0 * $1 })
        var inputTangent: [Double]? = adjointTangent.map { zip(slope, $0.scalars).map { $0 * $1 } }
        if tape.tracksTangents, let xDot = node.tangent {
            let term = (0..<slope.count).map { curvature[$0] * xDot.scalars[$0] * adjoint.scalars[$0] }
            inputTangent = zip(inputTangent ?? [Double](repeating: 0, count: term.count), term).map { $0 + $1 }
        }
        tape.accumulate(node, adjoint: inputAdjoint, tangent: try inputTangent.map { try Tensor(shape: node.shape, scalars: $0) })
    }
}
