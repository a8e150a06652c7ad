import Foundation

/// A legend row: the label and what its swatch looks like.
struct LegendEntry {
    enum Swatch { case marker(MarkerShape, Color, Color?), line(Color, Double, [Double]?), area(Color, Double), arrow(Color) }
    let label: String
    let swatch: Swatch
}

extension SVGRenderer {
    static func points(of layer: Layer) -> [PlotPoint] {
        switch layer {
        case .scatter(let s): return s.points
        case .line(let l): return l.points
        case .area(let a): return a.points
        case .arrows(let a): return a.segments.flatMap { [$0.from, $0.to] }
        }
    }

    static func mappedValues(of layer: Layer) -> [Double]? {
        switch layer {
        case .scatter(let s): if case .mapped(let v) = s.paint { return v }
        case .line(let l): if case .mapped(let v) = l.paint { return v }
        default: break
        }
        return nil
    }

    static func label(of layer: Layer) -> String? {
        switch layer {
        case .scatter(let s): return s.label
        case .line(let l): return l.label
        case .area(let a): return a.label
        case .arrows(let a): return a.label
        }
    }

    static func seriesName(_ layer: Layer, index: Int) -> String {
        label(of: layer) ?? "layer \(index + 1)"
    }

    /// The colour a mapped series shows in the legend: the middle of its map.
    static func legendColor(_ paint: Paint) -> Color {
        switch paint {
        case .solid(let c): return c
        case .mapped: return Colormap.viridis.color(at: 0.5)
        }
    }

    static func legendEntries(_ panel: Panel) -> [LegendEntry] {
        panel.layers.compactMap { layer in
            guard let label = label(of: layer), !label.isEmpty else { return nil }
            switch layer {
            case .scatter(let s): return LegendEntry(label: label, swatch: .marker(s.marker, legendColor(s.paint), s.outline))
            case .line(let l): return LegendEntry(label: label, swatch: .line(legendColor(l.paint), l.width, l.dash))
            case .area(let a): return LegendEntry(label: label, swatch: .area(a.fill, a.opacity))
            case .arrows(let a): return LegendEntry(label: label, swatch: .arrow(a.color))
            }
        }
    }

    /// Estimated text width: 0.6 em per character.
    static func textWidth(_ string: String, size: Double = 11) -> Double { Double(string.count) * size * 0.6 }

    static func legendBoxWidth(_ entries: [LegendEntry]) -> Double {
        (entries.map { textWidth($0.label) }.max() ?? 0) + 44
    }
}

/// Renders layers, legends and colour bars.
enum LayerRenderer {
    static func render(_ layer: Layer, geometry g: PanelGeometry, colorScale: ColorScale?) -> SVGElement {
        switch layer {
        case .scatter(let s):
            var group = SVGElement("g", [("class", "scatter")])
            for (i, p) in s.points.enumerated() {
                let (x, y) = g.pixel(p)
                let fill: Color
                switch s.paint {
                case .solid(let c): fill = c
                case .mapped(let v): fill = colorScale?.color(for: v[i]) ?? .black
                }
                group.children.append(marker(s.marker, x: x, y: y, radius: s.size, fill: fill, outline: s.outline))
            }
            return group
        case .line(let l):
            return line(l, geometry: g, colorScale: colorScale)
        case .area(let a):
            var attributes: [(String, String)] = [
                ("class", "area"), ("points", PixelFormat.points(a.points.map(g.pixel))),
                ("fill", a.fill.hexString), ("fill-opacity", PixelFormat.string(a.opacity)),
            ]
            if let outline = a.outline { attributes += [("stroke", outline.hexString), ("stroke-width", "1")] } else { attributes.append(("stroke", "none")) }
            return SVGElement("polygon", attributes)
        case .arrows(let a):
            var group = SVGElement("g", [("class", "arrows"), ("stroke", a.color.hexString), ("fill", a.color.hexString), ("stroke-width", PixelFormat.string(a.width))])
            for segment in a.segments {
                let (x1, y1) = g.pixel(segment.from), (x2, y2) = g.pixel(segment.to)
                group.children.append(SVGElement("line", [("x1", PixelFormat.string(x1)), ("y1", PixelFormat.string(y1)), ("x2", PixelFormat.string(x2)), ("y2", PixelFormat.string(y2))]))
                let length = ((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1)).squareRoot()
                guard a.heads, length > 1e-9 else { continue }
                let ux = (x2 - x1) / length, uy = (y2 - y1) / length
                let headLength = min(9, length * 0.6), half = headLength * 0.4
                let bx = x2 - ux * headLength, by = y2 - uy * headLength
                let head = [(x2, y2), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
                group.children.append(SVGElement("polygon", [("class", "arrow-head"), ("points", PixelFormat.points(head)), ("stroke", "none")]))
            }
            return group
        }
    }

    static func line(_ l: LineSeries, geometry g: PanelGeometry, colorScale: ColorScale?) -> SVGElement {
        var style: [(String, String)] = [("fill", "none"), ("stroke-width", PixelFormat.string(l.width)), ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
        if let dash = l.dash { style.append(("stroke-dasharray", dash.map(PixelFormat.string).joined(separator: " "))) }
        let pixels = l.points.map(g.pixel)
        switch l.paint {
        case .solid(let color):
            return SVGElement("polyline", [("class", "line"), ("points", PixelFormat.points(pixels)), ("stroke", color.hexString)] + style)
        case .mapped(let values):
            var group = SVGElement("g", [("class", "line mapped")] + style)
            guard pixels.count > 1 else { return group }
            for i in 0..<(pixels.count - 1) {
                let color = colorScale?.color(for: (values[i] + values[i + 1]) / 2) ?? .black
                group.children.append(SVGElement("line", [
                    ("x1", PixelFormat.string(pixels[i].0)), ("y1", PixelFormat.string(pixels[i].1)),
                    ("x2", PixelFormat.string(pixels[i + 1].0)), ("y2", PixelFormat.string(pixels[i + 1].1)),
                    ("stroke", color.hexString),
                ]))
            }
            return group
        }
    }

    static func marker(_ shape: MarkerShape, x: Double, y: Double, radius r: Double, fill: Color, outline: Color?) -> SVGElement {
        var paint: [(String, String)] = [("fill", fill.hexString)]
        if let outline { paint += [("stroke", outline.hexString), ("stroke-width", "1")] }
        let f = PixelFormat.string
        switch shape {
        case .circle:
            return SVGElement("circle", [("class", "marker"), ("cx", f(x)), ("cy", f(y)), ("r", f(r))] + paint)
        case .square:
            return SVGElement("rect", [("class", "marker"), ("x", f(x - r)), ("y", f(y - r)), ("width", f(2 * r)), ("height", f(2 * r))] + paint)
        case .triangle:
            let points = [(x, y - 1.25 * r), (x + 1.1 * r, y + 0.7 * r), (x - 1.1 * r, y + 0.7 * r)]
            return SVGElement("polygon", [("class", "marker"), ("points", PixelFormat.points(points))] + paint)
        case .diamond:
            let points = [(x, y - 1.3 * r), (x + 1.3 * r, y), (x, y + 1.3 * r), (x - 1.3 * r, y)]
            return SVGElement("polygon", [("class", "marker"), ("points", PixelFormat.points(points))] + paint)
        case .cross:
            let d = "M\(f(x - r)) \(f(y - r))L\(f(x + r)) \(f(y + r))M\(f(x - r)) \(f(y + r))L\(f(x + r)) \(f(y - r))"
            return SVGElement("path", [("class", "marker"), ("d", d), ("fill", "none"), ("stroke", fill.hexString), ("stroke-width", "2")])
        }
    }

    static func legend(_ entries: [LegendEntry], placement: LegendPlacement, geometry g: PanelGeometry, outsideLeft: Double) -> SVGElement {
        let rowHeight = 18.0
        let width = SVGRenderer.legendBoxWidth(entries), height = Double(entries.count) * rowHeight + 8
        let left: Double, top: Double
        switch placement {
        case .topLeft: (left, top) = (g.left + 8, g.top + 8)
        case .bottomLeft: (left, top) = (g.left + 8, g.bottom - height - 8)
        case .bottomRight: (left, top) = (g.right - width - 8, g.bottom - height - 8)
        case .right: (left, top) = (outsideLeft, g.top)
        case .topRight, .none: (left, top) = (g.right - width - 8, g.top + 8)
        }
        let f = PixelFormat.string
        var group = SVGElement("g", [("class", "legend")])
        group.children.append(SVGElement("rect", [("x", f(left)), ("y", f(top)), ("width", f(width)), ("height", f(height)), ("fill", "#ffffff"), ("fill-opacity", "0.88"), ("stroke", "#bbbbbb")]))
        for (i, entry) in entries.enumerated() {
            let cy = top + 4 + rowHeight * (Double(i) + 0.5), sx = left + 8
            var row = SVGElement("g", [("class", "legend-entry")])
            switch entry.swatch {
            case .marker(let shape, let color, let outline):
                row.children.append(marker(shape, x: sx + 11, y: cy, radius: 4, fill: color, outline: outline))
            case .line(let color, let width, let dash):
                var attributes: [(String, String)] = [("x1", f(sx)), ("y1", f(cy)), ("x2", f(sx + 22)), ("y2", f(cy)), ("stroke", color.hexString), ("stroke-width", f(min(width, 4)))]
                if let dash { attributes.append(("stroke-dasharray", dash.map(f).joined(separator: " "))) }
                row.children.append(SVGElement("line", attributes))
            case .area(let color, let opacity):
                row.children.append(SVGElement("rect", [("x", f(sx)), ("y", f(cy - 6)), ("width", "22"), ("height", "12"), ("fill", color.hexString), ("fill-opacity", f(max(opacity, 0.3)))]))
            case .arrow(let color):
                row.children.append(SVGElement("line", [("x1", f(sx)), ("y1", f(cy)), ("x2", f(sx + 16)), ("y2", f(cy)), ("stroke", color.hexString), ("stroke-width", "1.5")]))
                row.children.append(SVGElement("polygon", [("points", PixelFormat.points([(sx + 22, cy), (sx + 15, cy - 3.5), (sx + 15, cy + 3.5)])), ("fill", color.hexString)]))
            }
            row.children.append(SVGElement("text", [("x", f(sx + 30)), ("y", f(cy + 4)), ("font-size", "11"), ("fill", Color.darkGrey.hexString)], text: entry.label))
            group.children.append(row)
        }
        return group
    }

    /// A vertical colour bar of 64 bands with 1-2-5 ticks and the scale's title.
    static func colorBar(_ scale: ColorScale, left: Double, top: Double, height: Double) -> SVGElement {
        let f = PixelFormat.string, width = 12.0, bands = 64
        var group = SVGElement("g", [("class", "colorbar")])
        let low = scale.range.lowerBound, high = scale.range.upperBound
        for band in 0..<bands {
            let u0 = Double(band) / Double(bands), u1 = Double(band + 1) / Double(bands)
            let y = top + height * (1 - u1)
            let color = scale.colormap.color(at: (u0 + u1) / 2)
            group.children.append(SVGElement("rect", [("x", f(left)), ("y", f(y)), ("width", f(width)), ("height", f(height / Double(bands) + 0.5)), ("fill", color.hexString)]))
        }
        group.children.append(SVGElement("rect", [("x", f(left)), ("y", f(top)), ("width", f(width)), ("height", f(height)), ("fill", "none"), ("stroke", Color.darkGrey.hexString)]))
        if high > low {
            for tick in Ticks.linear(in: scale.range) {
                let y = top + height * (1 - (tick.value - low) / (high - low))
                group.children.append(SVGElement("line", [("x1", f(left + width)), ("y1", f(y)), ("x2", f(left + width + 4)), ("y2", f(y)), ("stroke", Color.darkGrey.hexString)]))
                group.children.append(SVGElement("text", [("class", "tick-label"), ("x", f(left + width + 6)), ("y", f(y + 4)), ("font-size", "11"), ("fill", Color.darkGrey.hexString), ("data-value", "\(tick.value)")], text: tick.label))
            }
        }
        let tx = left + width + 52, ty = top + height / 2
        var title: [(String, String)] = [("class", "axis-title"), ("font-size", "13"), ("fill", Color.darkGrey.hexString)]
        if scale.title.count <= 3 {
            // A short title (t, λ₁) reads better upright, right of the tick labels.
            title += [("x", f(left + width + 42)), ("y", f(ty + 4)), ("text-anchor", "start")]
        } else {
            title += [("x", f(tx)), ("y", f(ty)), ("text-anchor", "middle"), ("transform", "rotate(-90 \(f(tx)) \(f(ty)))")]
        }
        group.children.append(SVGElement("text", title, text: scale.title))
        return group
    }
}
