import Foundation
import ParetoKit

/// Linear vs Chebyshev scalarisation on ZDT2's concave front, and randomised mixing of the two
/// linear-scalarisation end models (Zhao, "Revisiting scalarization in multi-task learning",
/// 2024: "randomization ≈ convexification").
///
/// On the front f₂ = 1 − f₁² the weighted sum w₁f₁ + w₂f₂ = w₁f₁ + w₂(1 − f₁²) is concave in
/// f₁, so its minimum over the front is at an end: (0, 1) for w₁ > ½, (1, 0) for w₁ < ½.
/// Chebyshev scalarisation max(w₁f₁, w₂f₂) is minimised where w₁f₁ = w₂(1 − f₁²), i.e. at
/// f₁ = (−w₁ + √(w₁² + 4w₂²)) / (2w₂), an interior point for every w₁ ∈ (0, 1). A model that
/// runs the f₁-end model with probability p and the f₂-end model otherwise has expected
/// losses p·(0, 1) + (1 − p)·(1, 0) = (1 − p, p): the chord f₁ + f₂ = 1, which dominates the
/// concave front in expectation.
enum Scalarisation {
    static let name = "zdt2-scalarisation"

    /// Chebyshev's minimiser on ZDT2's front for weights (w₁, 1 − w₁), in closed form.
    static func chebyshevF1(_ w1: Double) -> Double {
        let w2 = 1 - w1
        return (-w1 + (w1 * w1 + 4 * w2 * w2).squareRoot()) / (2 * w2)
    }

    static func run(_ settings: NotebookSettings) throws -> NotebookOutput {
        let problem = try ZDT(.zdt2, dimension: 30)
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        // The same start for every weight: off the Pareto set (x₁ = 0.6, x₂…x₃₀ = 0.1, so g = 1.9).
        let start = [0.6] + [Double](repeating: 0.1, count: 29)
        let steps = settings.small ? 10 : 20
        func solve(_ method: ParetoOptimizeMethod) throws -> ParetoOptimizeResult {
            try paretoOptimize(objective, from: start, options: ParetoOptimizeOptions(
                method: method, stepSize: 0.1, maxIterations: 3000, stationarityTolerance: 1e-10))
        }
        var csv = CSVTable(["kind", "w1_or_p", "f1", "f2", "expected_f1", "expected_f2", "distance_to_front", "iterations"])
        // 1. Linear scalarisation over w₁ = 0, 1/steps, …, 1.
        var linear: [(w1: Double, f: [Double], iterations: Int)] = []
        for k in 0...steps {
            let w1 = Double(k) / Double(steps)
            let result = try solve(.weightedSum([w1, 1 - w1]))
            linear.append((w1, result.point.objectives, result.iterations))
            let expected: [Double] = w1 > 0.5 ? [0, 1] : w1 < 0.5 ? [1, 0] : [.nan, .nan]
            csv.append(["linear", w1, result.point.objectives[0], result.point.objectives[1], expected[0], expected[1],
                        problem.distanceToParetoFront(result.point.objectives), result.iterations])
        }
        // 2. Chebyshev over the interior weights.
        var chebyshev: [(w1: Double, f: [Double], iterations: Int)] = []
        for k in 1..<steps {
            let w1 = Double(k) / Double(steps)
            let result = try solve(.chebyshev([w1, 1 - w1]))
            chebyshev.append((w1, result.point.objectives, result.iterations))
            let f1 = chebyshevF1(w1)
            csv.append(["chebyshev", w1, result.point.objectives[0], result.point.objectives[1], f1, 1 - f1 * f1,
                        problem.distanceToParetoFront(result.point.objectives), result.iterations])
        }
        // 3. Randomised mixing of the two end models: model A = the linear solution for w₁ = 3/4
        //    (the f₁ end), model B = the one for w₁ = 1/4 (the f₂ end); run A with probability p.
        let modelA = try solve(.weightedSum([0.75, 0.25])).point, modelB = try solve(.weightedSum([0.25, 0.75])).point
        let draws = settings.small ? 500 : 4000
        var generator = SeededGenerator(seed: 1)
        var mixture: [(p: Double, mean: [Double])] = []
        for k in 0...steps {
            let p = Double(k) / Double(steps)
            var sum = [0.0, 0.0]
            for _ in 0..<draws {
                // S ~ U(0, 1); the randomised network is A if S ≤ p, else B (the talk's f(x)).
                let losses = try objective.values(at: generator.unitDouble() <= p ? modelA.parameters : modelB.parameters)
                sum = zip(sum, losses).map { $0 + $1 }
            }
            let mean = sum.map { $0 / Double(draws) }
            mixture.append((p, mean))
            let exact = zip(modelA.objectives, modelB.objectives).map { p * $0 + (1 - p) * $1 }
            csv.append(["mixture", p, mean[0], mean[1], exact[0], exact[1], problem.distanceToParetoFront(mean), draws])
        }
        // Measures.
        let dense = 2001
        let exactFront = (0..<dense).map { k -> [Double] in let f1 = Double(k) / Double(dense - 1); return [f1, 1 - f1 * f1] }
        let chord = (0..<dense).map { k -> [Double] in let f1 = Double(k) / Double(dense - 1); return [f1, 1 - f1] }
        let references: [[Double]] = [[1, 1], [1.1, 1.1]]
        func hv(_ points: [[Double]], _ r: [Double]) throws -> Double {
            let inside = points.filter { zip($0, r).allSatisfy { $0 < $1 } }
            return inside.isEmpty ? 0 : try Hypervolume.compute(inside, reference: r)
        }
        var hypervolumes: [[Double]] = []
        for r in references {
            hypervolumes.append([try hv(exactFront, r), try hv(linear.map(\.f), r), try hv(chebyshev.map(\.f), r), try hv(chord, r),
                                 try hv(mixture.map(\.mean), r)])
        }
        let chebyshevError = chebyshev.map { abs($0.f[0] - chebyshevF1($0.w1)) }.max() ?? 0
        let chebyshevDistance = chebyshev.map { problem.distanceToParetoFront($0.f) }.max() ?? 0
        let mixtureError = mixture.map { m in abs(m.mean[0] - (1 - m.p)) + abs(m.mean[1] - m.p) }.max() ?? 0
        let linearEnds = linear.filter { $0.w1 != 0.5 && $0.w1 != 1 }.allSatisfy { l in
            let expected: [Double] = l.w1 > 0.5 ? [0, 1] : [1, 0]
            return abs(l.f[0] - expected[0]) < 1e-6 && abs(l.f[1] - expected[1]) < 1e-6
        }
        let outcome = Outcome(
            linear: linear, chebyshev: chebyshev, mixture: mixture, modelA: modelA.objectives, modelB: modelB.objectives,
            references: references, hypervolumes: hypervolumes, chebyshevError: chebyshevError, chebyshevDistance: chebyshevDistance,
            mixtureError: mixtureError, linearEnds: linearEnds, draws: draws)
        return NotebookOutput(name: name, markdown: markdown(outcome, settings), figure: try figure(outcome), csv: csv)
    }

    struct Outcome {
        var linear: [(w1: Double, f: [Double], iterations: Int)]
        var chebyshev: [(w1: Double, f: [Double], iterations: Int)]
        var mixture: [(p: Double, mean: [Double])]
        var modelA: [Double], modelB: [Double]
        var references: [[Double]]
        /// Per reference: exact front, linear, Chebyshev, chord, mixture estimates.
        var hypervolumes: [[Double]]
        var chebyshevError: Double, chebyshevDistance: Double, mixtureError: Double
        var linearEnds: Bool
        var draws: Int
    }

    static func figure(_ o: Outcome) throws -> Figure {
        let exact = (0...200).map { k -> PlotPoint in let f1 = Double(k) / 200; return PlotPoint(f1, 1 - f1 * f1) }
        var layers: [Layer] = [
            .area(AreaSeries(points: [PlotPoint(0, 1), PlotPoint(1, 0)] + exact.reversed().dropLast().dropFirst(), fill: Color.categorical(2),
                             opacity: 0.25, label: "gained by mixing (chord over the front)")),
            .line(LineSeries(points: exact, paint: .solid(.black), width: 1.2, dash: [5, 4], label: "analytic front f₂ = 1 − f₁²")),
            .line(LineSeries(points: [PlotPoint(0, 1), PlotPoint(1, 0)], paint: .solid(Color.categorical(2)), width: 2,
                             label: "chord: E[f] of the randomised model")),
            .arrows(ArrowSeries(segments: o.chebyshev.map { Segment(from: PlotPoint(0, 0), to: PlotPoint($0.f[0], $0.f[1])) },
                                color: Color(hex: 0xCCCCCC), width: 0.8, heads: false, label: "Chebyshev rays w₁f₁ = w₂f₂")),
            .scatter(ScatterSeries(points: o.chebyshev.map { PlotPoint($0.f[0], $0.f[1]) }, marker: .triangle, size: 4.5,
                                   paint: .solid(Color.categorical(4)), outline: .black, label: "Chebyshev, \(o.chebyshev.count) weights")),
            .scatter(ScatterSeries(points: o.mixture.map { PlotPoint($0.mean[0], $0.mean[1]) }, marker: .circle, size: 2.5,
                                   paint: .solid(Color.categorical(2)), outline: .black, label: "mixture, mean of \(o.draws) draws per p")),
            .scatter(ScatterSeries(points: o.linear.map { PlotPoint($0.f[0], $0.f[1]) }, marker: .square, size: 5,
                                   paint: .solid(Color.categorical(5)), outline: .black, label: "linear scalarisation, \(o.linear.count) weights")),
        ]
        layers.append(.scatter(ScatterSeries(points: [PlotPoint(1, 1)], marker: .cross, size: 5, paint: .solid(.darkGrey), label: "reference (1, 1)")))
        let front = Panel(title: "ZDT2 (n = 30): what each scalarisation reaches", x: Axis("f₁", range: -0.05...1.15),
                          y: Axis("f₂", range: -0.05...2.0), layers: layers, legend: .topRight)
        let curve = (0...200).map { k -> PlotPoint in let w = 0.005 + 0.99 * Double(k) / 200; return PlotPoint(w, chebyshevF1(w)) }
        let reached = Panel(
            title: "f₁ reached against the weight w₁", x: Axis("w₁ (w₂ = 1 − w₁)", range: 0...1), y: Axis("f₁ of the solution"),
            layers: [
                .line(LineSeries(points: curve, paint: .solid(Color.categorical(4)), width: 1.5, dash: [5, 3], label: "Chebyshev, closed form")),
                .line(LineSeries(points: [PlotPoint(0, 1), PlotPoint(0.5, 1), PlotPoint(0.5, 0), PlotPoint(1, 0)], paint: .solid(Color.categorical(5)),
                                 width: 1.5, dash: [5, 3], label: "linear: the concave front's ends")),
                .scatter(ScatterSeries(points: o.chebyshev.map { PlotPoint($0.w1, $0.f[0]) }, marker: .triangle, size: 4.5,
                                       paint: .solid(Color.categorical(4)), outline: .black, label: "Chebyshev, computed")),
                .scatter(ScatterSeries(points: o.linear.map { PlotPoint($0.w1, $0.f[0]) }, marker: .square, size: 4.5,
                                       paint: .solid(Color.categorical(5)), outline: .black, label: "linear, computed")),
            ], legend: .bottomLeft)
        return Figure(title: "Linear vs Chebyshev scalarisation, and randomised mixing, on a concave front", panels: [front, reached],
                      columns: 2, panelWidth: 600, panelHeight: 480, identifier: "scalarisation")
    }

    static func markdown(_ o: Outcome, _ settings: NotebookSettings) -> String {
        func row(_ label: String, _ column: Int) -> String {
            "| \(label) | " + o.hypervolumes.map { fixed($0[column]) }.joined(separator: " | ") + " |"
        }
        let distinct = Set(o.linear.map { "(\(fixed($0.f[0], 3)), \(fixed($0.f[1], 3)))" }).sorted().joined(separator: ", ")
        let half = o.linear.first { $0.w1 == 0.5 }.map { "(\(fixed($0.f[0], 4)), \(fixed($0.f[1], 4)))" } ?? "–"
        return """
            # Linear vs Chebyshev scalarisation on ZDT2's concave front, and randomised mixing

            Regenerate with `\(settings.command(name))` (examples/Notebooks/Scalarisation.swift).
            Problem: ZDT2, n = 30, box [0, 1]ⁿ. Every solve starts from x = (0.6, 0.1, …, 0.1) and runs
            ParetoOptimize (initial step 0.1, at most 3,000 steps, Armijo backtracking, stationarity 10⁻¹⁰). Mixture
            draws: `SeededGenerator(seed: 1)`, \(o.draws) per p. No timings. Generated on \(machineLine).
            After Zhao's talk "Revisiting scalarization in multi-task learning" (2024): linear
            scalarisation cannot reach the interior of a non-convex front; Chebyshev scalarisation
            can (Choo & Atkins 1983); randomising between models convexifies the feasible region.

            ![scalarisation](\(name).svg)

            **Linear scalarisation** (w₁ = 0, 1/\(o.linear.count - 1), …, 1; w₂ = 1 − w₁) reaches only \(distinct).
            On the front, w₁f₁ + w₂(1 − f₁²) is concave in f₁, so its minimum lies at an end: (0, 1) for
            w₁ > ½ and (1, 0) for w₁ < ½; every computed solution for w₁ ∉ {½, 1} is that end
            (\(o.linearEnds ? "checked to 10⁻⁶" : "**not** so: see the CSV")). At w₁ = ½ both ends tie (value ½) and it stops at \(half).
            At w₁ = 1 the weighted sum is f₁ alone, whose minimisers are all of x₁ = 0, whatever g:
            gradient descent leaves x₂…x₃₀ at their start (g = 1.9) and stops at the weakly
            Pareto-optimal (0, 1.9). This is the point near (0, 1.9) in
            [zdt2-expansion](zdt2-expansion.md)'s figure: a true property of weight (1, 0), not a bug.

            **Chebyshev scalarisation** (w₁ = 1/\(o.linear.count - 1), …, \(o.linear.count - 2)/\(o.linear.count - 1)) reaches the interior: its minimiser
            satisfies w₁f₁ = w₂(1 − f₁²), f₁ = (−w₁ + √(w₁² + 4w₂²)) / (2w₂). Largest |f₁ − closed form|
            over the weights: \(short(o.chebyshevError)) (ParetoOptimize's Chebyshev descent treats every objective within 1 % of
            the maximum as active and stops when their min-norm combination vanishes, i.e. on the front
            close to, not exactly at, the balance point); largest distance to the analytic front:
            \(short(o.chebyshevDistance)).

            **Randomised mixing.** Model A is the linear solution for w = (¾, ¼), at f = (\(fixed(o.modelA[0], 4)), \(fixed(o.modelA[1], 4))); model B
            the one for w = (¼, ¾), at (\(fixed(o.modelB[0], 4)), \(fixed(o.modelB[1], 4))). The randomised model runs A when S ≤ p, S ~ U(0, 1), and
            B otherwise, so E[f] = p·f(A) + (1 − p)·f(B) = (1 − p, p): the chord f₁ + f₂ = 1. Each chord point
            (f₁, 1 − f₁) dominates the front point (f₁, 1 − f₁²) for 0 < f₁ < 1, by f₁ − f₁² (at most ¼, at
            f₁ = ½): the randomised models dominate the whole concave front *in expectation*, though every
            single run is one of the two ends (each loss has variance p(1 − p)). Largest
            |mean of the draws − (1 − p, p)|₁ over p = 0, 1/\(o.mixture.count - 1), …, 1: \(short(o.mixtureError)) (Monte Carlo error: each draw's
            losses sum to 1, so this is 2|f̄₁ − (1 − p)|, of standard deviation 2√(p(1 − p)/\(o.draws)) ≤ \(short(2 * (0.25 / Double(o.draws)).squareRoot()))).

            | hypervolume w.r.t. | \(o.references.map { "(\($0.map { String(format: "%g", $0) }.joined(separator: ", ")))" }.joined(separator: " | ")) |
            | --- | --- | --- |
            \(row("analytic front (2,001 samples; exact 1/3 and 0.543333)", 0))
            \(row("linear scalarisation, \(o.linear.count) weights", 1))
            \(row("Chebyshev, \(o.chebyshev.count) weights", 2))
            \(row("chord, E[f] of the randomised model (exact 1/2 and 0.71)", 3))
            \(row("mixture estimates, \(o.mixture.count) values of p", 4))

            With the reference (1, 1) the two ends lie on the boundary of the reference box and enclose
            no volume, so linear scalarisation scores 0; with (1.1, 1.1) they score 2·0.1·1.1 − 0.1² = 0.21.
            Exact values: ∫₀¹ f₁² df₁ = 1/3 and ∫₀¹ (0.1 + f₁²) df₁ + 0.1·1.1 = 0.543333 for the front; the
            reference box minus the triangle under the chord, 1 − ½ = ½ and 1.1² − ½ = 0.71, for the chord.
            The rows are in [\(name).csv](\(name).csv) (`kind` = `linear`,
            `chebyshev`, `mixture`; `expected_*` are the closed forms above).

            """
    }
}
