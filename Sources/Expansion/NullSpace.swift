import LinearAlgebra

/// The spectrum and null space of the weighted Hessian `H(α) = Σ αᵢ ∇²fᵢ(x)` of a small
/// problem, formed densely from `n` Hessian-vector products (`H eⱼ`, symmetrised as
/// `(H + Hᵀ)/2`) and eigendecomposed with LAPACK `dsyevd`.
public struct NullSpaceAnalysis: Sendable {
    /// Eigenvalues in ascending order.
    public var eigenvalues: [Double]
    /// Orthonormal null-space basis: eigenvectors with `|λ| ≤ tolerance · max|λ|`.
    public var nullSpace: [[Double]]
    /// The relative tolerance used.
    public var relativeTolerance: Double
    /// `‖H − Hᵀ‖_max / ‖H‖_max` before symmetrisation (a check of the HVPs).
    public var asymmetry: Double

    /// The null-space dimension.
    public var nullity: Int { nullSpace.count }

    /// Forms `H(α)` at `x` (`n` HVPs) and finds its null space.
    public init(_ objective: ParetoObjective, at x: [Double], weights: [Double], relativeTolerance: Double = 1e-8) throws {
        let n = objective.parameterCount
        var columns: [[Double]] = []
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            columns.append(try objective.hessianVectorProduct(at: x, along: e, weights: weights))
        }
        var dense = [Double](repeating: 0, count: n * n)
        var largest = 0.0, asymmetric = 0.0
        for i in 0..<n {
            for j in 0..<n {
                dense[i * n + j] = (columns[j][i] + columns[i][j]) / 2
                largest = max(largest, abs(columns[j][i]))
                asymmetric = max(asymmetric, abs(columns[j][i] - columns[i][j]))
            }
        }
        let (values, vectors) = try LAPACK.symmetricEigen(Tensor(shape: [n, n], scalars: dense))
        let scale = values.map(abs).max() ?? 0
        eigenvalues = values
        nullSpace = values.indices.filter { abs(values[$0]) <= relativeTolerance * scale }.map { k in
            (0..<n).map { vectors.scalars[$0 * n + k] }
        }
        self.relativeTolerance = relativeTolerance
        asymmetry = largest > 0 ? asymmetric / largest : 0
    }

    /// Null-space enrichment (Ma et al. 2020, Prop. 5.1, m = 2): `v + Σₖ cₖ uₖ` for null
    /// vectors `uₖ`, as good an expansion direction as `v` (same first- and second-order
    /// behaviour of the objectives).
    public func enriched(_ v: [Double], coefficients: [Double]) throws -> [Double] {
        guard coefficients.count == nullSpace.count else {
            throw ExpansionError.dimensionMismatch(argument: "null-space coefficients", expected: nullSpace.count, actual: coefficients.count)
        }
        var result = v
        for (c, u) in zip(coefficients, nullSpace) { result = Vector.adding(result, u, scaledBy: c) }
        return result
    }
}
