import Foundation

/// Figures of ParetoKit's analyses, built from plain arrays (objective vectors as `[Double]`,
/// first two objectives plotted), so that scripts and the report share one look.
public enum ParetoFigures {
    /// One sample of a continuous Pareto set: its parameter (`t` or `λ`), objectives and
    /// whether another sample or point dominates it.
    public struct CurveSample: Sendable, Hashable {
        /// The position on the continuous set (`t ∈ [−1, 1]`, or a preference `λ`).
        public var parameter: Double
        /// Objective vector (at least two entries).
        public var objectives: [Double]
        /// Whether the sample is dominated (drawn grey).
        public var dominated: Bool

        /// A sample at `parameter`.
        public init(parameter: Double, objectives: [Double], dominated: Bool = false) {
            self.parameter = parameter
            self.objectives = objectives
            self.dominated = dominated
        }
    }

    /// What the front figure shows; every part but `points` is optional.
    public struct FrontInput: Sendable, Hashable {
        /// Panel title.
        public var title: String
        /// Names of the two plotted objectives.
        public var objectiveNames: [String]
        /// The seed's objectives, or `nil`.
        public var seed: [Double]?
        /// Objectives of the accepted points.
        public var points: [[Double]]
        /// The continuous set, in parameter order.
        public var curve: [CurveSample]
        /// Name of the curve parameter (colour bar title): `t` or `λ₁`.
        public var curveParameter: String
        /// The analytic front, sorted by `f₁`, or `nil` when unknown.
        public var analyticFront: [[Double]]?
        /// The hypervolume reference point; the dominated region is shaded when given.
        public var reference: [Double]?

        /// A front figure input.
        public init(title: String, objectiveNames: [String] = ["f\u{2081}", "f\u{2082}"], seed: [Double]? = nil,
                    points: [[Double]], curve: [CurveSample] = [], curveParameter: String = "t",
                    analyticFront: [[Double]]? = nil, reference: [Double]? = nil) {
            self.title = title
            self.objectiveNames = objectiveNames
            self.seed = seed
            self.points = points
            self.curve = curve
            self.curveParameter = curveParameter
            self.analyticFront = analyticFront
            self.reference = reference
        }
    }

    /// The front in objective space: the shaded region dominated w.r.t. the reference, the
    /// analytic front (dashed), the continuous curve coloured by its parameter with dominated
    /// pieces grey, the accepted points and the seed.
    /// - Throws: ``PlotError/invalidInput(_:)`` for vectors with fewer than two objectives, and
    ///   the errors of ``Figure/svg(embedded:)`` when rendered.
    public static func front(_ input: FrontInput, identifier: String = "front") throws -> Figure {
        let points = try planar(input.points, what: "point")
        let curvePoints = try planar(input.curve.map(\.objectives), what: "curve sample")
        var layers: [Layer] = []
        var colorScale: ColorScale?
        if let reference = input.reference {
            let r = try planar([reference], what: "reference")[0]
            let all = points.map { [$0.x, $0.y] } + zip(input.curve, curvePoints).filter { !$0.0.dominated }.map { [$0.1.x, $0.1.y] }
            if let region = staircase(all, reference: [r.x, r.y]) {
                layers.append(.area(AreaSeries(points: region, fill: Color.categorical(1), opacity: 0.22,
                                               label: "dominated w.r.t. r = (\(short(r.x)), \(short(r.y)))")))
            }
            layers.append(.scatter(ScatterSeries(points: [r], marker: .cross, size: 5, paint: .solid(.darkGrey), label: "reference r")))
        }
        if let analytic = input.analyticFront, !analytic.isEmpty {
            layers.append(.line(LineSeries(points: try planar(analytic, what: "analytic front point"), paint: .solid(.black),
                                           width: 1.2, dash: [5, 4], label: "analytic front")))
        }
        if !input.curve.isEmpty {
            let parameters = input.curve.map(\.parameter)
            let low = parameters.min() ?? 0, high = parameters.max() ?? 1
            colorScale = ColorScale(title: input.curveParameter, range: high > low ? low...high : (low - 0.5)...(low + 0.5))
            var labelledFree = false, labelledDominated = false
            for run in runs(input.curve.map(\.dominated)) {
                let slice = Array(curvePoints[run.range]), values = Array(parameters[run.range])
                if run.dominated {
                    layers.append(.line(LineSeries(points: slice, paint: .solid(Color(hex: 0xBBBBBB)), width: 4,
                                                   label: labelledDominated ? nil : "dominated pieces")))
                    labelledDominated = true
                } else {
                    layers.append(.line(LineSeries(points: slice, paint: .mapped(values), width: 3,
                                                   label: labelledFree ? nil : "continuous set, by \(input.curveParameter)")))
                    labelledFree = true
                }
            }
        }
        if !points.isEmpty {
            layers.append(.scatter(ScatterSeries(points: points, size: 3.5, paint: .solid(.white), outline: .black,
                                                 label: "accepted points (\(points.count))")))
        }
        if let seed = input.seed {
            layers.append(.scatter(ScatterSeries(points: try planar([seed], what: "seed"), marker: .diamond, size: 5.5,
                                                 paint: .solid(Color.categorical(5)), outline: .black, label: "seed")))
        }
        guard !layers.isEmpty else { throw PlotError.invalidInput("the front figure has nothing to draw: no points, curve or analytic front") }
        let names = input.objectiveNames + ["f\u{2081}", "f\u{2082}"].dropFirst(min(input.objectiveNames.count, 2))
        let panel = Panel(title: input.title, x: Axis(names[0]), y: Axis(names[1]), layers: layers, legend: .right, colorScale: colorScale)
        return Figure(panels: [panel], panelWidth: 860, panelHeight: 480, identifier: identifier)
    }

    /// The boundary of the region that `points` dominate inside the box below `reference`
    /// (minimisation, 2-D): a staircase polygon whose area is the hypervolume; `nil` when no
    /// point lies strictly below the reference in both objectives.
    public static func staircase(_ points: [[Double]], reference: [Double]) -> [PlotPoint]? {
        guard reference.count >= 2 else { return nil }
        let (rx, ry) = (reference[0], reference[1])
        let inside = points.filter { $0.count >= 2 && $0[0].isFinite && $0[1].isFinite && $0[0] < rx && $0[1] < ry }
            .sorted { $0[0] != $1[0] ? $0[0] < $1[0] : $0[1] < $1[1] }
        var front: [[Double]] = []
        for p in inside where front.last.map({ p[1] < $0[1] }) ?? true { front.append(p) }
        guard let first = front.first, let last = front.last else { return nil }
        var polygon = [PlotPoint(first[0], ry)]
        for (i, p) in front.enumerated() {
            polygon.append(PlotPoint(p[0], p[1]))
            if i + 1 < front.count { polygon.append(PlotPoint(front[i + 1][0], p[1])) }
        }
        polygon += [PlotPoint(rx, last[1]), PlotPoint(rx, ry)]
        return polygon
    }

    /// One family of a stitched front (a seed's expansion), drawn in its own colour.
    public struct Family: Sendable, Hashable {
        /// The family's name in the legend.
        public var name: String
        /// Objectives of its points.
        public var points: [[Double]]
        /// Its continuous curve (objective vectors in order), or empty.
        public var curve: [[Double]]

        /// A family named `name`.
        public init(name: String, points: [[Double]], curve: [[Double]] = []) {
            self.name = name
            self.points = points
            self.curve = curve
        }
    }

    /// A stitched front: each family's curve and points in a categorical colour, optionally
    /// the region the union dominates w.r.t. `reference` and the analytic front.
    /// - Throws: ``PlotError/invalidInput(_:)`` when there are no families or vectors have
    ///   fewer than two objectives.
    public static func stitchedFront(_ families: [Family], title: String = "Stitched front", reference: [Double]? = nil,
                                     analyticFront: [[Double]]? = nil, objectiveNames: [String] = ["f\u{2081}", "f\u{2082}"],
                                     identifier: String = "stitched") throws -> Figure {
        guard !families.isEmpty else { throw PlotError.invalidInput("a stitched front needs at least one family") }
        var layers: [Layer] = []
        if let reference, let region = staircase(families.flatMap { $0.points + $0.curve }, reference: reference) {
            layers.append(.area(AreaSeries(points: region, fill: Color(hex: 0x999999), opacity: 0.18, label: "dominated by the union")))
        }
        if let analyticFront, !analyticFront.isEmpty {
            layers.append(.line(LineSeries(points: try planar(analyticFront, what: "analytic front point"), paint: .solid(.black), width: 1.2, dash: [5, 4], label: "analytic front")))
        }
        let shapes: [MarkerShape] = [.circle, .square, .triangle, .diamond]
        for (i, family) in families.enumerated() {
            let color = Color.categorical(i)
            if family.curve.count >= 2 {
                // A family with no points on the front is named by its line.
                layers.append(.line(LineSeries(points: try planar(family.curve, what: "\(family.name) curve sample"), paint: .solid(color), width: 2.5,
                                               label: family.points.isEmpty ? "\(family.name) (no points on the front)" : nil)))
            }
            if !family.points.isEmpty {
                layers.append(.scatter(ScatterSeries(points: try planar(family.points, what: "\(family.name) point"), marker: shapes[i % shapes.count],
                                                     size: 4, paint: .solid(color), outline: .black, label: family.name)))
            }
        }
        let panel = Panel(title: title, x: Axis(objectiveNames.first ?? "f\u{2081}"), y: Axis(objectiveNames.dropFirst().first ?? "f\u{2082}"),
                          layers: layers, legend: .right)
        return Figure(panels: [panel], panelWidth: 720, panelHeight: 460, identifier: identifier)
    }

    /// The first two coordinates of each vector as points.
    static func planar(_ vectors: [[Double]], what: String) throws -> [PlotPoint] {
        try vectors.enumerated().map { i, v in
            guard v.count >= 2 else { throw PlotError.invalidInput("\(what) \(i) has \(v.count) coordinate(s); the figure needs 2") }
            return PlotPoint(v[0], v[1])
        }
    }

    /// Maximal runs of equal flags as index ranges to draw: a dominated run also takes the
    /// sample on each side, so the joins to the free curve are drawn grey and nothing is left out.
    static func runs(_ flags: [Bool]) -> [(range: Range<Int>, dominated: Bool)] {
        guard !flags.isEmpty else { return [] }
        var result: [(range: Range<Int>, dominated: Bool)] = []
        var start = 0
        for i in 1...flags.count where i == flags.count || flags[i] != flags[start] {
            let range = flags[start] ? max(start - 1, 0)..<min(i + 1, flags.count) : start..<i
            result.append((range, flags[start]))
            start = i
        }
        return result
    }

    /// A compact number for labels (`%g`).
    static func short(_ value: Double) -> String { String(format: "%g", value) }
}
