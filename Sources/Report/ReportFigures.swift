import Foundation
import MultiObjective
import Plotting

/// A figure of a report with its file name and caption.
public struct ReportFigure: Sendable {
    /// File stem (`front`, `hypervolume`, …): the SVG is written as `<name>.svg`.
    public var name: String
    /// One sentence saying what the figure shows.
    public var caption: String
    /// The figure.
    public var figure: Figure
}

extension ReportPage {
    /// The figures of a report: the front (test losses for networks, plus the training-loss
    /// front), hypervolume of the points accepted so far against Hessian-vector products,
    /// MINRES residuals (or iterations per point), and test accuracy along `t` for networks.
    /// - Throws: ``Plotting/PlotError`` when the data cannot be drawn.
    public static func figures(for input: ReportInput) throws -> [ReportFigure] {
        var figures: [ReportFigure] = []
        let points = input.points
        guard !points.isEmpty else { return [] }
        let network = input.isNetwork
        let seed = points.first { $0.id == 0 }
        let names = network ? ["test loss, task 1", "test loss, task 2"] : ["f\u{2081}", "f\u{2082}"]
        let m = points.map(\.frontObjectives.count).min() ?? 0
        let preferenceFamily = input.curve.contains { $0.t == nil && $0.preference != nil }
        if !input.families.isEmpty, m == 2 {
            // The stitched front: one colour per family.
            let families = input.families.map { family in
                ParetoFigures.Family(name: family.hypervolume.map { "\(family.name) (HV \(String(format: "%.4f", $0)))" } ?? family.name,
                                     points: family.objectives, curve: family.curve)
            }
            figures.append(ReportFigure(
                name: "front",
                caption: "The stitched front: each family's own curve (line) and the points of the stitched front it contributes (markers), in the family's colour (legend: the family's own hypervolume)"
                    + (input.analyticFront == nil ? "" : ", the analytic front dashed") + ".",
                figure: try ParetoFigures.stitchedFront(
                    families, title: network ? "Stitched front in test-loss space" : "Stitched front (\(input.problem))",
                    reference: nil, analyticFront: input.analyticFront, objectiveNames: names, identifier: "front")))
        } else if m >= 2 {
            let front = ParetoFigures.FrontInput(
                title: network ? "Front in test-loss space" : "Front in objective space (\(input.problem))",
                objectiveNames: names, seed: seed?.frontObjectives, points: points.map(\.frontObjectives),
                curve: input.curve.compactMap { sample in
                    guard sample.objectives.count >= 2, let parameter = sample.parameter else { return nil }
                    return .init(parameter: parameter, objectives: sample.objectives, dominated: sample.dominated)
                },
                curveParameter: preferenceFamily ? "\u{03BB}\u{2081}" : "t",
                analyticFront: input.analyticFront, reference: input.reference?.count == 2 ? input.reference : nil)
            figures.append(ReportFigure(
                name: "front",
                caption: "Accepted points (white), the seed (diamond), the continuous set coloured by \(preferenceFamily ? "λ₁" : "t") with dominated pieces grey"
                    + (input.analyticFront == nil ? "" : ", the analytic front dashed")
                    + (input.reference == nil ? "" : ", and the region the front dominates w.r.t. the reference shaded") + ".",
                figure: try ParetoFigures.front(front, identifier: "front")))
        }
        // A stitched run's points carry the families' curve objectives (test losses) only.
        guard input.families.isEmpty else { return figures }
        if network, points.allSatisfy({ $0.objectives.count >= 2 }) {
            let train = ParetoFigures.FrontInput(title: "Front in training-loss space (the objectives Algorithm 1 works on)",
                                                 objectiveNames: ["training loss, task 1", "training loss, task 2"],
                                                 seed: seed?.objectives, points: points.map(\.objectives))
            figures.append(ReportFigure(name: "train-front", caption: "The accepted points in the space of the training losses.",
                                        figure: try ParetoFigures.front(train, identifier: "train-front")))
        }
        if let reference = input.reference, m == reference.count, points.count >= 2 {
            var hvps = 0.0, x: [Double] = [], y: [Double] = []
            for k in points.indices {
                hvps += Double(points[k].minresIterations ?? 0)
                x.append(hvps)
                y.append(try Hypervolume.compute(points[0...k].map(\.frontObjectives), reference: reference))
            }
            let exact = input.hypervolumes.analytic
            let series = ParetoFigures.HypervolumeSeries(label: "accepted points so far", evaluations: x, hypervolume: y)
            figures.append(ReportFigure(
                name: "hypervolume",
                caption: "Hypervolume of the points accepted so far against Hessian-vector products (cumulative MINRES iterations)"
                    + (exact == nil ? "." : "; dashed: the analytic front's."),
                figure: try ParetoFigures.hypervolumeHistory([series], exact: exact, evaluationsTitle: "Hessian-vector products (cumulative)",
                                                             title: "Hypervolume w.r.t. r = (\(reference.map { String(format: "%g", $0) }.joined(separator: ", ")))")))
        }
        if !input.residualHistories.isEmpty, let residuals = try? ParetoFigures.residualHistories(input.residualHistories) {
            figures.append(ReportFigure(name: "residuals", caption: "MINRES residual norm relative to the first, per tangent solve (log scale).", figure: residuals))
        } else if points.contains(where: { $0.minresIterations != nil }) {
            figures.append(ReportFigure(name: "iterations", caption: "MINRES and ParetoOptimize iterations spent on each accepted point.",
                                        figure: try iterationsFigure(points)))
        }
        if network, let accuracy = try accuracyFigure(input) {
            figures.append(ReportFigure(name: "accuracy", caption: "Test accuracy per task along the continuous set (lines) and at the accepted points (markers).", figure: accuracy))
        }
        return figures
    }

    static func iterationsFigure(_ points: [ReportPoint]) throws -> Figure {
        var layers: [Layer] = []
        let minres = points.compactMap { p in p.minresIterations.map { PlotPoint(Double(p.id), Double($0)) } }
        let optimize = points.compactMap { p in p.optimizeIterations.map { PlotPoint(Double(p.id), Double($0)) } }
        if !minres.isEmpty { layers.append(.scatter(ScatterSeries(points: minres, marker: .circle, size: 4, paint: .solid(Color.categorical(4)), label: "MINRES iterations"))) }
        if !optimize.isEmpty { layers.append(.scatter(ScatterSeries(points: optimize, marker: .square, size: 3.5, paint: .solid(Color.categorical(0)), label: "ParetoOptimize iterations"))) }
        let panel = Panel(title: "Iterations per accepted point", x: Axis("point id", integer: true), y: Axis("iterations", integer: true), layers: layers, legend: .right)
        return Figure(panels: [panel], panelWidth: 720, panelHeight: 340, identifier: "iterations")
    }

    static func accuracyFigure(_ input: ReportInput) throws -> Figure? {
        let samples = input.curve.filter { $0.testAccuracy != nil && $0.t != nil }
        let tasks = (samples.compactMap { $0.testAccuracy?.count } + input.points.compactMap { $0.testAccuracy?.count }).min() ?? 0
        guard tasks > 0 else { return nil }
        var layers: [Layer] = []
        for task in 0..<tasks {
            let color = Color.categorical(task)
            let line = samples.compactMap { s in s.t.map { PlotPoint($0, s.testAccuracy![task]) } }
            if line.count >= 2 { layers.append(.line(LineSeries(points: line, paint: .solid(color), width: 2, label: "task \(task + 1), x(t)"))) }
            let marks = input.points.compactMap { p -> PlotPoint? in
                guard let t = p.t, let a = p.testAccuracy, a.count > task else { return nil }
                return PlotPoint(t, a[task])
            }
            if !marks.isEmpty { layers.append(.scatter(ScatterSeries(points: marks, size: 3.5, paint: .solid(color), outline: .black, label: "task \(task + 1), points"))) }
        }
        guard !layers.isEmpty else { return nil }
        let panel = Panel(title: "Test accuracy along t", x: Axis("t"), y: Axis("test accuracy"), layers: layers, legend: .right)
        return Figure(panels: [panel], panelWidth: 720, panelHeight: 360, identifier: "accuracy")
    }
}
