import Foundation

/// A point in data coordinates.
public struct PlotPoint: Sendable, Hashable {
    /// Horizontal data coordinate.
    public var x: Double
    /// Vertical data coordinate.
    public var y: Double

    /// A point at `(x, y)`.
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// How a series is coloured: one colour, or a value per point mapped through the panel's
/// ``Panel/colorScale``.
public enum Paint: Sendable, Hashable {
    /// One colour for the whole series.
    case solid(Color)
    /// One value per point, coloured by the panel's colour scale.
    case mapped([Double])
}

/// The shape of scatter markers.
public enum MarkerShape: String, Sendable, Hashable, CaseIterable {
    /// A filled circle (`<circle>`).
    case circle
    /// A filled square.
    case square
    /// A filled upward triangle.
    case triangle
    /// A filled diamond.
    case diamond
    /// A diagonal cross (stroked).
    case cross
}

/// Scatter markers at points.
public struct ScatterSeries: Sendable, Hashable {
    /// Marker centres.
    public var points: [PlotPoint]
    /// The marker shape.
    public var marker: MarkerShape
    /// Marker radius in px.
    public var size: Double
    /// Fill colour(s).
    public var paint: Paint
    /// Outline colour, or `nil` for none.
    public var outline: Color?
    /// Legend label, or `nil` to leave the series out of the legend.
    public var label: String?

    /// Markers at `points`.
    public init(points: [PlotPoint], marker: MarkerShape = .circle, size: Double = 4,
                paint: Paint = .solid(Color.categorical(0)), outline: Color? = nil, label: String? = nil) {
        self.points = points
        self.marker = marker
        self.size = size
        self.paint = paint
        self.outline = outline
        self.label = label
    }
}

/// A polyline through points in order (coloured per segment when ``paint`` is mapped: each
/// segment takes the mean of its end values).
public struct LineSeries: Sendable, Hashable {
    /// Vertices in drawing order.
    public var points: [PlotPoint]
    /// Stroke colour(s).
    public var paint: Paint
    /// Stroke width in px.
    public var width: Double
    /// Dash pattern in px (`nil`: solid).
    public var dash: [Double]?
    /// Legend label, or `nil`.
    public var label: String?

    /// A line through `points`.
    public init(points: [PlotPoint], paint: Paint = .solid(Color.categorical(4)), width: Double = 2,
                dash: [Double]? = nil, label: String? = nil) {
        self.points = points
        self.paint = paint
        self.width = width
        self.dash = dash
        self.label = label
    }
}

/// A filled polygon (closed implicitly), e.g. the region a front dominates.
public struct AreaSeries: Sendable, Hashable {
    /// Vertices of the polygon.
    public var points: [PlotPoint]
    /// Fill colour.
    public var fill: Color
    /// Fill opacity in `[0, 1]`.
    public var opacity: Double
    /// Outline colour, or `nil`.
    public var outline: Color?
    /// Legend label, or `nil`.
    public var label: String?

    /// A polygon with vertices `points`.
    public init(points: [PlotPoint], fill: Color = Color.categorical(1), opacity: Double = 0.25,
                outline: Color? = nil, label: String? = nil) {
        self.points = points
        self.fill = fill
        self.opacity = opacity
        self.outline = outline
        self.label = label
    }
}

/// A line segment in data coordinates.
public struct Segment: Sendable, Hashable {
    /// Start.
    public var from: PlotPoint
    /// End (where the arrow head is).
    public var to: PlotPoint

    /// A segment from `from` to `to`.
    public init(from: PlotPoint, to: PlotPoint) {
        self.from = from
        self.to = to
    }
}

/// Segments, with arrow heads at their ends if wanted (directions from points).
public struct ArrowSeries: Sendable, Hashable {
    /// The segments.
    public var segments: [Segment]
    /// Stroke colour.
    public var color: Color
    /// Stroke width in px.
    public var width: Double
    /// Whether to draw a head at each segment's end.
    public var heads: Bool
    /// Legend label, or `nil`.
    public var label: String?

    /// Arrows along `segments`.
    public init(segments: [Segment], color: Color = Color.categorical(5), width: Double = 1.5,
                heads: Bool = true, label: String? = nil) {
        self.segments = segments
        self.color = color
        self.width = width
        self.heads = heads
        self.label = label
    }
}

/// One drawable layer of a panel; layers are drawn in order (later on top).
public enum Layer: Sendable, Hashable {
    /// Scatter markers.
    case scatter(ScatterSeries)
    /// A polyline.
    case line(LineSeries)
    /// A filled polygon.
    case area(AreaSeries)
    /// Arrows or plain segments.
    case arrows(ArrowSeries)
}

/// Linear or base-10 logarithmic mapping of an axis.
public enum AxisScale: String, Sendable, Hashable {
    /// Linear.
    case linear
    /// Base-10 logarithmic (all values must be positive).
    case log
}

/// One axis of a panel.
public struct Axis: Sendable, Hashable {
    /// The axis title.
    public var title: String
    /// Linear or logarithmic.
    public var scale: AxisScale
    /// Explicit limits, or `nil` for the data's extent padded by ``padding``.
    public var range: ClosedRange<Double>?
    /// Fraction of the data extent added on each side when ``range`` is `nil` (in log space on
    /// log axes).
    public var padding: Double
    /// Whether ticks are whole numbers only (counts, iterations, ids) on a linear axis.
    public var integer: Bool

    /// An axis titled `title`.
    public init(_ title: String, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil, padding: Double = 0.04,
                integer: Bool = false) {
        self.title = title
        self.scale = scale
        self.range = range
        self.padding = padding
        self.integer = integer
    }
}

/// Where a panel's legend goes: a corner inside the plot area, outside to the right, or none.
public enum LegendPlacement: String, Sendable, Hashable {
    /// No legend.
    case none
    /// Inside, top right.
    case topRight
    /// Inside, top left.
    case topLeft
    /// Inside, bottom right.
    case bottomRight
    /// Inside, bottom left.
    case bottomLeft
    /// Outside the plot area, to its right.
    case right
}

/// One set of axes with its layers, legend and optional colour bar.
public struct Panel: Sendable, Hashable {
    /// Title above the plot area, or `nil`.
    public var title: String?
    /// Horizontal axis.
    public var x: Axis
    /// Vertical axis.
    public var y: Axis
    /// Layers, drawn in order.
    public var layers: [Layer]
    /// Legend placement (only layers with labels appear).
    public var legend: LegendPlacement
    /// The scale of ``Paint/mapped(_:)`` series, drawn as a colour bar right of the plot area.
    public var colorScale: ColorScale?

    /// A panel with axes `x` and `y`.
    public init(title: String? = nil, x: Axis, y: Axis, layers: [Layer] = [], legend: LegendPlacement = .topRight,
                colorScale: ColorScale? = nil) {
        self.title = title
        self.x = x
        self.y = y
        self.layers = layers
        self.legend = legend
        self.colorScale = colorScale
    }
}

/// A figure: panels on a grid, row by row, each ``panelWidth`` × ``panelHeight`` px.
public struct Figure: Sendable, Hashable {
    /// Title above all panels, or `nil`.
    public var title: String?
    /// The panels, filled into the grid row by row.
    public var panels: [Panel]
    /// Panels per row.
    public var columns: Int
    /// Width of one grid cell in px.
    public var panelWidth: Double
    /// Height of one grid cell in px.
    public var panelHeight: Double
    /// Prefix of the ids inside the SVG (clip paths), so several figures can share one HTML page.
    public var identifier: String

    /// A figure of `panels` on a grid with `columns` columns.
    public init(title: String? = nil, panels: [Panel], columns: Int = 1, panelWidth: Double = 520,
                panelHeight: Double = 380, identifier: String = "figure") {
        self.title = title
        self.panels = panels
        self.columns = columns
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
        self.identifier = identifier
    }

    /// Number of grid rows.
    public var rows: Int { columns > 0 ? (panels.count + columns - 1) / columns : 0 }
    /// Total width in px.
    public var width: Double { Double(min(columns, max(panels.count, 1))) * panelWidth }
    /// Total height in px (including the title band).
    public var height: Double { Double(rows) * panelHeight + (title == nil ? 0 : SVGRenderer.figureTitleHeight) }

    /// The figure as a standalone SVG document (with the SVG namespace), or, with
    /// `embedded`, as an `<svg>` element for inline use in HTML (no namespace attribute: HTML
    /// parsers supply it). Same figure, same bytes.
    /// - Throws: ``PlotError`` for empty series, non-finite values, non-positive values on a
    ///   log axis, invalid ranges or sizes.
    public func svg(embedded: Bool = false) throws -> String {
        try SVGRenderer(figure: self).render(embedded: embedded)
    }

    /// Writes ``svg(embedded:)`` (standalone) to `url`, atomically.
    public func write(to url: URL) throws {
        try Data(try svg().utf8).write(to: url, options: .atomic)
    }
}
