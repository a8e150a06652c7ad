import LinearAlgebra

/// The minimiser of the min-norm problem on the simplex and its optimal value.
public struct MinNormSolution: Sendable, Equatable {
    /// `α* ∈ Δᵐ = {α ≥ 0, Σαᵢ = 1}`.
    public let weights: [Double]
    /// `α*ᵀ G α* = ‖Σ α*ᵢ gᵢ‖²` (clamped at 0 against rounding).
    public let normSquared: Double

    /// Creates a solution record.
    public init(weights: [Double], normSquared: Double) {
        self.weights = weights
        self.normSquared = normSquared
    }

    /// `‖Σ α*ᵢ gᵢ‖`.
    public var norm: Double { normSquared.squareRoot() }
}

/// The min-norm weights of a set of gradients together with the correction vector and the
/// stationarity measure of Ma et al. (ICML 2020), Prop. 4.1.
public struct ParetoCorrection: Sendable, Equatable {
    /// `α*`, the min-norm weights (see ``MinNormWeights``).
    public let weights: [Double]
    /// `c = Σ α*ᵢ ∇fᵢ(x)`: the smallest vector (in ‖·‖₂) such that the shifted gradients
    /// `∇fᵢ(x) − c` have `0` in their convex hull, i.e. make `x` Pareto stationary (Ma et al.,
    /// Problem (5) and Prop. 4.1). It is the `c` of the tangent system `H v = (∇fᵀ − c 1ᵀ) β`.
    public let correction: [Double]
    /// `‖c‖ / maxᵢ ‖∇fᵢ(x)‖` (0 when every gradient is zero): 0 at a Pareto-stationary point,
    /// at most 1 otherwise.
    public let stationarity: Double
}

/// Min-norm weights for multiple-gradient descent (MGDA).
///
/// Given gradients `g₁ … gₘ ∈ Rⁿ` with Gram matrix `Gᵢⱼ = gᵢ · gⱼ`, the MGDA weights are
///
///     α* = argmin_{α ∈ Δᵐ} ‖Σᵢ αᵢ gᵢ‖² = argmin_{α ∈ Δᵐ} αᵀ G α,   Δᵐ = {α ≥ 0, Σ αᵢ = 1}
///
/// (Désidéri, "Multiple-gradient descent algorithm (MGDA) for multiobjective optimization",
/// C. R. Math. 350, 2012; Sener & Koltun, "Multi-task learning as multi-objective optimization",
/// NeurIPS 2018; Ma et al., ICML 2020, Problem (3)). `x` is Pareto stationary iff the minimum is 0.
/// `−Σ α*ᵢ gᵢ` is a common descent direction when it is non-zero.
public enum MinNormWeights {
    /// The largest `m` accepted by ``supportEnumeration(gram:)`` (`2ᵐ − 1` small linear systems).
    public static let maximumExactObjectives = 12

    /// `α*` for a Gram matrix: the closed form for `m ≤ 2` (``twoObjectives(gram:)``), otherwise
    /// Wolfe's minimum-norm-point active-set method (``activeSet(gram:)``). Should its optimality
    /// certificate fail (a degenerate case), the support enumeration is used for
    /// `m ≤` ``maximumExactObjectives``.
    /// - Throws: ``MultiObjectiveError`` if `gram` is not a square, symmetric, finite matrix with
    ///   non-negative diagonal, or if no method certifies an optimum.
    public static func solve(gram: Tensor<Double>) throws -> MinNormSolution {
        let (g, m) = try validatedGram(gram, operation: "MinNormWeights.solve")
        switch m {
        case 1: return MinNormSolution(weights: [1], normSquared: g[0])
        case 2: return closedForm(g)
        default:
            if let solution = minimumNormPoint(g, m: m), isOptimal(solution.weights, g, m: m) { return solution }
            if m <= maximumExactObjectives { return enumerateSupports(g, m: m) }
            throw MultiObjectiveError.invalidArgument(
                operation: "MinNormWeights.solve",
                reason: "the active-set method did not certify an optimum for \(m) objectives; try frankWolfe(gram:)")
        }
    }

    /// The exact minimiser by Wolfe's minimum-norm-point algorithm (P. Wolfe, "Finding the
    /// nearest point in a polytope", Math. Programming 11, 1976), written on the Gram matrix.
    ///
    /// The iterate is `x = Σ_{i ∈ S} λᵢ gᵢ` over a *corral* `S` of affinely independent
    /// gradients. Major cycle: pick `j = argminᵢ (Gλ)ᵢ` (the gradient most opposed to `x`); if
    /// `λᵀGλ − (Gλ)ⱼ ≤ 10⁻¹⁵ · maxᵢ Gᵢᵢ`, `x` is optimal (the KKT conditions of
    /// `min αᵀGα` on the simplex hold); otherwise add `j` to `S`. Minor cycle: the minimiser `μ`
    /// of the norm on the affine hull of `S` solves the bordered system
    /// `[G_SS 1; 1ᵀ 0] [μ; −ν] = [0; 1]` (LAPACK `dgesv`); if `μ > 0` it becomes `λ`, otherwise
    /// step from `λ` towards `μ` until the first weight reaches 0, drop it, and repeat.
    /// Finite; each step solves one system of size `|S| + 1 ≤ m + 1`.
    /// - Throws: ``MultiObjectiveError`` on an invalid Gram matrix or if the iteration breaks down
    ///   numerically (singular corral system).
    public static func activeSet(gram: Tensor<Double>) throws -> MinNormSolution {
        let (g, m) = try validatedGram(gram, operation: "MinNormWeights.activeSet")
        guard let solution = minimumNormPoint(g, m: m) else {
            throw MultiObjectiveError.invalidArgument(
                operation: "MinNormWeights.activeSet", reason: "numerical breakdown (singular corral system)")
        }
        return solution
    }

    /// `α*` for gradients given as `m` vectors of equal length (Gram via BLAS `ddot`, see
    /// ``gramMatrix(_:)``).
    public static func solve(gradients: [[Double]]) throws -> MinNormSolution {
        try solve(gram: gramMatrix(gradients))
    }

    /// The `m × m` Gram matrix `Gᵢⱼ = gᵢ · gⱼ` (BLAS `ddot`, exactly symmetric).
    /// - Throws: ``MultiObjectiveError`` on no gradients, zero-length or unequal lengths, or
    ///   non-finite values.
    public static func gramMatrix(_ gradients: [[Double]]) throws -> Tensor<Double> {
        _ = try commonDimension(gradients, operation: "MinNormWeights.gramMatrix")
        let m = gradients.count
        var scalars = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in i..<m {
                let value = Vectors.dot(gradients[i], gradients[j])
                scalars[i * m + j] = value
                scalars[j * m + i] = value
            }
        }
        return Tensor(uncheckedShape: [m, m], scalars: scalars)
    }

    /// The closed form for two objectives (Sener & Koltun 2018, Algorithm 1):
    ///
    ///     α₁ = clip( (G₂₂ − G₁₂) / (G₁₁ − 2G₁₂ + G₂₂), 0, 1 ),   α₂ = 1 − α₁
    ///
    /// The denominator is `‖g₁ − g₂‖²`. When it is not positive (equal gradients, or rounding in
    /// a nearly singular Gram matrix) the objective is affine in `α₁` and its minimum sits at the
    /// vertex with the smaller diagonal entry; on a tie `α = (½, ½)`.
    /// - Throws: ``MultiObjectiveError`` unless `gram` is a valid `2 × 2` Gram matrix.
    public static func twoObjectives(gram: Tensor<Double>) throws -> MinNormSolution {
        let (g, m) = try validatedGram(gram, operation: "MinNormWeights.twoObjectives")
        guard m == 2 else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "MinNormWeights.twoObjectives", expected: 2, actual: m, index: nil)
        }
        return closedForm(g)
    }

    /// The exact minimiser for any `m ≤` ``maximumExactObjectives`` by enumerating supports.
    ///
    /// On a support `S` the KKT conditions of `min αᵀGα, 1ᵀα = 1` are the bordered system
    ///
    ///     [ G_SS  1 ] [ α_S ]   [ 0 ]
    ///     [ 1ᵀ    0 ] [ −λ  ] = [ 1 ]
    ///
    /// solved with LAPACK `dgesv` on `G` scaled by `1 / maxᵢ Gᵢᵢ`. Every solution is projected
    /// onto the simplex (negative weights set to 0, renormalised) and the feasible candidate of
    /// smallest `αᵀGα` is returned. The optimum is a candidate — the support of a minimiser with
    /// affinely independent gradients on its support gives a non-singular system — and every
    /// candidate is feasible, so the result is the global minimum to within the conditioning of
    /// that one system. Ties keep the smaller support. Cost `2ᵐ − 1` solves of size ≤ `m + 1`.
    /// - Throws: ``MultiObjectiveError`` on an invalid Gram matrix or `m >` ``maximumExactObjectives``.
    public static func supportEnumeration(gram: Tensor<Double>) throws -> MinNormSolution {
        let (g, m) = try validatedGram(gram, operation: "MinNormWeights.supportEnumeration")
        guard m <= maximumExactObjectives else {
            throw MultiObjectiveError.invalidArgument(
                operation: "MinNormWeights.supportEnumeration",
                reason: "\(m) objectives exceed the limit of \(maximumExactObjectives)")
        }
        return enumerateSupports(g, m: m)
    }

    /// Frank–Wolfe iterations with exact line search on the simplex (Frank & Wolfe 1956;
    /// Jaggi, ICML 2013), the solver of Sener & Koltun (2018) for `m > 2`:
    ///
    ///     t = argminᵢ (Gα)ᵢ,  d = eₜ − α,  γ = clip( (αᵀGα − (Gα)ₜ) / dᵀGd, 0, 1 ),  α ← α + γ d
    ///
    /// starting from the vertex with the smallest `Gᵢᵢ`, stopping when the duality gap
    /// `αᵀGα − (Gα)ₜ` (an upper bound on `(αᵀGα − min) / 2`) is at most
    /// `tolerance · maxᵢ Gᵢᵢ`, or after `maxIterations`. Sublinear convergence: an approximation
    /// for any `m`, not an exact solver.
    /// - Throws: ``MultiObjectiveError`` on an invalid Gram matrix or non-positive arguments.
    public static func frankWolfe(
        gram: Tensor<Double>, maxIterations: Int = 10_000, tolerance: Double = 1e-12
    ) throws -> MinNormSolution {
        let (g, m) = try validatedGram(gram, operation: "MinNormWeights.frankWolfe")
        guard maxIterations > 0, tolerance > 0 else {
            throw MultiObjectiveError.invalidArgument(
                operation: "MinNormWeights.frankWolfe", reason: "maxIterations and tolerance must be positive")
        }
        let diagonal = (0..<m).map { g[$0 * m + $0] }
        let scale = diagonal.max() ?? 0
        var alpha = [Double](repeating: 0, count: m)
        alpha[diagonal.indices.min { diagonal[$0] < diagonal[$1] }!] = 1
        var gAlpha = multiply(g, alpha, m: m)
        for _ in 0..<maxIterations {
            let value = dot(alpha, gAlpha)
            let t = gAlpha.indices.min { gAlpha[$0] < gAlpha[$1] }!
            let gap = value - gAlpha[t]
            if gap <= tolerance * scale { break }
            let curvature = g[t * m + t] - 2 * gAlpha[t] + value
            let step = curvature > 0 ? Swift.min(gap / curvature, 1) : 1
            for i in 0..<m {
                alpha[i] *= 1 - step
                gAlpha[i] = (1 - step) * gAlpha[i] + step * g[i * m + t]
            }
            alpha[t] += step
        }
        return MinNormSolution(weights: alpha, normSquared: Swift.max(0, quadraticForm(g, alpha, m: m)))
    }

    /// `Σᵢ αᵢ gᵢ` (BLAS `daxpy`).
    /// - Throws: ``MultiObjectiveError`` on unequal lengths, non-finite values, or a weight count
    ///   different from the gradient count.
    public static func combination(of gradients: [[Double]], weights: [Double]) throws -> [Double] {
        let n = try commonDimension(gradients, operation: "MinNormWeights.combination")
        guard weights.count == gradients.count else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "MinNormWeights.combination (weights)", expected: gradients.count,
                actual: weights.count, index: nil)
        }
        var result = [Double](repeating: 0, count: n)
        for (weight, gradient) in zip(weights, gradients) { Vectors.axpy(weight, gradient, &result) }
        return result
    }

    /// The min-norm weights, the correction vector `c = Σ α*ᵢ ∇fᵢ` and the stationarity measure
    /// `‖c‖ / maxᵢ ‖∇fᵢ‖` (Ma et al., "Efficient continuous Pareto exploration in multi-task
    /// learning", ICML 2020, Prop. 4.1: the solution of Problem (5) is `(α*, ∇fᵀα*)`).
    public static func correction(gradients: [[Double]]) throws -> ParetoCorrection {
        let solution = try solve(gradients: gradients)
        let c = try combination(of: gradients, weights: solution.weights)
        let largest = gradients.map { Vectors.norm($0) }.max() ?? 0
        return ParetoCorrection(
            weights: solution.weights, correction: c,
            stationarity: largest > 0 ? Vectors.norm(c) / largest : 0)
    }

    // MARK: - Implementation

    /// The scalars of a validated, symmetrised Gram matrix and its side.
    private static func validatedGram(_ gram: Tensor<Double>, operation: String) throws -> ([Double], Int) {
        guard gram.rank == 2, gram.shape[0] == gram.shape[1] else {
            throw MultiObjectiveError.invalidArgument(
                operation: operation, reason: "the Gram matrix must be square, got shape \(gram.shape)")
        }
        let m = gram.shape[0]
        guard m >= 1 else { throw MultiObjectiveError.noObjectives(operation: operation) }
        var g = gram.scalars
        guard g.allSatisfy({ $0.isFinite }) else {
            throw MultiObjectiveError.nonFiniteValue(operation: "\(operation) (Gram matrix)", index: nil)
        }
        let scale = (0..<m).map { Swift.abs(g[$0 * m + $0]) }.max() ?? 0
        for i in 0..<m {
            guard g[i * m + i] >= 0 else {
                throw MultiObjectiveError.invalidArgument(
                    operation: operation, reason: "negative diagonal entry G[\(i)][\(i)] = \(g[i * m + i])")
            }
            for j in (i + 1)..<Swift.max(i + 1, m) {
                guard Swift.abs(g[i * m + j] - g[j * m + i]) <= 1e-10 * scale else {
                    throw MultiObjectiveError.invalidArgument(
                        operation: operation, reason: "the Gram matrix is not symmetric at (\(i), \(j))")
                }
                let mean = 0.5 * (g[i * m + j] + g[j * m + i])
                g[i * m + j] = mean
                g[j * m + i] = mean
            }
        }
        return (g, m)
    }

    private static func closedForm(_ g: [Double]) -> MinNormSolution {
        let (g11, g12, g22) = (g[0], g[1], g[3])
        let denominator = g11 - 2 * g12 + g22
        let alpha1: Double
        if denominator > 0 {
            alpha1 = Swift.min(Swift.max((g22 - g12) / denominator, 0), 1)
        } else {
            alpha1 = g11 < g22 ? 1 : (g22 < g11 ? 0 : 0.5)
        }
        let alpha = [alpha1, 1 - alpha1]
        return MinNormSolution(weights: alpha, normSquared: Swift.max(0, quadraticForm(g, alpha, m: 2)))
    }

    private static func enumerateSupports(_ g: [Double], m: Int) -> MinNormSolution {
        let scale = (0..<m).map { g[$0 * m + $0] }.max() ?? 0
        if scale == 0 {
            return MinNormSolution(weights: [Double](repeating: 1 / Double(m), count: m), normSquared: 0)
        }
        let scaled = g.map { $0 / scale }
        // Supports by increasing size, so that ties keep the sparser solution.
        let masks = (1..<(1 << m)).sorted { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) }
        var best: [Double] = []
        var bestValue = Double.infinity
        for mask in masks {
            let support = (0..<m).filter { mask & (1 << $0) != 0 }
            guard let solution = affineMinimizer(scaled, m: m, support: support) else { continue }
            var alpha = [Double](repeating: 0, count: m)
            var total = 0.0
            for (a, i) in support.enumerated() {
                let weight = solution[a]
                guard weight.isFinite else { total = .nan; break }
                alpha[i] = Swift.max(weight, 0)
                total += alpha[i]
            }
            guard total.isFinite, total > 0 else { continue }
            for i in support { alpha[i] /= total }
            let value = quadraticForm(scaled, alpha, m: m)
            if value < bestValue {
                bestValue = value
                best = alpha
            }
        }
        return MinNormSolution(weights: best, normSquared: Swift.max(0, quadraticForm(g, best, m: m)))
    }

    /// Wolfe's algorithm on a validated Gram matrix; `nil` on numerical breakdown.
    private static func minimumNormPoint(_ g: [Double], m: Int) -> MinNormSolution? {
        let scale = (0..<m).map { g[$0 * m + $0] }.max() ?? 0
        if scale == 0 {
            return MinNormSolution(weights: [Double](repeating: 1 / Double(m), count: m), normSquared: 0)
        }
        let scaled = g.map { $0 / scale }
        let tolerance = 1e-15
        var support = [(0..<m).min { scaled[$0 * m + $0] < scaled[$1 * m + $1] }!]
        var lambda = [1.0]
        for _ in 0..<(100 * m) {
            let gLambda = (0..<m).map { i in
                support.indices.reduce(0.0) { $0 + scaled[i * m + support[$1]] * lambda[$1] }
            }
            let value = support.indices.reduce(0.0) { $0 + lambda[$1] * gLambda[support[$1]] }
            let j = (0..<m).min { gLambda[$0] < gLambda[$1] }!
            if value - gLambda[j] <= tolerance || support.contains(j) { break }
            support.append(j)
            lambda.append(0)
            while true {
                guard let mu = affineMinimizer(scaled, m: m, support: support) else { return nil }
                if mu.allSatisfy({ $0 > tolerance }) {
                    lambda = mu
                    break
                }
                var step = 1.0
                var leaving = -1
                for a in mu.indices where mu[a] <= tolerance && lambda[a] - mu[a] > 0 {
                    let candidate = lambda[a] / (lambda[a] - mu[a])
                    if leaving < 0 || candidate < step { step = candidate; leaving = a }
                }
                if leaving < 0 { return nil }
                lambda = mu.indices.map { step * mu[$0] + (1 - step) * lambda[$0] }
                lambda[leaving] = 0
                let kept = lambda.indices.filter { lambda[$0] > tolerance }
                if kept.isEmpty { return nil }
                support = kept.map { support[$0] }
                lambda = kept.map { lambda[$0] }
            }
        }
        let total = lambda.reduce(0, +)
        var alpha = [Double](repeating: 0, count: m)
        for (a, i) in support.enumerated() { alpha[i] = lambda[a] / total }
        return MinNormSolution(weights: alpha, normSquared: Swift.max(0, quadraticForm(g, alpha, m: m)))
    }

    /// The minimiser of `μᵀ G_SS μ` subject to `Σ μ = 1` (no sign constraint), or `nil` if the
    /// bordered system is singular.
    private static func affineMinimizer(_ g: [Double], m: Int, support: [Int]) -> [Double]? {
        let k = support.count
        var bordered = [Double](repeating: 0, count: (k + 1) * (k + 1))
        for a in 0..<k {
            for b in 0..<k { bordered[a * (k + 1) + b] = g[support[a] * m + support[b]] }
            bordered[a * (k + 1) + k] = 1
            bordered[k * (k + 1) + a] = 1
        }
        var rhs = [Double](repeating: 0, count: k + 1)
        rhs[k] = 1
        guard let solution = try? LAPACK.solve(
            Tensor(uncheckedShape: [k + 1, k + 1], scalars: bordered), Tensor(vector: rhs))
        else { return nil }
        let mu = Array(solution.scalars.prefix(k))
        return mu.allSatisfy({ $0.isFinite }) ? mu : nil
    }

    /// The KKT certificate of `min αᵀGα` on the simplex: `(Gα)ᵢ ≥ αᵀGα` for every `i`, to
    /// `10⁻¹² · maxᵢ Gᵢᵢ` (equality on the support follows from `Σ αᵢ (Gα)ᵢ = αᵀGα`).
    private static func isOptimal(_ alpha: [Double], _ g: [Double], m: Int) -> Bool {
        let scale = (0..<m).map { g[$0 * m + $0] }.max() ?? 0
        let gAlpha = multiply(g, alpha, m: m)
        let value = dot(alpha, gAlpha)
        return gAlpha.allSatisfy { $0 >= value - 1e-12 * scale }
    }

    private static func multiply(_ g: [Double], _ x: [Double], m: Int) -> [Double] {
        (0..<m).map { i in (0..<m).reduce(0.0) { $0 + g[i * m + $1] * x[$1] } }
    }

    private static func dot(_ x: [Double], _ y: [Double]) -> Double {
        zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    private static func quadraticForm(_ g: [Double], _ x: [Double], m: Int) -> Double {
        dot(x, multiply(g, x, m: m))
    }
}
