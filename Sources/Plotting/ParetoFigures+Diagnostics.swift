import Foundation

extension ParetoFigures {
    /// One hypervolume curve: hypervolume after each number of evaluations.
    public struct HypervolumeSeries: Sendable, Hashable {
        /// Legend label (e.g. the method).
        public var label: String
        /// Evaluation counts (x).
        public var evaluations: [Double]
        /// Hypervolume at each count (y).
        public var hypervolume: [Double]

        /// A series named `label`.
        public init(label: String, evaluations: [Double], hypervolume: [Double]) {
            self.label = label
            self.evaluations = evaluations
            self.hypervolume = hypervolume
        }
    }

    /// Hypervolume against evaluations, one line with markers per series, and the exact
    /// hypervolume (when known) as a dashed horizontal line.
    /// - Throws: ``PlotError/invalidInput(_:)`` when series are missing or their arrays differ in length.
    public static func hypervolumeHistory(_ series: [HypervolumeSeries], exact: Double? = nil,
                                          evaluationsTitle: String = "evaluations", title: String = "Hypervolume",
                                          identifier: String = "hypervolume") throws -> Figure {
        guard !series.isEmpty else { throw PlotError.invalidInput("hypervolume history needs at least one series") }
        var layers: [Layer] = []
        for (i, s) in series.enumerated() {
            guard s.evaluations.count == s.hypervolume.count, !s.evaluations.isEmpty else {
                throw PlotError.invalidInput("series '\(s.label)' has \(s.evaluations.count) evaluation counts and \(s.hypervolume.count) hypervolumes")
            }
            let points = zip(s.evaluations, s.hypervolume).map { PlotPoint($0, $1) }
            layers.append(.line(LineSeries(points: points, paint: .solid(Color.categorical(i)), width: 2, label: s.label)))
            layers.append(.scatter(ScatterSeries(points: points, size: 3, paint: .solid(Color.categorical(i)))))
        }
        if let exact {
            let xs = series.flatMap(\.evaluations)
            let low = xs.min() ?? 0, high = xs.max() ?? 1
            layers.append(.line(LineSeries(points: [PlotPoint(low, exact), PlotPoint(high, exact)], paint: .solid(.black),
                                           width: 1.2, dash: [5, 4], label: "exact front (\(short(exact)))")))
        }
        let panel = Panel(title: title, x: Axis(evaluationsTitle, integer: true), y: Axis("hypervolume"), layers: layers, legend: .bottomRight)
        return Figure(panels: [panel], panelWidth: 560, panelHeight: 380, identifier: identifier)
    }

    /// MINRES residual norms per iteration, one line per solve on a log axis, coloured by the
    /// solve's index (colour bar). Non-positive residuals (exact convergence) cannot sit on a
    /// log axis and are left out; `relative` divides each history by its first entry.
    /// - Throws: ``PlotError/invalidInput(_:)`` when no positive residual remains.
    public static func residualHistories(_ histories: [[Double]], relative: Bool = true, title: String = "MINRES residuals per solve",
                                         identifier: String = "residuals") throws -> Figure {
        var layers: [Layer] = []
        for (solve, history) in histories.enumerated() {
            let scale = relative ? (history.first.flatMap { $0 > 0 ? $0 : nil } ?? 1) : 1
            let points = history.enumerated().compactMap { k, r in r > 0 && r.isFinite ? PlotPoint(Double(k), r / scale) : nil }
            guard !points.isEmpty else { continue }
            let value = Double(solve + 1)
            layers.append(.line(LineSeries(points: points, paint: .mapped(Array(repeating: value, count: points.count)), width: 1.5)))
        }
        guard !layers.isEmpty else { throw PlotError.invalidInput("no solve has a positive residual to draw on a log axis") }
        let scale = ColorScale(title: "solve", range: 1...Double(max(histories.count, 2)))
        let panel = Panel(title: title, x: Axis("MINRES iteration", integer: true), y: Axis(relative ? "‖r‖ / ‖r₀‖" : "‖r‖", scale: .log),
                          layers: layers, legend: .none, colorScale: scale)
        return Figure(panels: [panel], panelWidth: 560, panelHeight: 380, identifier: identifier)
    }

    /// Preference → loss (PaLoRA): each task's loss against the preference `λ₁`, and the losses
    /// in objective space coloured by `λ₁`.
    /// - Throws: ``PlotError/invalidInput(_:)`` when counts disagree.
    public static func preferenceLoss(preferences: [Double], losses: [[Double]], taskNames: [String] = ["task 1", "task 2"],
                                      preferenceName: String = "λ\u{2081}", title: String = "Preference → loss",
                                      identifier: String = "preference") throws -> Figure {
        guard !preferences.isEmpty, preferences.count == losses.count else {
            throw PlotError.invalidInput("\(preferences.count) preferences but \(losses.count) loss vectors")
        }
        let tasks = losses.map(\.count).min() ?? 0
        guard tasks >= 2, taskNames.count >= tasks else {
            throw PlotError.invalidInput("preference → loss needs ≥ 2 losses per preference and a name for each task (\(tasks) losses, \(taskNames.count) names)")
        }
        var lossLayers: [Layer] = []
        for task in 0..<tasks {
            let points = zip(preferences, losses).map { PlotPoint($0, $1[task]) }.sorted { $0.x < $1.x }
            lossLayers.append(.line(LineSeries(points: points, paint: .solid(Color.categorical(task)), width: 2, label: taskNames[task])))
            lossLayers.append(.scatter(ScatterSeries(points: points, size: 3, paint: .solid(Color.categorical(task)))))
        }
        let order = preferences.indices.sorted { preferences[$0] < preferences[$1] }
        let front = order.map { PlotPoint(losses[$0][0], losses[$0][1]) }
        let low = preferences.min() ?? 0, high = preferences.max() ?? 1
        let frontPanel = Panel(
            title: "Losses by preference", x: Axis(taskNames[0]), y: Axis(taskNames[1]),
            layers: [.line(LineSeries(points: front, paint: .solid(.grey), width: 1)),
                     .scatter(ScatterSeries(points: front, size: 4.5, paint: .mapped(order.map { preferences[$0] }), outline: .black))],
            legend: .none, colorScale: ColorScale(title: preferenceName, range: high > low ? low...high : (low - 0.5)...(low + 0.5)))
        return Figure(title: title, panels: [Panel(title: "Loss against \(preferenceName)", x: Axis(preferenceName), y: Axis("loss"), layers: lossLayers, legend: .right), frontPanel],
                      columns: 2, panelWidth: 520, panelHeight: 380, identifier: identifier)
    }

    /// A set of arrows from points along directions (e.g. tangents, or negative gradients).
    public struct ArrowSet: Sendable, Hashable {
        /// Legend label.
        public var label: String
        /// Start points (2-D).
        public var origins: [[Double]]
        /// Directions, one per origin.
        public var directions: [[Double]]
        /// When given, every direction is rescaled to this length in data units.
        public var length: Double?

        /// Arrows named `label`.
        public init(label: String, origins: [[Double]], directions: [[Double]], length: Double? = nil) {
            self.label = label
            self.origins = origins
            self.directions = directions
            self.length = length
        }
    }

    /// One panel of the tangent-vs-gradient picture: a background curve (the Pareto set or
    /// front), points, and arrow sets.
    public struct DirectionPanel: Sendable, Hashable {
        /// Panel title.
        public var title: String
        /// Axis titles.
        public var xTitle: String, yTitle: String
        /// The background curve, or empty.
        public var background: [[Double]]
        /// Its legend label.
        public var backgroundLabel: String
        /// Points the arrows start from.
        public var points: [[Double]]
        /// Arrow sets, each in its own colour.
        public var arrows: [ArrowSet]

        /// A panel titled `title`.
        public init(title: String, xTitle: String, yTitle: String, background: [[Double]] = [], backgroundLabel: String = "Pareto front",
                    points: [[Double]] = [], arrows: [ArrowSet]) {
            self.title = title
            self.xTitle = xTitle
            self.yTitle = yTitle
            self.background = background
            self.backgroundLabel = backgroundLabel
            self.points = points
            self.arrows = arrows
        }
    }

    /// The tangent-vs-gradient picture of Ma et al. (2020), Figures 2–3: from points on the set,
    /// arrows along tangent directions and along (negative) gradients, side by side.
    /// - Throws: ``PlotError/invalidInput(_:)`` when origins and directions differ in number.
    public static func tangentVersusGradient(_ panels: [DirectionPanel], title: String = "Tangent directions vs gradients",
                                             identifier: String = "directions") throws -> Figure {
        guard !panels.isEmpty else { throw PlotError.invalidInput("the direction figure needs at least one panel") }
        let built: [Panel] = try panels.map { spec in
            var layers: [Layer] = []
            if spec.background.count >= 2 {
                layers.append(.line(LineSeries(points: try planar(spec.background, what: "background point"), paint: .solid(.darkGrey), width: 1.5, label: spec.backgroundLabel)))
            }
            for (i, set) in spec.arrows.enumerated() {
                guard set.origins.count == set.directions.count else {
                    throw PlotError.invalidInput("arrow set '\(set.label)' has \(set.origins.count) origins and \(set.directions.count) directions")
                }
                let origins = try planar(set.origins, what: "\(set.label) origin"), directions = try planar(set.directions, what: "\(set.label) direction")
                let segments = zip(origins, directions).map { o, d -> Segment in
                    let norm = (d.x * d.x + d.y * d.y).squareRoot()
                    let factor = set.length.map { norm > 0 ? $0 / norm : 0 } ?? 1
                    return Segment(from: o, to: PlotPoint(o.x + factor * d.x, o.y + factor * d.y))
                }
                layers.append(.arrows(ArrowSeries(segments: segments, color: Color.categorical([5, 4, 2, 6][i % 4]), width: 1.8, label: set.label)))
            }
            if !spec.points.isEmpty {
                layers.append(.scatter(ScatterSeries(points: try planar(spec.points, what: "point"), size: 3.5, paint: .solid(.black), label: "points")))
            }
            return Panel(title: spec.title, x: Axis(spec.xTitle), y: Axis(spec.yTitle), layers: layers, legend: .topRight)
        }
        return Figure(title: title, panels: built, columns: min(built.count, 2), panelWidth: 520, panelHeight: 420, identifier: identifier)
    }
}
