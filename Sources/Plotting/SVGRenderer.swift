import Foundation

/// Maps data values of one axis to pixels (linear or log10).
struct AxisMapping {
    let scale: AxisScale
    let range: ClosedRange<Double>
    let pixelStart: Double
    let pixelEnd: Double
    var integer = false

    private func transformed(_ v: Double) -> Double { scale == .log ? log10(v) : v }

    func pixel(_ value: Double) -> Double {
        let low = transformed(range.lowerBound), high = transformed(range.upperBound)
        return pixelStart + (transformed(value) - low) / (high - low) * (pixelEnd - pixelStart)
    }

    var ticks: [Tick] {
        scale == .log ? Ticks.logarithmic(in: range) : Ticks.linear(in: range, integer: integer)
    }
}

/// The plot-area rectangle of a panel and its two axis mappings.
struct PanelGeometry {
    let left: Double, top: Double, width: Double, height: Double
    let x: AxisMapping, y: AxisMapping
    var right: Double { left + width }
    var bottom: Double { top + height }

    func pixel(_ p: PlotPoint) -> (Double, Double) { (x.pixel(p.x), y.pixel(p.y)) }
}

/// Lays out and renders a ``Figure`` as SVG.
struct SVGRenderer {
    static let figureTitleHeight = 30.0
    static let fontSize = 12.0
    static let leftMargin = 66.0, bottomMargin = 46.0, rightMargin = 18.0
    static let colorBarWidth = 78.0

    let figure: Figure

    func render(embedded: Bool) throws -> String {
        guard !figure.panels.isEmpty else { throw PlotError.noPanels }
        guard figure.columns > 0 else { throw PlotError.invalidSize("columns must be positive, got \(figure.columns)") }
        for (name, value) in [("panel width", figure.panelWidth), ("panel height", figure.panelHeight)] {
            guard value.isFinite, value >= 120 else { throw PlotError.invalidSize("\(name) must be at least 120 px, got \(value)") }
        }
        let width = figure.width, height = figure.height
        var attributes: [(String, String)] = []
        if !embedded { attributes.append(("xmlns", "http://www.w3.org/2000/svg")) }
        attributes += [
            ("width", PixelFormat.string(width)), ("height", PixelFormat.string(height)),
            ("viewBox", "0 0 \(PixelFormat.string(width)) \(PixelFormat.string(height))"),
            ("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif"), ("font-size", PixelFormat.string(Self.fontSize)),
            ("role", "img"),
        ]
        var root = SVGElement("svg", attributes)
        root.children.append(SVGElement("title", text: figure.title ?? "figure"))
        root.children.append(SVGElement("rect", [("width", PixelFormat.string(width)), ("height", PixelFormat.string(height)), ("fill", "#ffffff")]))
        var top = 0.0
        if let title = figure.title {
            root.children.append(text(title, x: width / 2, y: 20, anchor: "middle", size: 15, weight: "bold", className: "figure-title"))
            top = Self.figureTitleHeight
        }
        for (index, panel) in figure.panels.enumerated() {
            let column = index % figure.columns, row = index / figure.columns
            let cellLeft = Double(column) * figure.panelWidth
            let cellTop = top + Double(row) * figure.panelHeight
            root.children.append(try renderPanel(panel, index: index, cellLeft: cellLeft, cellTop: cellTop))
        }
        var output = ""
        root.render(into: &output)
        return output + "\n"
    }

    /// The panel's ranges from its explicit limits or its data, validating every value.
    func ranges(of panel: Panel, index: Int) throws -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        var xs: [Double] = [], ys: [Double] = []
        for (layerIndex, layer) in panel.layers.enumerated() {
            let name = Self.seriesName(layer, index: layerIndex)
            let points = Self.points(of: layer)
            guard !points.isEmpty else { throw PlotError.emptySeries(panel: index, series: name) }
            for (i, p) in points.enumerated() {
                guard p.x.isFinite else { throw PlotError.nonFinite(panel: index, series: name, index: i, coordinate: "x") }
                guard p.y.isFinite else { throw PlotError.nonFinite(panel: index, series: name, index: i, coordinate: "y") }
                if panel.x.scale == .log && p.x <= 0 {
                    throw PlotError.nonPositiveOnLogAxis(panel: index, series: name, index: i, axis: "x", value: p.x)
                }
                if panel.y.scale == .log && p.y <= 0 {
                    throw PlotError.nonPositiveOnLogAxis(panel: index, series: name, index: i, axis: "y", value: p.y)
                }
            }
            if let values = Self.mappedValues(of: layer) {
                guard values.count == points.count else {
                    throw PlotError.colorValuesMismatch(panel: index, series: name, points: points.count, values: values.count)
                }
                guard panel.colorScale != nil else { throw PlotError.missingColorScale(panel: index, series: name) }
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw PlotError.nonFinite(panel: index, series: name, index: bad, coordinate: "colour value")
                }
            }
            xs += points.map(\.x)
            ys += points.map(\.y)
        }
        if let scale = panel.colorScale {
            let r = scale.range
            guard r.lowerBound.isFinite, r.upperBound.isFinite else {
                throw PlotError.invalidRange(panel: index, axis: "colour", lower: r.lowerBound, upper: r.upperBound)
            }
        }
        return (try Self.range(panel.x, values: xs, panel: index, name: "x"),
                try Self.range(panel.y, values: ys, panel: index, name: "y"))
    }

    static func range(_ axis: Axis, values: [Double], panel: Int, name: String) throws -> ClosedRange<Double> {
        if let range = axis.range {
            let (low, high) = (range.lowerBound, range.upperBound)
            guard low.isFinite, high.isFinite, low < high, axis.scale == .linear || low > 0 else {
                throw PlotError.invalidRange(panel: panel, axis: name, lower: low, upper: high)
            }
            return range
        }
        guard let minimum = values.min(), let maximum = values.max() else { throw PlotError.noData(panel: panel) }
        let padding = max(axis.padding, 0)
        if axis.scale == .log {
            var low = log10(minimum), high = log10(maximum)
            if high - low < 1e-12 { low -= 0.5; high += 0.5 } else {
                let pad = (high - low) * padding
                low -= pad; high += pad
            }
            return pow(10, low)...pow(10, high)
        }
        var low = minimum, high = maximum
        if high - low <= 1e-12 * max(abs(low), abs(high), 1) {
            let pad = max(abs(low) * 0.1, 0.5)
            low -= pad; high += pad
        } else {
            let pad = (high - low) * padding
            low -= pad; high += pad
        }
        return low...high
    }

    func renderPanel(_ panel: Panel, index: Int, cellLeft: Double, cellTop: Double) throws -> SVGElement {
        let (xRange, yRange) = try ranges(of: panel, index: index)
        let legendEntries = Self.legendEntries(panel)
        var right = Self.rightMargin
        if panel.colorScale != nil { right += Self.colorBarWidth }
        var legendWidth = 0.0
        if panel.legend == .right && !legendEntries.isEmpty {
            legendWidth = Self.legendBoxWidth(legendEntries)
            right += legendWidth + 10
        }
        let topMargin = panel.title == nil ? 14.0 : 32.0
        let plotWidth = figure.panelWidth - Self.leftMargin - right
        let plotHeight = figure.panelHeight - topMargin - Self.bottomMargin
        guard plotWidth >= 40, plotHeight >= 40 else {
            throw PlotError.invalidSize("panel \(index + 1) leaves a plot area of \(Int(plotWidth))×\(Int(plotHeight)) px; enlarge the figure")
        }
        let left = cellLeft + Self.leftMargin, top = cellTop + topMargin
        let geometry = PanelGeometry(
            left: left, top: top, width: plotWidth, height: plotHeight,
            x: AxisMapping(scale: panel.x.scale, range: xRange, pixelStart: left, pixelEnd: left + plotWidth, integer: panel.x.integer),
            y: AxisMapping(scale: panel.y.scale, range: yRange, pixelStart: top + plotHeight, pixelEnd: top, integer: panel.y.integer))
        let clipID = Self.sanitizedIdentifier(figure.identifier) + "-clip-\(index + 1)"

        var group = SVGElement("g", [("class", "panel")])
        let areaAttributes: [(String, String)] = [
            ("x", PixelFormat.string(left)), ("y", PixelFormat.string(top)),
            ("width", PixelFormat.string(plotWidth)), ("height", PixelFormat.string(plotHeight)),
        ]
        group.children.append(SVGElement("defs", children: [SVGElement("clipPath", [("id", clipID)], children: [SVGElement("rect", areaAttributes)])]))
        group.children.append(SVGElement("rect", [("class", "plot-area")] + areaAttributes + [("fill", "#ffffff")]))
        group.children.append(grid(geometry))
        var layers = SVGElement("g", [("class", "layers"), ("clip-path", "url(#\(clipID))")])
        for layer in panel.layers {
            layers.children.append(LayerRenderer.render(layer, geometry: geometry, colorScale: panel.colorScale))
        }
        group.children.append(layers)
        group.children.append(SVGElement("rect", [("class", "frame")] + areaAttributes + [("fill", "none"), ("stroke", Color.darkGrey.hexString), ("stroke-width", "1")]))
        group.children.append(xAxis(panel.x, geometry))
        group.children.append(yAxis(panel.y, geometry))
        if let title = panel.title {
            group.children.append(text(title, x: left + plotWidth / 2, y: cellTop + 21, anchor: "middle", size: 13, weight: "bold", className: "panel-title"))
        }
        if let scale = panel.colorScale {
            group.children.append(LayerRenderer.colorBar(scale, left: geometry.right + 14, top: top, height: plotHeight))
        }
        if !legendEntries.isEmpty, panel.legend != .none {
            let x = panel.legend == .right ? geometry.right + (panel.colorScale == nil ? 10 : Self.colorBarWidth + 4) : 0
            group.children.append(LayerRenderer.legend(legendEntries, placement: panel.legend, geometry: geometry, outsideLeft: x))
        }
        return group
    }

    func grid(_ g: PanelGeometry) -> SVGElement {
        var grid = SVGElement("g", [("class", "grid"), ("stroke", Color.lightGrey.hexString), ("stroke-width", "1")])
        for tick in g.x.ticks {
            let px = PixelFormat.string(g.x.pixel(tick.value))
            grid.children.append(SVGElement("line", [("x1", px), ("y1", PixelFormat.string(g.top)), ("x2", px), ("y2", PixelFormat.string(g.bottom))]))
        }
        for tick in g.y.ticks {
            let py = PixelFormat.string(g.y.pixel(tick.value))
            grid.children.append(SVGElement("line", [("x1", PixelFormat.string(g.left)), ("y1", py), ("x2", PixelFormat.string(g.right)), ("y2", py)]))
        }
        return grid
    }

    func xAxis(_ axis: Axis, _ g: PanelGeometry) -> SVGElement {
        var group = SVGElement("g", [("class", "x-axis")])
        for tick in g.x.ticks {
            let px = g.x.pixel(tick.value)
            group.children.append(SVGElement("line", [("x1", PixelFormat.string(px)), ("y1", PixelFormat.string(g.bottom)), ("x2", PixelFormat.string(px)), ("y2", PixelFormat.string(g.bottom + 5)), ("stroke", Color.darkGrey.hexString)]))
            group.children.append(tickLabel(tick, x: px, y: g.bottom + 18, anchor: "middle"))
        }
        group.children.append(text(axis.title, x: g.left + g.width / 2, y: g.bottom + 38, anchor: "middle", size: 13, className: "axis-title"))
        return group
    }

    func yAxis(_ axis: Axis, _ g: PanelGeometry) -> SVGElement {
        var group = SVGElement("g", [("class", "y-axis")])
        for tick in g.y.ticks {
            let py = g.y.pixel(tick.value)
            group.children.append(SVGElement("line", [("x1", PixelFormat.string(g.left - 5)), ("y1", PixelFormat.string(py)), ("x2", PixelFormat.string(g.left)), ("y2", PixelFormat.string(py)), ("stroke", Color.darkGrey.hexString)]))
            group.children.append(tickLabel(tick, x: g.left - 8, y: py + 4, anchor: "end"))
        }
        let x = g.left - Self.leftMargin + 16, y = g.top + g.height / 2
        var title = text(axis.title, x: x, y: y, anchor: "middle", size: 13, className: "axis-title")
        title.attributes.append(("transform", "rotate(-90 \(PixelFormat.string(x)) \(PixelFormat.string(y)))"))
        group.children.append(title)
        return group
    }

    func tickLabel(_ tick: Tick, x: Double, y: Double, anchor: String) -> SVGElement {
        var element = text(tick.label, x: x, y: y, anchor: anchor, className: "tick-label")
        element.attributes.append(("data-value", "\(tick.value)"))
        if let exponent = tick.exponent {
            let label = exponent < 0 ? "\u{2212}\(-exponent)" : "\(exponent)"
            element.children = [SVGElement("tspan", [("dy", "-5"), ("font-size", "9")], text: label)]
        }
        return element
    }

    func text(_ string: String, x: Double, y: Double, anchor: String, size: Double? = nil, weight: String? = nil, className: String) -> SVGElement {
        var attributes: [(String, String)] = [("class", className), ("x", PixelFormat.string(x)), ("y", PixelFormat.string(y)), ("text-anchor", anchor), ("fill", Color.darkGrey.hexString)]
        if let size { attributes.append(("font-size", PixelFormat.string(size))) }
        if let weight { attributes.append(("font-weight", weight)) }
        return SVGElement("text", attributes, text: string)
    }

    static func sanitizedIdentifier(_ identifier: String) -> String {
        let allowed = identifier.unicodeScalars.map { ($0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_")) ? Character($0) : "-" }
        let cleaned = String(allowed)
        return cleaned.first?.isLetter == true ? cleaned : "f" + cleaned
    }
}
