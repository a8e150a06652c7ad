import LinearAlgebra

/// LORPMAN's orthogonality regulariser between the tasks' low-rank factors (LORPMAN §3.2),
/// in the exact form implemented here:
///
///     R_o(p) = Σ_layers Σ_{F ∈ {A, B}} ‖Ĉ_Fᵀ Ĉ_F − I‖²_F
///
/// with, per adapted layer, `C_B = [B₁ | … | B_T]` (`rows × T·r'`, the columns of every
/// `Bₜ`) and `C_A = [A₁ᵀ | … | A_Tᵀ]` (`columns × T·r'`, the rows of every `Aₜ`), and `Ĉ` the
/// column-normalised matrix, `ĉ = c / √(‖c‖² + ε²)` (`ε` keeps zero columns — `Bₜ = 0` at the
/// start — finite: a zero column contributes the constant 1 and a zero gradient). Off the
/// diagonal the entries are the cosines between factor columns, so `R_o` is, up to the `ε`
/// terms, `2 Σ_{i<j} cos²(cᵢ, cⱼ)`. The training loss adds ``weight`` `· R_o` once per step.
///
/// Gradient: with `G = ĈᵀĈ`, `uᵢ = 4 Σⱼ (G − I)ᵢⱼ ĉⱼ` and `nᵢ = √(‖cᵢ‖² + ε²)`,
/// `∂R/∂cᵢ = uᵢ/nᵢ − cᵢ (cᵢᵀuᵢ)/nᵢ³`.
public struct OrthogonalityRegularizer: Sendable, Equatable, Codable {
    /// `λ_o ≥ 0`, the weight in the training loss.
    public var weight: Double
    /// `ε > 0` of the column normalisation.
    public var epsilon: Double

    /// A regulariser with weight `λ_o`.
    public init(weight: Double, epsilon: Double = 1e-8) {
        self.weight = weight
        self.epsilon = epsilon
    }

    /// `R_o(p)` (unweighted) and `λ_o ∇R_o(p)` (weighted, a vector of `p`'s size).
    /// - Throws: ``PaLoRAError`` on a wrong length, a negative weight or a non-positive `ε`.
    public func valueAndGradient<S: BLASScalar>(adapters: PaLoRAAdapters, parameters p: [S]) throws -> (value: Double, gradient: [S]) {
        guard weight.isFinite, weight >= 0, epsilon.isFinite, epsilon > 0 else {
            throw PaLoRAError.invalidConfiguration("orthogonality weight \(weight) must be ≥ 0 and ε \(epsilon) positive")
        }
        try adapters.check(p, "adapter parameters", adapters.parameterCount)
        var value = 0.0
        var gradient = [S](repeating: 0, count: p.count)
        for (index, layer) in adapters.layers.enumerated() {
            for factor in 0..<2 {
                // Flat indices of every column of C_F.
                var columns: [[Int]] = []
                for t in 0..<adapters.configuration.taskCount {
                    for k in 0..<layer.innerRank {
                        if factor == 0 {
                            let offset = adapters.aOffsets[index][t] + k * layer.columns
                            columns.append(Array(offset..<(offset + layer.columns)))
                        } else {
                            let offset = adapters.bOffsets[index][t]
                            columns.append((0..<layer.rows).map { offset + $0 * layer.innerRank + k })
                        }
                    }
                }
                let (v, g) = termAndGradient(columns.map { $0.map { Double(p[$0]) } })
                value += v
                for (column, indices) in columns.enumerated() {
                    for (i, flat) in indices.enumerated() { gradient[flat] += S(weight * g[column][i]) }
                }
            }
        }
        return (value, gradient)
    }

    /// `‖ĈᵀĈ − I‖²_F` and its gradient for the columns `c`.
    private func termAndGradient(_ c: [[Double]]) -> (Double, [[Double]]) {
        let norms = c.map { ($0.reduce(0) { $0 + $1 * $1 } + epsilon * epsilon).squareRoot() }
        let unit = zip(c, norms).map { column, n in column.map { $0 / n } }
        let count = c.count
        var residual = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        var value = 0.0
        for i in 0..<count {
            for j in 0..<count {
                let g = zip(unit[i], unit[j]).reduce(0) { $0 + $1.0 * $1.1 }
                residual[i][j] = g - (i == j ? 1 : 0)
                value += residual[i][j] * residual[i][j]
            }
        }
        let gradient = (0..<count).map { i -> [Double] in
            var u = [Double](repeating: 0, count: c[i].count)
            for j in 0..<count where residual[i][j] != 0 {
                for k in u.indices { u[k] += 4 * residual[i][j] * unit[j][k] }
            }
            let cu = zip(c[i], u).reduce(0) { $0 + $1.0 * $1.1 }
            let n = norms[i]
            return zip(u, c[i]).map { $0 / n - $1 * cu / (n * n * n) }
        }
        return (value, gradient)
    }
}
