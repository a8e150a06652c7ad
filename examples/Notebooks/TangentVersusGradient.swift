import Foundation
import ParetoKit

/// Ma, Du & Matusik (2020), Figures 2–3, on ZDT2 and the ZDT2 variant: from one Pareto-optimal
/// seed, expansion along tangent directions (MINRES on the tangent system) against expansion
/// along the right-hand side itself (gradient directions), in three views:
///
/// 1. lines `f(x* + s d)` through the seed (Figure 2, right): distance to the analytic front
///    against `|s|`, second order for the tangent, first order for gradients;
/// 2. chains without correction, `x ← x + s v(x)` (a predictor alone): the tangent chain stays
///    on the front, the gradient chain drifts into the dominated interior;
/// 3. Algorithm 1 with the MGDA corrector (Figure 3): predictor and corrector per accepted point,
///    the corrector's cost and the rejected candidates.
enum TangentVersusGradient {
    static let name = "zdt2-tangent-vs-gradient"

    /// One problem's study.
    struct Study {
        var title: String
        var command: String
        var problem: any BenchmarkProblem
        var seedPoint: [Double]
        var seedObjectives: [Double]
        var stepSize: Double
        /// Per method: why the uncorrected chain stopped before its last step (`nil`: it did not).
        var driftStop: [DirectionMethod: String] = [:]
        /// Per method (tangent, gradient): samples `(s, objectives, distance)` along the line through the seed.
        var lines: [DirectionMethod: [(s: Double, objectives: [Double], distance: Double)]] = [:]
        /// Per method: the uncorrected chain's objectives and distances, step 0 = seed.
        var drift: [DirectionMethod: [(objectives: [Double], distance: Double)]] = [:]
        /// Per method: Algorithm 1's accepted points with their predictors.
        var chains: [DirectionMethod: ChainResult] = [:]
    }

    /// Algorithm 1's outcome for one method.
    struct ChainResult {
        struct Step {
            var id: Int
            var parent: Int
            var predictor: [Double]
            var predictorDistance: Double
            var accepted: [Double]
            var acceptedDistance: Double
            var correctorIterations: Int
        }
        var steps: [Step]
        var seed: [Double]
        var candidates: Int
        var rejected: Int
        var counts: EvaluationCounts
        var hypervolume: Double
    }

    static let methods: [DirectionMethod] = [.tangent, .gradient]

    static func study(problem: any BenchmarkProblem, title: String, points: Int, stepSize: Double, lineSamples: Int,
                      driftSteps: Int) throws -> Study {
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        var options = ExpansionOptions()
        options.points = points
        options.stepSize = stepSize
        options.seed = 1
        options.optimize = ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 500, stationarityTolerance: 1e-8)
        let (seedState, _) = try ParetoExpansion.start(objective, from: problem.paretoOptimalPoint(firstObjective: 0.5), options: options)
        let seed = seedState.points[0]
        var study = Study(title: title, command: "", problem: problem, seedPoint: seed.parameters, seedObjectives: seed.objectives,
                              stepSize: stepSize)
        for method in methods {
            options.direction = DirectionOptions(method: method, minresIterations: 50, minresTolerance: 1e-10)
            // 1. The line through the seed along the direction favouring f₁.
            let d = try expansionDirection(objective, at: seed.point, beta: [1, 0], favouring: 0, options: options.direction).direction
            var line: [(Double, [Double], Double)] = []
            for k in 0..<lineSamples {
                let s = 0.2 * Double(k + 1) / Double(lineSamples)
                let f = try objective.values(at: objective.project(step(seed.parameters, along: d, by: s)))
                line.append((s, f, problem.distanceToParetoFront(f)))
            }
            study.lines[method] = line
            // 2. The predictor alone: x ← P(x + s v(x)), v favouring f₁, recomputed at every step.
            var x = seed.parameters
            var drift = [(seed.objectives, problem.distanceToParetoFront(seed.objectives))]
            for _ in 0..<driftSteps {
                let here = try EvaluatedPoint(objective, at: x)
                let v: ExpansionDirection
                do {
                    v = try expansionDirection(objective, at: here, beta: [1, 0], favouring: 0, options: options.direction)
                } catch {
                    study.driftStop[method] = "\(error)"
                    break
                }
                x = objective.project(step(x, along: v.direction, by: stepSize))
                let f = try objective.values(at: x)
                drift.append((f, problem.distanceToParetoFront(f)))
            }
            study.drift[method] = drift
            // 3. Algorithm 1 with the MGDA corrector, from the same seed and β seed.
            let fresh = try ParetoObjective(problem, bounds: problem.bounds)
            let (start, _) = try ParetoExpansion.start(fresh, from: problem.paretoOptimalPoint(firstObjective: 0.5), options: options)
            let state = try ParetoExpansion.run(fresh, state: start, options: options)
            let counts = fresh.counts
            var steps: [ChainResult.Step] = []
            for point in state.points.dropFirst() {
                guard let parent = point.parent, let direction = point.direction else { continue }
                let predictor = fresh.project(step(state.points[parent].parameters, along: direction, by: stepSize))
                let fp = try fresh.values(at: predictor)
                steps.append(.init(id: point.id, parent: parent, predictor: fp, predictorDistance: problem.distanceToParetoFront(fp),
                                   accepted: point.objectives, acceptedDistance: problem.distanceToParetoFront(point.objectives),
                                   correctorIterations: point.optimizeIterations))
            }
            study.chains[method] = ChainResult(
                steps: steps, seed: state.points[0].objectives, candidates: state.candidates, rejected: state.rejected, counts: counts,
                hypervolume: try Hypervolume.compute(state.points.map(\.objectives), reference: [1, 1]))
        }
        return study
    }

    static func run(_ settings: NotebookSettings) throws -> NotebookOutput {
        let lineSamples = settings.small ? 10 : 40
        let variant = try study(problem: ZDT2Variant(), title: "ZDT2 variant (n = 3, unconstrained)", points: settings.small ? 6 : 11,
                                stepSize: 0.1, lineSamples: lineSamples, driftSteps: settings.small ? 5 : 15)
        let zdt2 = try study(problem: try ZDT(.zdt2, dimension: 30), title: "ZDT2 (n = 30, box [0, 1]ⁿ)", points: settings.small ? 6 : 11,
                             stepSize: 0.05, lineSamples: lineSamples, driftSteps: settings.small ? 5 : 15)
        var csv = CSVTable(["problem", "view", "method", "index", "s", "f1", "f2", "distance_to_front", "corrector_iterations"])
        for (key, s) in [("zdt2-variant", variant), ("zdt2", zdt2)] {
            for method in methods {
                for sample in s.lines[method]! {
                    csv.append([key, "line", method.rawValue, 0, sample.s, sample.objectives[0], sample.objectives[1], sample.distance, ""])
                }
                for (k, sample) in s.drift[method]!.enumerated() {
                    csv.append([key, "uncorrected", method.rawValue, k, "", sample.objectives[0], sample.objectives[1], sample.distance, ""])
                }
                for step in s.chains[method]!.steps {
                    csv.append([key, "predictor", method.rawValue, step.id, "", step.predictor[0], step.predictor[1], step.predictorDistance, ""])
                    csv.append([key, "accepted", method.rawValue, step.id, "", step.accepted[0], step.accepted[1], step.acceptedDistance,
                                step.correctorIterations])
                }
            }
        }
        return NotebookOutput(name: name, markdown: markdown([variant, zdt2], settings), figure: try figure([variant, zdt2]), csv: csv)
    }

    static func figure(_ studies: [Study]) throws -> Figure {
        var panels: [Panel] = []
        let exact = (0...200).map { k -> PlotPoint in let f1 = Double(k) / 200; return PlotPoint(f1, 1 - f1 * f1) }
        let colors: [DirectionMethod: Color] = [.tangent: Color.categorical(5), .gradient: Color.categorical(4)]
        for study in studies {
            // Objective space: Algorithm 1's predictor (ParetoExpand) and corrector (ParetoOptimize)
            // arrows, as in Figure 3, and the uncorrected chains.
            var layers: [Layer] = [.line(LineSeries(points: exact, paint: .solid(.black), width: 1.2, dash: [5, 4], label: "analytic front f₂ = 1 − f₁²"))]
            for method in methods {
                let drift = study.drift[method]!.map { PlotPoint($0.objectives[0], $0.objectives[1]) }
                layers.append(.line(LineSeries(points: drift, paint: .solid(colors[method]!), width: 1.2, dash: [2, 3],
                                               label: "\(method.rawValue): predictor alone")))
                let chain = study.chains[method]!
                layers.append(.arrows(ArrowSeries(
                    segments: chain.steps.map { step in
                        let parent = step.parent == 0 ? chain.seed : chain.steps.first { $0.id == step.parent }!.accepted
                        return Segment(from: PlotPoint(parent[0], parent[1]), to: PlotPoint(step.predictor[0], step.predictor[1]))
                    }, color: colors[method]!, width: 1.6, label: "\(method.rawValue): ParetoExpand step")))
                layers.append(.arrows(ArrowSeries(
                    segments: chain.steps.map { Segment(from: PlotPoint($0.predictor[0], $0.predictor[1]), to: PlotPoint($0.accepted[0], $0.accepted[1])) },
                    color: Color.categorical(6), width: 1, label: method == .tangent ? "ParetoOptimize (corrector)" : nil)))
                layers.append(.scatter(ScatterSeries(points: chain.steps.map { PlotPoint($0.accepted[0], $0.accepted[1]) }, marker: .circle,
                                                     size: 3, paint: .solid(.white), outline: colors[method]!)))
            }
            layers.append(.scatter(ScatterSeries(points: [PlotPoint(study.seedObjectives[0], study.seedObjectives[1])], marker: .circle, size: 5,
                                                 paint: .solid(Color.categorical(6)), outline: .black, label: "seed x*")))
            panels.append(Panel(title: "\(study.title)", x: Axis("f₁", range: -0.05...1.1), y: Axis("f₂", range: -0.05...1.6),
                                layers: layers, legend: .topRight))
            // Figure 2 (right): distance of f(x* + s d) to the front against s.
            panels.append(Panel(
                title: "f(x* + s d): distance to the front", x: Axis("step s along the unit direction d"), y: Axis("distance to the analytic front"),
                layers: methods.map { method in
                    .line(LineSeries(points: study.lines[method]!.map { PlotPoint($0.s, $0.distance) }, paint: .solid(colors[method]!), width: 2,
                                     label: "\(method.rawValue) direction"))
                }, legend: .topLeft))
            // The predictor alone, step after step.
            panels.append(Panel(
                title: "Predictor alone, x ← x + s v(x): distance", x: Axis("step", integer: true), y: Axis("distance to the analytic front"),
                layers: methods.flatMap { method -> [Layer] in
                    let points = study.drift[method]!.enumerated().map { PlotPoint(Double($0.offset), $0.element.distance) }
                    return [.line(LineSeries(points: points, paint: .solid(colors[method]!), width: 2, label: "\(method.rawValue)")),
                            .scatter(ScatterSeries(points: points, size: 2.5, paint: .solid(colors[method]!)))]
                }, legend: .topLeft))
        }
        return Figure(title: "Tangent vs gradient directions (Ma et al. 2020, Figures 2–3)", panels: panels, columns: 3,
                      panelWidth: 500, panelHeight: 420, identifier: "tangent-vs-gradient")
    }

    /// What the table shows, in words (with the numbers that support it).
    static func reading(_ study: Study) -> String {
        let t = study.chains[.tangent]!, g = study.chains[.gradient]!
        let tangentLine = study.lines[.tangent]!.map(\.distance).max() ?? 0
        let gradientLine = study.lines[.gradient]!
        let last = gradientLine.last!
        let gradientAccepted = g.steps.map(\.acceptedDistance).max() ?? 0
        var text = "Reading: the tangent line through x* stays on the front to rounding (largest distance \(short(tangentLine)) for s ≤ 0.2): "
        text += study.problem is ZDT
            ? "ZDT2's Pareto set is the segment x₂ = … = xₙ = 0, straight along x₁, and the tangent solve returns ±e₁. "
            : "the variant's Pareto set is the cylinder x₂² + x₃² = π, straight along x₁, and the tangent solve returns its axis. "
        let quarter = gradientLine.min { abs($0.s - last.s / 4) < abs($1.s - last.s / 4) }!
        let order = log(last.distance / quarter.distance) / log(last.s / quarter.s)
        text += "The gradient direction leaves the front at order ≈ \(String(format: "%.2f", order)) in s (distance \(short(quarter.distance)) at s = \(short(quarter.s)), "
        text += "\(short(last.distance)) at s = \(short(last.s))"
        text += study.problem is ZDT
            ? ": it raises x₂…x₃₀, which the box keeps on their bound at x*, so the stationarity of x* does not hold along it). "
            : ": at an unconstrained stationary point Σ α*ᵢ∇fᵢ = 0, so α*·(∇f d) = 0 for every d: to first order every direction moves f along the front, and what remains is curvature). "
        text += "Without correction the tangent chain stays on the front while the gradient chain drifts to distance \(short(study.drift[.gradient]!.last!.distance)) "
        text += "after \(study.drift[.gradient]!.count - 1) steps. In Algorithm 1 the tangent predictors need no correction "
        text += "(\(t.steps.map(\.correctorIterations).reduce(0, +)) MGDA steps in all), the gradient ones \(g.steps.map(\.correctorIterations).reduce(0, +))"
        if gradientAccepted > 1e-6 {
            text += ", and some corrections end on stationary points off the front (largest distance \(short(gradientAccepted)))"
        }
        if g.rejected > 0 {
            text += "; \(g.rejected) of the gradient chain's \(g.candidates) candidates were rejected (dominated, stalled or moving backwards along its chain)"
        }
        if g.steps.count < t.steps.count {
            text += ", so it ends with \(g.steps.count + 1) points instead of \(t.steps.count + 1)"
        }
        return text + "."
    }

    /// Why the uncorrected chains stopped early, for the text.
    static func stops(_ study: Study) -> String {
        let notes = methods.compactMap { method in
            study.driftStop[method].map { "The uncorrected \(method.rawValue) chain stopped after \(study.drift[method]!.count - 1) steps (\($0))." }
        }
        return notes.isEmpty ? "" : " " + notes.joined(separator: " ")
    }

    static func markdown(_ studies: [Study], _ settings: NotebookSettings) -> String {
        var text = """
            # ZDT2: tangent directions vs gradient directions (Ma et al. 2020, Figures 2–3)

            Regenerate with `\(settings.command(name))` (examples/Notebooks/TangentVersusGradient.swift).
            Seed: the Pareto-optimal point with f₁ = 0.5, brought to stationarity by MGDA; β seed 1 (the
            β draws are not used: both chains steer by β = e₁ or e₂). No timings: every number below is a
            count or a distance. Generated on \(machineLine).

            ![tangent vs gradient](\(name).svg)

            Both methods use the same seed, the same step s and the same corrector (MGDA, at most 500
            steps, stationarity 10⁻⁸). *Tangent*: MINRES (≤ 50 iterations, relative tolerance 10⁻¹⁰) on
            H v = (∇fᵀ − c1ᵀ)β, H = Σ α*ᵢ∇²fᵢ. *Gradient*: the right-hand side (∇fᵀ − c1ᵀ)β itself, over
            all coordinates (`--method gradient`). Distances are Euclidean distances in objective space to
            the analytic front f₂ = 1 − f₁², f₁ ∈ [0, 1].

            """
        for study in studies {
            let t = study.chains[.tangent]!, g = study.chains[.gradient]!
            func lineAt(_ method: DirectionMethod, _ s: Double) -> String {
                let line = study.lines[method]!
                return short(line.min { abs($0.s - s) < abs($1.s - s) }!.distance)
            }
            func maxDistance(_ steps: [ChainResult.Step], _ key: KeyPath<ChainResult.Step, Double>) -> String {
                short(steps.map { $0[keyPath: key] }.max() ?? 0)
            }
            let tDrift = study.drift[.tangent]!, gDrift = study.drift[.gradient]!
            text += """

                ## \(study.title)

                Seed x* = (\(study.seedPoint.prefix(3).map { fixed($0, 4) }.joined(separator: ", "))\(study.seedPoint.count > 3 ? ", 0, …, 0" : "")),
                f(x*) = (\(fixed(study.seedObjectives[0], 4)), \(fixed(study.seedObjectives[1], 4))). Step s = \(study.stepSize) for the
                uncorrected chains and Algorithm 1.\(stops(study))

                | | tangent | gradient |
                | --- | --- | --- |
                | distance of f(x* + s d) to the front, s = 0.05 | \(lineAt(.tangent, 0.05)) | \(lineAt(.gradient, 0.05)) |
                | distance of f(x* + s d) to the front, s = 0.1 | \(lineAt(.tangent, 0.1)) | \(lineAt(.gradient, 0.1)) |
                | distance of f(x* + s d) to the front, s = 0.2 | \(lineAt(.tangent, 0.2)) | \(lineAt(.gradient, 0.2)) |
                | predictor alone: distance after \(tDrift.count - 1) / \(gDrift.count - 1) steps | \(short(tDrift.last!.distance)) | \(short(gDrift.last!.distance)) |
                | predictor alone: largest distance on the way | \(short(tDrift.map(\.distance).max()!)) | \(short(gDrift.map(\.distance).max()!)) |
                | Algorithm 1: accepted points (seed included) | \(t.steps.count + 1) | \(g.steps.count + 1) |
                | Algorithm 1: candidates tried / rejected | \(t.candidates) / \(t.rejected) | \(g.candidates) / \(g.rejected) |
                | Algorithm 1: largest predictor distance to the front | \(maxDistance(t.steps, \.predictorDistance)) | \(maxDistance(g.steps, \.predictorDistance)) |
                | Algorithm 1: largest accepted-point distance to the front | \(maxDistance(t.steps, \.acceptedDistance)) | \(maxDistance(g.steps, \.acceptedDistance)) |
                | Algorithm 1: corrector (MGDA) steps in all | \(t.steps.map(\.correctorIterations).reduce(0, +)) | \(g.steps.map(\.correctorIterations).reduce(0, +)) |
                | Algorithm 1: gradient evaluations / HVPs | \(t.counts.gradients) / \(t.counts.hvps) | \(g.counts.gradients) / \(g.counts.hvps) |
                | Algorithm 1: hypervolume of the accepted points w.r.t. (1, 1) | \(fixed(t.hypervolume)) | \(fixed(g.hypervolume)) |

                \(reading(study))

                """
        }
        text += """

            The rows are in [\(name).csv](\(name).csv) (`view` = `line`, `uncorrected`, `predictor`,
            `accepted`).

            """
        return text
    }
}
