import Foundation
import Plotting
import XCTest

final class FigureTests: XCTestCase {
    private func unitPanel(_ layers: [Layer], x: AxisScale = .linear, y: AxisScale = .linear,
                           xRange: ClosedRange<Double> = 0...1, yRange: ClosedRange<Double> = 0...1) -> Panel {
        Panel(title: "panel", x: Axis("x", scale: x, range: xRange), y: Axis("y", scale: y, range: yRange), layers: layers)
    }

    func testDataToPixelMappingOfKnownPoints() throws {
        let points = [PlotPoint(0, 0), PlotPoint(0.25, 0.75), PlotPoint(1, 1)]
        let figure = Figure(panels: [unitPanel([.scatter(ScatterSeries(points: points, label: "pts"))])])
        let elements = parseSVG(try figure.svg())
        let area = try XCTUnwrap(elements.withClass("plot-area").first)
        let (x0, y0, w, h) = (area.number("x"), area.number("y"), area.number("width"), area.number("height"))
        let circles = elements.named("circle").filter { $0.attributes["class"] == "marker" }
        // The three data markers come first (the legend's swatch follows).
        XCTAssertGreaterThanOrEqual(circles.count, 3)
        for (p, c) in zip(points, circles) {
            // Linear map: px = x₀ + x·w, py = y₀ + (1 − y)·h (SVG's y grows downwards).
            XCTAssertEqual(c.number("cx"), x0 + p.x * w, accuracy: 0.01)
            XCTAssertEqual(c.number("cy"), y0 + (1 - p.y) * h, accuracy: 0.01)
        }
    }

    func testLogAxisMapping() throws {
        // x on log [1e-3, 10]: 0.1 is 2 of 4 decades in → the middle; y on log [1, 100]: 10 → middle.
        let figure = Figure(panels: [unitPanel([.scatter(ScatterSeries(points: [PlotPoint(0.1, 10)]))],
                                               x: .log, y: .log, xRange: 1e-3...10, yRange: 1...100)])
        let elements = parseSVG(try figure.svg())
        let area = try XCTUnwrap(elements.withClass("plot-area").first)
        let c = try XCTUnwrap(elements.named("circle").first)
        XCTAssertEqual(c.number("cx"), area.number("x") + 0.5 * area.number("width"), accuracy: 0.01)
        XCTAssertEqual(c.number("cy"), area.number("y") + 0.5 * area.number("height"), accuracy: 0.01)
        // Decade labels 10⁻³ … 10¹ on x.
        let xLabels = elements.filter { $0.name == "text" && $0.attributes["class"] == "tick-label" }.map(\.text)
        XCTAssertTrue(xLabels.contains("10\u{2212}3"), "\(xLabels)")
        XCTAssertTrue(xLabels.contains("101"), "\(xLabels)")
    }

    func testTickLabelsSitAtTheirValues() throws {
        let figure = Figure(panels: [unitPanel([.line(LineSeries(points: [PlotPoint(0, 0), PlotPoint(1, 1)]))])])
        let elements = parseSVG(try figure.svg())
        let area = try XCTUnwrap(elements.withClass("plot-area").first)
        let xTicks = elements.filter { $0.name == "text" && $0.attributes["class"] == "tick-label" && $0.attributes["text-anchor"] == "middle" }
        XCTAssertEqual(xTicks.map(\.text), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        for (k, label) in xTicks.enumerated() {
            XCTAssertEqual(label.number("x"), area.number("x") + Double(k) * 0.2 * area.number("width"), accuracy: 0.01)
        }
        let titles = elements.filter { $0.attributes["class"] == "axis-title" }.map(\.text)
        XCTAssertEqual(titles, ["x", "y"])
    }

    func testEveryLayerKindLegendAndColorBarRenderAsValidXML() throws {
        let pts = (0...10).map { PlotPoint(Double($0) / 10, 1 - pow(Double($0) / 10, 2)) }
        let values = (0...10).map { Double($0) / 5 - 1 }
        var layers: [Layer] = [
            .area(AreaSeries(points: [PlotPoint(0, 1), PlotPoint(1, 0), PlotPoint(1, 1)], label: "region <HV> & \"more\"")),
            .line(LineSeries(points: pts, paint: .mapped(values), width: 3, label: "curve by t")),
            .line(LineSeries(points: pts, paint: .solid(.grey), dash: [4, 3], label: "dashed")),
            .arrows(ArrowSeries(segments: [Segment(from: pts[2], to: pts[4])], label: "arrow")),
        ]
        for shape in MarkerShape.allCases {
            layers.append(.scatter(ScatterSeries(points: [pts[5]], marker: shape, paint: .mapped([0]), label: shape.rawValue)))
        }
        var panel = unitPanel(layers)
        panel.colorScale = ColorScale(title: "t", range: -1...1)
        panel.legend = .right
        let svg = try Figure(title: "All kinds", panels: [panel, unitPanel([.scatter(ScatterSeries(points: pts))])], columns: 2).svg()
        let elements = parseSVG(svg)
        XCTAssertEqual(elements.first?.name, "svg")
        XCTAssertEqual(elements.first?.attributes["viewBox"], "0 0 1040 410")
        XCTAssertEqual(elements.first?.attributes["width"], "1040")
        let legendLabels = elements.filter { $0.name == "text" }.map(\.text)
        for label in ["region <HV> & \"more\"", "curve by t", "dashed", "arrow"] + MarkerShape.allCases.map(\.rawValue) {
            XCTAssertTrue(legendLabels.contains(label), "legend lacks \(label)")
        }
        XCTAssertEqual(elements.withClass("legend-entry").count, 4 + MarkerShape.allCases.count)
        XCTAssertEqual(elements.withClass("colorbar").count, 1)
        // A colour-by-value line is drawn as 10 segments whose colours run from one end of viridis to the other.
        XCTAssertEqual(elements.filter { $0.name == "line" && $0.attributes["stroke"]?.hasPrefix("#") == true }.count > 10, true)
        XCTAssertFalse(svg.contains("NaN"))
        XCTAssertFalse(svg.lowercased().contains("inf"))
        XCTAssertEqual(elements.named("clipPath").map { $0.attributes["id"] ?? "" }, ["figure-clip-1", "figure-clip-2"])
    }

    func testViridisEndsAndMiddle() {
        // matplotlib's table: entry 0 is (0.267004, 0.004874, 0.329415) = #440154, entry 255 is
        // (0.993248, 0.906157, 0.143936) = #fde725, entry 128 is (0.127568, 0.566949, 0.550556) = #21918c.
        XCTAssertEqual(Colormap.viridis.color(at: 0).hexString, "#440154")
        XCTAssertEqual(Colormap.viridis.color(at: 1).hexString, "#fde725")
        XCTAssertEqual(Colormap.viridis.color(at: 128.0 / 255).hexString, "#21918c")
    }

    func testSameInputSameBytes() throws {
        let panel = unitPanel([.scatter(ScatterSeries(points: [PlotPoint(0.3, 0.3)], label: "a"))])
        XCTAssertEqual(try Figure(panels: [panel]).svg(), try Figure(panels: [panel]).svg())
    }

    func testEmbeddedSVGHasNoNamespaceURL() throws {
        let figure = Figure(panels: [unitPanel([.scatter(ScatterSeries(points: [PlotPoint(0.3, 0.3)]))])])
        XCTAssertTrue(try figure.svg().contains("xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertFalse(try figure.svg(embedded: true).contains("http"))
    }

    func testBadInputThrowsDescriptiveErrors() {
        func error(_ panel: Panel) -> PlotError? {
            do { _ = try Figure(panels: [panel]).svg(); return nil } catch { return error as? PlotError }
        }
        let auto = Axis("x"), logAxis = Axis("y", scale: .log)
        XCTAssertEqual(error(Panel(x: auto, y: auto, layers: [.scatter(ScatterSeries(points: [], label: "empty"))])),
                       .emptySeries(panel: 0, series: "empty"))
        XCTAssertEqual(error(Panel(x: auto, y: auto, layers: [.line(LineSeries(points: [PlotPoint(0, .nan)], label: "bad"))])),
                       .nonFinite(panel: 0, series: "bad", index: 0, coordinate: "y"))
        let nonPositive = error(Panel(x: auto, y: logAxis, layers: [.scatter(ScatterSeries(points: [PlotPoint(1, 2), PlotPoint(2, 0)], label: "loss"))]))
        XCTAssertEqual(nonPositive, .nonPositiveOnLogAxis(panel: 0, series: "loss", index: 1, axis: "y", value: 0))
        XCTAssertTrue(nonPositive?.description.contains("logarithmic") == true)
        XCTAssertEqual(error(Panel(x: auto, y: auto)), .noData(panel: 0))
        XCTAssertEqual(error(Panel(x: Axis("x", range: 1...1), y: auto, layers: [.scatter(ScatterSeries(points: [PlotPoint(1, 1)]))])),
                       .invalidRange(panel: 0, axis: "x", lower: 1, upper: 1))
        XCTAssertEqual(error(Panel(x: auto, y: auto, layers: [.scatter(ScatterSeries(points: [PlotPoint(1, 1)], paint: .mapped([1]), label: "c"))])),
                       .missingColorScale(panel: 0, series: "c"))
        XCTAssertEqual(error(Panel(x: auto, y: auto, layers: [.scatter(ScatterSeries(points: [PlotPoint(1, 1)], paint: .mapped([1, 2]), label: "c"))], colorScale: ColorScale(title: "t", range: 0...1))),
                       .colorValuesMismatch(panel: 0, series: "c", points: 1, values: 2))
        XCTAssertThrowsError(try Figure(panels: []).svg()) { XCTAssertEqual($0 as? PlotError, .noPanels) }
    }

    func testControlCharactersAndMarkupInLabelsStayValid() throws {
        let panel = Panel(title: "a\u{1}b </svg> & 'q'", x: Axis("f₁ <x>"), y: Axis("\"y\""),
                          layers: [.scatter(ScatterSeries(points: [PlotPoint(1, 2)], label: "x\ny"))])
        let elements = parseSVG(try Figure(panels: [panel]).svg())
        XCTAssertTrue(elements.contains { $0.text == "ab </svg> & 'q'" })
        XCTAssertTrue(elements.contains { $0.text == "f₁ <x>" })
    }
}
