import Foundation
import ParetoKit

/// The capacity claim of Zhao's talk (after Hu, Zhang, Liu & Zhao, NeurIPS 2023) on a synthetic
/// linear multi-task regression: k = 3 tasks share a representation `Z = XW` of width q and
/// each has a linear head, `ℓᵢ(W, aᵢ) = ‖XWaᵢ − yᵢ‖²`.
///
/// With `ŷᵢ = X(XᵀX)⁺Xᵀyᵢ` and the task Gram matrix `G = ŶᵀŶ`, each loss splits into the
/// irreducible `cᵢ = ‖yᵢ − ŷᵢ‖²` and the excess `Eᵢ = ‖ŷᵢ‖² − ŷᵢᵀP_Zŷᵢ`. In coordinates of
/// `Col(Ŷ)` with `G = RᵀR` (columns `rᵢ` of R) and a unit vector z:
///
/// * q = 1, `P_Z` onto z: `Eᵢ = Gᵢᵢ − (rᵢ·z)²`;
/// * q = 2 = k − 1, `P_Z` onto z⊥: `Eᵢ = (rᵢ·z)²`;
/// * q = 3 = k: `E = 0`, the front is the single point c.
///
/// Linear scalarisation with weights w keeps the top-q eigenvectors of `M(w) = Σ wᵢ rᵢrᵢᵀ`, with
/// value `V(w) = Σ wᵢGᵢᵢ − (sum of the top q eigenvalues of M(w))`. A Pareto-optimal `E*` is
/// reached by some weight iff its *LS gap* `min_{w ∈ Δ} (w·E* − V(w))` is 0 (the gap is ≥ 0 and
/// convex in w). The talk's tests: for q = 1, LS reaches the whole front iff G is doubly
/// non-negative up to negating some ŷᵢ; for q = k − 1, iff `Q = G⁻¹` is.
enum LinearCapacity {
    static let name = "linear-mtl-capacity"
    static let k = 3

    /// A designed task-similarity matrix (then scaled per task) and what it is meant to show.
    struct Instance {
        var label: String
        var similarity: [[Double]]
        var scales: [Double]
    }

    static let instances = [
        Instance(label: "A: similar tasks", similarity: [[1, 0.8, 0.8], [0.8, 1, 0.8], [0.8, 0.8, 1]], scales: [1, 1.5, 0.7]),
        Instance(label: "B: one conflicting pair", similarity: [[1, 0.4, 0.4], [0.4, 1, -0.4], [0.4, -0.4, 1]], scales: [1, 1.5, 0.7]),
        Instance(label: "C: both tests pass", similarity: [[1, 0.9, 0.5], [0.9, 1, 0.2], [0.5, 0.2, 1]], scales: [1, 1.5, 0.7]),
    ]

    /// One instance's data and derived matrices, computed from (X, Y) alone.
    struct Analysis {
        var instance: Instance
        var gram: [[Double]]
        var inverse: [[Double]]
        var irreducible: [Double]
        /// Columns rᵢ of R with RᵀR = G.
        var r: [[Double]]
        var gSigns: [Double]?
        var qSigns: [Double]?
        /// Largest |G − designed G| (the pipeline recovers what was built).
        var designError: Double
        var cases: [Case] = []
    }

    /// A front point: the preference that produced it, its excess losses, its LS gap
    /// min_w (w·E − V(w)) by search, its stationary weight (``stationaryWeight(_:q:z:)``) and the
    /// eigen-gap there.
    typealias FrontPoint = (preference: [Double], excess: [Double], gap: Double, weight: [Double], eigenGap: Double)

    /// One width q of one instance.
    struct Case {
        var q: Int
        var predicted: Bool
        /// Front points: preference, excess losses, LS gap by search, the stationary weight and its eigen-gap.
        var front: [FrontPoint]
        /// LS solutions over the weight grid, boundary included (excess losses).
        var linear: [[Double]]
        /// Largest |direct loss − (c + E)| at the LS solution for equal weights (W and heads built explicitly).
        var directCheck: Double
        /// tr G, the scale of the excess losses.
        var trace: Double
        var reachedFraction: Double { Double(front.filter(reached).count) / Double(max(front.count, 1)) }
        var certifiedFraction: Double { Double(front.filter(certified).count) / Double(max(front.count, 1)) }
        var reachesAll: Bool { front.allSatisfy(reached) }
        /// An exact certificate that LS reaches the point: its stationary weight is a weight (≥ 0)
        /// and makes z a top (q = 1) or bottom (q = 2) eigenvector of M(w), to 10⁻⁹·tr G.
        func certified(_ point: FrontPoint) -> Bool {
            point.weight.allSatisfy { $0 >= -1e-9 * trace } && point.eigenGap <= 1e-9 * trace
        }
        /// LS reaches the point: certified, or its LS gap by search is at most 10⁻⁵·tr G (another
        /// preimage z of the same losses may be the LS solution; the search is accurate to ~10⁻⁶).
        func reached(_ point: FrontPoint) -> Bool { certified(point) || point.gap <= 1e-5 * trace }
    }

    // MARK: - Linear algebra helpers (LAPACK through LinearAlgebra)

    static func matrix(_ rows: [[Double]]) -> Tensor<Double> {
        Tensor(uncheckedShape: [rows.count, rows.first?.count ?? 0], scalars: rows.flatMap { $0 })
    }

    static func rows(_ t: Tensor<Double>) -> [[Double]] {
        let (m, n) = (t.shape[0], t.shape[1])
        return (0..<m).map { i in Array(t.scalars[(i * n)..<((i + 1) * n)]) }
    }

    static func columns(_ rows: [[Double]]) -> [[Double]] {
        guard let first = rows.first else { return [] }
        return first.indices.map { j in rows.map { $0[j] } }
    }

    /// The first sign vector d (d₁ = +1) with dᵢdⱼMᵢⱼ ≥ 0 for all i ≠ j, or `nil`.
    static func signFlip(_ m: [[Double]]) -> [Double]? {
        let n = m.count
        for mask in 0..<(1 << (n - 1)) {
            let d = [1.0] + (1..<n).map { (mask >> ($0 - 1)) & 1 == 1 ? -1.0 : 1.0 }
            var ok = true
            for i in 0..<n { for j in 0..<n where i != j && d[i] * d[j] * m[i][j] < 0 { ok = false } }
            if ok { return d }
        }
        return nil
    }

    /// Excess losses for unit z.
    static func excess(_ a: Analysis, q: Int, z: [Double]) -> [Double] {
        (0..<k).map { i in
            let s = Vectors.dot(a.r[i], z)
            switch q {
            case 1: return a.gram[i][i] - s * s
            case 2: return s * s
            default: return 0
            }
        }
    }

    /// Eigen-decomposition of M(w) = Σ wᵢ rᵢrᵢᵀ (ascending eigenvalues, eigenvectors as columns).
    static func weightedEigen(_ a: Analysis, _ w: [Double]) throws -> (values: [Double], vectors: [[Double]]) {
        var m = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for i in 0..<k { for s in 0..<k { for t in 0..<k { m[s][t] += w[i] * a.r[i][s] * a.r[i][t] } } }
        let (values, vectors) = try LAPACK.symmetricEigen(matrix(m))
        return (values, columns(rows(vectors)))
    }

    /// The LS value V(w) = Σ wᵢGᵢᵢ − (top-q eigenvalues of M(w)).
    static func lsValue(_ a: Analysis, q: Int, _ w: [Double]) throws -> Double {
        let values = try weightedEigen(a, w).values
        return (0..<k).reduce(0) { $0 + w[$1] * a.gram[$1][$1] } - values.suffix(q).reduce(0, +)
    }

    /// The LS solution's excess losses for weights w.
    static func lsExcess(_ a: Analysis, q: Int, _ w: [Double]) throws -> [Double] {
        let vectors = try weightedEigen(a, w).vectors
        let kept = vectors.suffix(q)
        return (0..<k).map { i in a.gram[i][i] - kept.reduce(0) { $0 + pow(Vectors.dot(a.r[i], $1), 2) } }
    }

    /// Grid search that zooms into the best cell, over a 2-D box (robust for the non-smooth
    /// max of Chebyshev and for the convex LS gap).
    static func zoomMinimise(_ f: ([Double]) throws -> Double, lower: [Double], upper: [Double], grid: Int, rounds: Int,
                             feasible: ([Double]) -> Bool = { _ in true }) rethrows -> (point: [Double], value: Double) {
        var best: (point: [Double], value: Double) = ([], .infinity)
        var (lo, hi) = (lower, upper)
        for round in 0...rounds {
            let n = round == 0 ? grid : 10
            for i in 0...n {
                for j in 0...n {
                    let x = [lo[0] + (hi[0] - lo[0]) * Double(i) / Double(n), lo[1] + (hi[1] - lo[1]) * Double(j) / Double(n)]
                    guard feasible(x) else { continue }
                    let value = try f(x)
                    if value < best.value { best = (x, value) }
                }
            }
            let width = [(hi[0] - lo[0]) / Double(n), (hi[1] - lo[1]) / Double(n)]
            lo = [max(lower[0], best.point[0] - 1.5 * width[0]), max(lower[1], best.point[1] - 1.5 * width[1])]
            hi = [min(upper[0], best.point[0] + 1.5 * width[0]), min(upper[1], best.point[1] + 1.5 * width[1])]
        }
        return best
    }

    /// A front point for the preference w: the minimiser over the unit hemisphere of the smoothed
    /// Chebyshev scalarisation `(1/β) log Σᵢ exp(β wᵢEᵢ(z))`, β = 40 / maxᵢ wᵢGᵢᵢ. It is strictly
    /// increasing in every Eᵢ, so its minimiser is Pareto-optimal (the plain maximum's minimisers
    /// may be only weakly so, and its kinks stall a search), and it lies near the Chebyshev point.
    static func chebyshev(_ a: Analysis, q: Int, _ w: [Double], grid: Int) -> (z: [Double], excess: [Double]) {
        func z(_ angles: [Double]) -> [Double] {
            [sin(angles[0]) * cos(angles[1]), sin(angles[0]) * sin(angles[1]), cos(angles[0])]
        }
        let beta = 40 / (0..<k).map { w[$0] * a.gram[$0][$0] }.max()!
        let best = zoomMinimise({ angles in
            let scaled = zip(w, excess(a, q: q, z: z(angles))).map { beta * $0 * $1 }
            let top = scaled.max()!
            return top + log(scaled.reduce(0) { $0 + exp($1 - top) })
        }, lower: [0, -Double.pi], upper: [Double.pi / 2 + 0.2, Double.pi], grid: grid, rounds: 30)
        return (z(best.point), excess(a, q: q, z: z(best.point)))
    }

    /// The only weight that can make z an LS solution: Σwᵢ(rᵢ·z)rᵢ = λz, Σwᵢ = 1 (the first-order
    /// condition of Σwᵢ(rᵢ·z)² on the sphere, four linear equations in w and λ, solved by dgesv),
    /// and the eigen-gap there: λ_max(M(w)) − zᵀM(w)z for q = 1 (z must be the top eigenvector),
    /// zᵀM(w)z − λ_min(M(w)) for q = 2 (z, the normal of the kept plane, the bottom one). z is an
    /// LS solution iff that weight is non-negative and the eigen-gap is 0.
    static func stationaryWeight(_ a: Analysis, q: Int, z: [Double]) throws -> (weight: [Double], eigenGap: Double) {
        let s = (0..<k).map { Vectors.dot(a.r[$0], z) }
        var system = (0..<k).map { t in (0..<k).map { i in s[i] * a.r[i][t] } + [-z[t]] }
        system.append([1, 1, 1, 0])
        let solution = try LAPACK.solve(matrix(system), Tensor(vector: [0, 0, 0, 1])).scalars
        let w = Array(solution.prefix(k))
        let values = try weightedEigen(a, w).values
        let rayleigh = (0..<k).reduce(0) { $0 + w[$1] * s[$1] * s[$1] }
        return (w, q == 1 ? values.last! - rayleigh : rayleigh - values.first!)
    }

    /// The LS gap of excess losses e: min over the simplex of w·e − V(w).
    static func gap(_ a: Analysis, q: Int, _ e: [Double], grid: Int) throws -> Double {
        try zoomMinimise({ ab in
            let w = [ab[0], ab[1], max(0, 1 - ab[0] - ab[1])]
            return Vectors.dot(w, e) - (try lsValue(a, q: q, w))
        }, lower: [0, 0], upper: [1, 1], grid: grid, rounds: 20, feasible: { $0[0] + $0[1] <= 1 + 1e-12 }).value
    }

    // MARK: - The analysis

    static func analyse(_ instance: Instance, x: Tensor<Double>, basis: [[Double]], generator: inout SeededGenerator,
                        settings: NotebookSettings) throws -> Analysis {
        let n = x.shape[0]
        // Designed ŷ: the basis times a square root of the designed Gram matrix; the noise is
        // orthogonal to Col(X), so it is exactly the irreducible part.
        let designed = (0..<k).map { i in (0..<k).map { j in instance.similarity[i][j] * instance.scales[i] * instance.scales[j] } }
        let (values, vectors) = try LAPACK.symmetricEigen(matrix(designed))
        let v = rows(vectors)
        let root = (0..<k).map { s in (0..<k).map { i in values[s].squareRoot() * v[i][s] } }  // rows s: √λ_s v_sᵀ, so rootᵀroot = G
        var y: [[Double]] = []
        for i in 0..<k {
            var target = [Double](repeating: 0, count: n)
            for s in 0..<k { for t in 0..<n { target[t] += root[s][i] * basis[s][t] } }
            let noise = (0..<n).map { _ in 0.3 * generator.gaussian() }
            let fit = try LAPACK.leastSquares(x, noise).solution
            let projected = rows(try x.matmul(matrix(fit.map { [$0] }))).map { $0[0] }
            y.append(zip(target, zip(noise, projected)).map { $0 + $1.0 - $1.1 })
        }
        // From here on only (X, Y): least squares, the Gram matrix, its inverse, sign tests.
        var fitted: [[Double]] = []
        var irreducible: [Double] = []
        for yi in y {
            let beta = try LAPACK.leastSquares(x, yi).solution
            let yhat = rows(try x.matmul(matrix(beta.map { [$0] }))).map { $0[0] }
            fitted.append(yhat)
            irreducible.append(zip(yi, yhat).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        }
        let gram = (0..<k).map { i in (0..<k).map { j in Vectors.dot(fitted[i], fitted[j]) } }
        let identity = matrix((0..<k).map { i in (0..<k).map { $0 == i ? 1.0 : 0.0 } })
        let inverse = rows(try LAPACK.solve(matrix(gram), identity))
        let (gValues, gVectors) = try LAPACK.symmetricEigen(matrix(gram))
        let gv = rows(gVectors)
        // R = Λ^{1/2} Vᵀ, RᵀR = G; column i is rᵢ.
        let r = (0..<k).map { i in (0..<k).map { s in gValues[s].squareRoot() * gv[i][s] } }
        let designError = zip(gram, designed).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
        var analysis = Analysis(instance: instance, gram: gram, inverse: inverse, irreducible: irreducible, r: r,
                                gSigns: signFlip(gram), qSigns: signFlip(inverse), designError: designError)
        let divisions = settings.small ? 6 : 14
        let simplex = (0...divisions).flatMap { i in (0...(divisions - i)).map { j in
            [Double(i), Double(j), Double(divisions - i - j)].map { $0 / Double(divisions) } } }
        let interior = simplex.filter { $0.allSatisfy { $0 > 0 } }
        let trace = (0..<k).reduce(0) { $0 + gram[$1][$1] }
        for q in 1...k {
            var front: [FrontPoint] = []
            if q < k {
                for w in interior {
                    let (z, e) = chebyshev(analysis, q: q, w, grid: settings.small ? 24 : 96)
                    let (weight, kktGap) = try stationaryWeight(analysis, q: q, z: z)
                    front.append((w, e, try gap(analysis, q: q, e, grid: settings.small ? 20 : 40), weight, kktGap))
                }
            } else {
                front = [([1.0 / 3, 1.0 / 3, 1.0 / 3], [0, 0, 0], 0, [1.0 / 3, 1.0 / 3, 1.0 / 3], 0)]
            }
            let linear = try simplex.map { try lsExcess(analysis, q: q, $0) }
            let predicted = q == 1 ? analysis.gSigns != nil : q == k - 1 ? analysis.qSigns != nil : true
            let direct = try directLosses(analysis, fitted: fitted, x: x, y: y, q: q, w: [1.0 / 3, 1.0 / 3, 1.0 / 3])
            let reduced = try lsExcess(analysis, q: q, [1.0 / 3, 1.0 / 3, 1.0 / 3])
            let check = (0..<k).map { abs(direct[$0] - (irreducible[$0] + reduced[$0])) }.max()!
            analysis.cases.append(Case(q: q, predicted: predicted, front: front, linear: linear, directCheck: check, trace: trace))
        }
        return analysis
    }

    /// The losses ‖XWaᵢ − yᵢ‖² of the LS solution for weights w, with W (p × q) and the heads
    /// built explicitly: W's columns solve XW = ŶR⁻¹z for the top-q eigenvectors z of M(w), the
    /// heads are least-squares fits on Z = XW.
    static func directLosses(_ a: Analysis, fitted: [[Double]], x: Tensor<Double>, y: [[Double]], q: Int, w: [Double]) throws -> [Double] {
        let n = x.shape[0], p = x.shape[1]
        let kept = Array(try weightedEigen(a, w).vectors.suffix(q))
        // R⁻¹z through LAPACK: solve R u = z (R's rows: r's coordinates, R[s][i] = rᵢ[s]).
        let rMatrix = matrix((0..<k).map { s in (0..<k).map { i in a.r[i][s] } })
        var wColumns: [[Double]] = []
        for z in kept {
            let u = try LAPACK.solve(rMatrix, Tensor(vector: z)).scalars
            let direction = (0..<n).map { t in (0..<k).reduce(0) { $0 + fitted[$1][t] * u[$1] } }
            wColumns.append(try LAPACK.leastSquares(x, direction).solution)
        }
        let wMatrix = matrix((0..<p).map { row in wColumns.map { $0[row] } })
        let z = try x.matmul(wMatrix)
        return try y.map { yi in
            let head = try LAPACK.leastSquares(z, yi).solution
            let prediction = rows(try z.matmul(matrix(head.map { [$0] }))).map { $0[0] }
            return zip(prediction, yi).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
    }

    static func run(_ settings: NotebookSettings) throws -> NotebookOutput {
        var generator = SeededGenerator(seed: 1)
        let (n, p) = (40, 5)
        let x = Tensor(uncheckedShape: [n, p], scalars: (0..<(n * p)).map { _ in generator.gaussian() })
        // An orthonormal basis of three directions of Col(X) (Gram–Schmidt on X's first columns).
        let xColumns = columns(rows(x))
        var basis: [[Double]] = []
        for column in xColumns.prefix(k) {
            var v = column
            for b in basis { let c = Vectors.dot(v, b); v = zip(v, b).map { $0 - c * $1 } }
            let norm = Vectors.norm(v)
            basis.append(v.map { $0 / norm })
        }
        var analyses: [Analysis] = []
        for instance in instances { analyses.append(try analyse(instance, x: x, basis: basis, generator: &generator, settings: settings)) }
        var csv = CSVTable(["instance", "q", "preference1", "preference2", "preference3", "E1", "E2", "E3", "loss1", "loss2", "loss3",
                            "ls_gap_search", "stationary_w1", "stationary_w2", "stationary_w3", "eigen_gap", "ls_reaches"])
        for a in analyses {
            let tag = String(a.instance.label.prefix(1))
            for c in a.cases {
                for f in c.front {
                    let loss = (0..<k).map { a.irreducible[$0] + f.excess[$0] }
                    var fields: [Any] = [tag, c.q]
                    fields += f.preference.map { $0 as Any }
                    fields += f.excess.map { $0 as Any }
                    fields += loss.map { $0 as Any }
                    fields.append(f.gap)
                    fields += f.weight.map { $0 as Any }
                    fields += [f.eigenGap, c.reached(f)] as [Any]
                    csv.append(fields)
                }
            }
        }
        return NotebookOutput(name: name, markdown: markdown(analyses, n: n, p: p, settings), figure: try figure(analyses), csv: csv)
    }

    /// The preference simplex drawn as a triangle: w = (1, 0, 0) at the bottom left, (0, 1, 0) at
    /// the bottom right, (0, 0, 1) at the top.
    static func barycentric(_ w: [Double]) -> PlotPoint { PlotPoint(w[1] + w[2] / 2, w[2] * 3.0.squareRoot() / 2) }

    static func figure(_ analyses: [Analysis]) throws -> Figure {
        var panels: [Panel] = []
        let corners = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 0, 0]].map(barycentric)
        for q in 1...2 {
            for a in analyses {
                let c = a.cases[q - 1]
                let reached = c.front.filter(c.reached), missed = c.front.filter { !c.reached($0) }
                var layers: [Layer] = [.line(LineSeries(points: corners, paint: .solid(.darkGrey), width: 1))]
                if !reached.isEmpty {
                    layers.append(.scatter(ScatterSeries(points: reached.map { barycentric($0.preference) }, size: 4.5,
                                                         paint: .solid(Color.categorical(2)), outline: .black, label: "some LS weight reaches it")))
                }
                if !missed.isEmpty {
                    layers.append(.scatter(ScatterSeries(points: missed.map { barycentric($0.preference) }, marker: .diamond, size: 5.5,
                                                         paint: .solid(Color.categorical(5)), outline: .black, label: "no LS weight reaches it")))
                }
                let test = q == 1 ? (a.gSigns != nil ? "G DNN up to signs" : "G not DNN") : (a.qSigns != nil ? "G⁻¹ DNN up to signs" : "G⁻¹ not DNN")
                panels.append(Panel(title: "\(a.instance.label), q = \(q): \(test)", x: Axis("w₂ + w₃/2 (w₁ = 1 at 0, w₂ = 1 at 1)", range: -0.05...1.05),
                                    y: Axis("(√3/2) w₃ (w₃ = 1 at the top)", range: -0.05...1.05), layers: layers, legend: .topRight))
            }
        }
        return Figure(title: "Which front points linear scalarisation reaches, by the Chebyshev preference that produced them (k = 3)",
                      panels: panels, columns: 3, panelWidth: 460, panelHeight: 420, identifier: "capacity")
    }

    /// The largest LS gap where the talk's test predicts full coverage, and where it does not.
    static func separation(_ analyses: [Analysis]) -> String {
        let cases = analyses.flatMap(\.cases).filter { $0.q < k }
        let largest: (Bool) -> Double = { predicted in
            cases.filter { $0.predicted == predicted }.map { $0.front.map(\.gap).max() ?? 0 }.max() ?? 0
        }
        let smallestMissing = cases.filter { !$0.predicted }.map { $0.front.map(\.gap).max() ?? 0 }.min() ?? 0
        return "the largest LS gap over a case's front points is at most \(short(largest(true))) in every case where the talk's test "
            + "holds, and at least \(short(smallestMissing)) in every case where it fails."
    }

    static func markdown(_ analyses: [Analysis], n: Int, p: Int, _ settings: NotebookSettings) -> String {
        func format(_ m: [[Double]]) -> String {
            "[" + m.map { "[" + $0.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        }
        func signs(_ d: [Double]?) -> String {
            d.map { "yes, d = (" + $0.map { $0 > 0 ? "+" : "−" }.joined(separator: ", ") + ")" } ?? "no"
        }
        var text = """
            # Linear scalarisation and network width: a linear 3-task regression

            Regenerate with `\(settings.command(name))` (examples/Notebooks/LinearCapacity.swift).
            Seed: `SeededGenerator(seed: 1)` draws X (\(n) × \(p), standard normal) and the noise. No
            timings. Generated on \(machineLine). Everything is computed in Swift with ParetoKit's
            LAPACK wrappers (`LAPACK.leastSquares` = dgelsd, `LAPACK.solve` = dgesv,
            `LAPACK.symmetricEigen` = dsyevd).

            After Zhao's talk "Revisiting scalarization in multi-task learning" (2024; Hu et al.,
            NeurIPS 2023): k = 3 regression tasks share a linear representation Z = XW of width q,
            each with a linear head aᵢ; ℓᵢ(W, aᵢ) = ‖XWaᵢ − yᵢ‖². The talk states: for q ≥ k the front
            is a single point, reached by every weight; for q = 1 linear scalarisation (LS) explores
            the whole front iff G = ŶᵀŶ is doubly non-negative (DNN) up to negating some ŷᵢ; for
            q = k − 1 iff Q = G⁻¹ is.

            **Set-up.** Three instances with designed task similarities (then scaled by 1, 1.5, 0.7
            per task): the targets are yᵢ = ŷᵢ + εᵢ with ŷ in a 3-D subspace of Col(X) and εᵢ drawn with
            standard deviation 0.3, then projected off Col(X). The analysis then uses only (X, y): ŷᵢ = X·dgelsd(X, yᵢ),
            cᵢ = ‖yᵢ − ŷᵢ‖², G = ŶᵀŶ, Q = G⁻¹. With G = RᵀR, the excess losses Eᵢ = ℓᵢ − cᵢ of a
            width-q representation (each head at its optimum for Z) are, for a unit z ∈ ℝ³: q = 1: Eᵢ = Gᵢᵢ − (rᵢ·z)²; q = 2: Eᵢ = (rᵢ·z)²
            (the representation spans z⊥); q = 3: E = 0. LS with weights w keeps the top-q eigenvectors
            of M(w) = Σwᵢrᵢrᵢᵀ and has value V(w) = ΣwᵢGᵢᵢ − (top-q eigenvalues of M(w)).

            **Method.** Front points: for every interior w on a simplex grid with step 1/\(settings.small ? 6 : 14), the
            minimiser over the unit hemisphere of the smoothed Chebyshev scalarisation
            (1/β) log Σᵢ exp(β wᵢEᵢ(z)), β = 40 / maxᵢ wᵢGᵢᵢ, by zooming grid search. It is strictly
            increasing in every Eᵢ, so each minimiser is Pareto-optimal (the plain maximum maxᵢ wᵢEᵢ,
            whose minimisers give every weakly Pareto-optimal point (Choo & Atkins), may stop at
            weakly optimal points, and its kinks stall a search); with β this large the points sit
            close to the Chebyshev points. For each such point E*,
            two tests decide whether some LS weight reaches it. (i) The *stationary weight*: if LS with weight w
            reaches E* through z*, then z* is an eigenvector of M(w): Σwᵢ(rᵢ·z*)rᵢ = λz*, Σwᵢ = 1, four
            linear equations (dgesv) whose solution is (generically) the only candidate weight; if it is ≥ 0 and z* is
            the top (q = 1) or bottom (q = 2, z* the normal of the kept plane) eigenvector of M(w) (eigen-gap
            ≤ 10⁻⁹·tr G), E* is *certified* reached. (ii) The *LS gap* min_{w ∈ Δ} (w·E* − V(w)) (≥ 0, convex
            in w, 0 iff some weight reaches E* through any z) by zooming grid search over the simplex,
            accurate to about 10⁻⁶ here. A point is *reached* if certified or its LS gap is ≤ 10⁻⁵·tr G;
            points on the border of a missed region have gaps between the two, so the percentages are
            approximate there, but the verdict is not: \(separation(analyses))

            As a check of
            the reduction, the LS solution for w = (⅓, ⅓, ⅓) is also built explicitly (W from dgelsd on
            XW = ŶR⁻¹z, heads from dgelsd on Z = XW) and its losses compared with c + E.

            ![capacity](\(name).svg)

            Each panel is the preference simplex: a dot is the front point produced by the smoothed
            Chebyshev scalarisation with that preference w (bottom left w = (1, 0, 0), bottom right
            (0, 1, 0), top (0, 0, 1)), green when some LS weight reaches the same losses, orange when none
            does. q = 3 is not drawn: its front is the single point c, reached by every weight.

            | instance | G (computed) | G⁻¹ | G DNN up to signs? | G⁻¹ DNN up to signs? |
            | --- | --- | --- | --- | --- |

            """
        for a in analyses {
            text += "| \(a.instance.label) | \(format(a.gram)) | \(format(a.inverse)) | \(signs(a.gSigns)) | \(signs(a.qSigns)) |\n"
        }
        text += """

            | instance | q | talk's test predicts LS reaches the whole front | front points | certified by the stationary weight | LS reaches | largest LS gap (search) | smallest LS gap of a missed point | test and computation agree | direct-loss check |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |

            """
        for a in analyses {
            for c in a.cases {
                let missed = c.front.filter { !c.reached($0) }.map(\.gap)
                let agrees = c.predicted == c.reachesAll
                text += "| \(a.instance.label.prefix(1)) | \(c.q) | \(c.q == k ? "yes (q ≥ k: one point)" : c.predicted ? "yes" : "no") | \(c.front.count) | "
                    + "\(String(format: "%.0f", 100 * c.certifiedFraction)) % | \(String(format: "%.0f", 100 * c.reachedFraction)) % | "
                    + "\(short(c.front.map(\.gap).max() ?? 0)) | \(missed.min().map(short) ?? "–") | "
                    + "\(agrees ? "yes" : "**no**") | \(short(c.directCheck)) |\n"
            }
        }
        let designError = analyses.map(\.designError).max() ?? 0
        text += """

            Irreducible losses c: \(analyses.map { "\($0.instance.label.prefix(1)): (" + $0.irreducible.map { fixed($0, 3) }.joined(separator: ", ") + ")" }.joined(separator: "; ")).
            The Gram matrices recovered from (X, y) match the designed ones to \(short(designError)). For q = 3 the
            LS solution of every grid weight has |E| ≤ \(short(analyses.flatMap { $0.cases[2].linear.flatMap { $0.map(abs) } }.max() ?? 0)) (the single front point c).

            **Reading.** For k = 3 the two tests cannot both fail: scaled to unit diagonal (which changes
            no sign of G or G⁻¹) with off-diagonals a, b, c, G is DNN up to signs iff abc ≥ 0, and G⁻¹'s off-diagonals are proportional to
            −(a − bc), (ac − b), −(c − ab), whose product has the sign of −(a − bc)(b − ac)(c − ab), which
            is ≥ 0 whenever abc < 0 and |a|, |b|, |c| < 1. So for k = 3 at least one of the widths 1
            and 2 lets LS explore everything; instance A (similar tasks) needs width 1 or 3 and loses
            part of the front at width 2, instance B the reverse; widening A from 1 to 2 *loses* LS
            coverage before q = 3 makes the front a single point. The missed points are where the
            feasible set is not convex. The front points, their stationary weights and gaps are in [\(name).csv](\(name).csv).

            """
        return text
    }
}
