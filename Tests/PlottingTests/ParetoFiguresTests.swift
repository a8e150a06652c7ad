import Foundation
import Plotting
import XCTest

final class ParetoFiguresTests: XCTestCase {
    /// Shoelace area of a polygon.
    private func area(_ polygon: [PlotPoint]) -> Double {
        var sum = 0.0
        for i in polygon.indices {
            let a = polygon[i], b = polygon[(i + 1) % polygon.count]
            sum += a.x * b.y - b.x * a.y
        }
        return abs(sum) / 2
    }

    /// Writes the figure for inspection when PARETOKIT_FIGURE_DIR is set; returns the parsed elements.
    private func renderAndParse(_ figure: Figure, name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [ParsedElement] {
        let svg = try figure.svg()
        if let directory = ProcessInfo.processInfo.environment["PARETOKIT_FIGURE_DIR"] {
            try Data(svg.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).svg"))
        }
        XCTAssertFalse(svg.contains("NaN"), file: file, line: line)
        return parseSVG(svg, file: file, line: line)
    }

    func testStaircaseAreaIsTheHypervolume() throws {
        // Points (0.2,0.8), (0.5,0.5), (0.8,0.2) w.r.t. (1,1): strips 0.3·0.2 + 0.3·0.5 + 0.2·0.8 = 0.37.
        // The dominated (0.6, 0.6) and the outside (1.2, 0.1) add nothing.
        let polygon = try XCTUnwrap(ParetoFigures.staircase([[0.5, 0.5], [0.2, 0.8], [0.6, 0.6], [0.8, 0.2], [1.2, 0.1]], reference: [1, 1]))
        XCTAssertEqual(area(polygon), 0.37, accuracy: 1e-12)
        XCTAssertNil(ParetoFigures.staircase([[1, 0.5]], reference: [1, 1]))
    }

    private func zdt2Input(reference: [Double]? = [1, 1]) -> ParetoFigures.FrontInput {
        // ZDT2's front f₂ = 1 − f₁²; the last 10 samples pushed above it and marked dominated.
        let curve = (0...100).map { k -> ParetoFigures.CurveSample in
            let f1 = Double(k) / 100
            return ParetoFigures.CurveSample(parameter: 2 * f1 - 1, objectives: [f1, 1 - f1 * f1 + (k > 90 ? 0.05 : 0)], dominated: k > 90)
        }
        return ParetoFigures.FrontInput(
            title: "ZDT2", seed: [0.5, 0.75], points: stride(from: 0.0, through: 1.0, by: 0.1).map { [$0, 1 - $0 * $0] },
            curve: curve, analyticFront: (0...50).map { [Double($0) / 50, 1 - pow(Double($0) / 50, 2)] }, reference: reference)
    }

    func testFrontFigureShowsEveryPart() throws {
        let elements = try renderAndParse(try ParetoFigures.front(zdt2Input()), name: "front")
        let labels = Set(elements.filter { $0.name == "text" }.map(\.text))
        for label in ["seed", "accepted points (11)", "analytic front", "continuous set, by t", "dominated pieces", "reference r", "dominated w.r.t. r = (1, 1)"] {
            XCTAssertTrue(labels.contains(label), "missing legend entry \(label)")
        }
        XCTAssertEqual(elements.named("polygon").filter { $0.attributes["class"] == "area" }.count, 1)
        XCTAssertEqual(elements.withClass("colorbar").count, 1)
        // The dominated run (samples 91…100) is one grey polyline that starts at the last free sample 90.
        let grey = elements.filter { $0.name == "polyline" && $0.attributes["stroke"] == "#bbbbbb" }
        XCTAssertEqual(grey.count, 1)
        XCTAssertEqual(grey.first?.attributes["points"]?.split(separator: " ").count, 11)
        XCTAssertEqual(elements.named("title").first?.text, "figure")
    }

    func testFrontWithoutReferenceHasNoRegion() throws {
        let elements = try renderAndParse(try ParetoFigures.front(zdt2Input(reference: nil)), name: "front-no-reference")
        XCTAssertTrue(elements.withClass("area").isEmpty)
    }

    func testFrontRejectsOneDimensionalPoints() {
        XCTAssertThrowsError(try ParetoFigures.front(.init(title: "x", points: [[1]]))) { error in
            XCTAssertTrue("\(error)".contains("point 0 has 1 coordinate"), "\(error)")
        }
    }

    func testHypervolumeHistory() throws {
        let series = ParetoFigures.HypervolumeSeries(label: "tangent", evaluations: [1, 2, 3, 4], hypervolume: [0.1, 0.2, 0.3, 0.32])
        let elements = try renderAndParse(try ParetoFigures.hypervolumeHistory([series], exact: 1.0 / 3), name: "hypervolume")
        XCTAssertTrue(elements.contains { $0.text == "tangent" })
        XCTAssertTrue(elements.contains { $0.text == "exact front (0.333333)" })
        XCTAssertThrowsError(try ParetoFigures.hypervolumeHistory([.init(label: "bad", evaluations: [1], hypervolume: [])]))
    }

    func testResidualHistoriesDropExactZerosOnTheLogAxis() throws {
        let figure = try ParetoFigures.residualHistories([[1, 0.1, 0.01, 0], [2, 1, 0.5, 0.2], [3, 0.03]])
        let elements = try renderAndParse(figure, name: "residuals")
        // Solve 1 keeps 3 of 4 entries (2 segments), solve 2 all 4 (3 segments), solve 3 both (1 segment).
        XCTAssertEqual(elements.withClass("mapped").count, 3)
        XCTAssertEqual(elements.filter { $0.name == "line" && $0.attributes["x1"] != nil && $0.attributes["stroke"]?.hasPrefix("#") == true && $0.attributes["y2"] != $0.attributes["y1"] }.count >= 6, true)
        XCTAssertThrowsError(try ParetoFigures.residualHistories([[0, 0]]))
    }

    func testPreferenceLoss() throws {
        let lambdas = stride(from: 0.0, through: 1.0, by: 0.25).map { $0 }
        let losses = lambdas.map { [1 - $0 + 0.1, $0 + 0.1] }
        let elements = try renderAndParse(try ParetoFigures.preferenceLoss(preferences: lambdas, losses: losses), name: "preference")
        XCTAssertEqual(elements.withClass("panel").count, 2)
        XCTAssertTrue(elements.contains { $0.text == "task 2" })
        XCTAssertThrowsError(try ParetoFigures.preferenceLoss(preferences: [0.5], losses: []))
    }

    func testStitchedFrontColoursFamilies() throws {
        let families = [
            ParetoFigures.Family(name: "from seed A", points: [[0.1, 0.9], [0.3, 0.7]], curve: [[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]]),
            ParetoFigures.Family(name: "from seed B", points: [[0.6, 0.4], [0.9, 0.1]]),
        ]
        let elements = try renderAndParse(try ParetoFigures.stitchedFront(families, reference: [1, 1]), name: "stitched")
        XCTAssertTrue(elements.contains { $0.text == "from seed A" })
        XCTAssertTrue(elements.contains { $0.text == "from seed B" })
        let markerFills = Set(elements.filter { $0.attributes["class"] == "marker" }.compactMap { $0.attributes["fill"] })
        XCTAssertTrue(markerFills.isSuperset(of: [Color.categorical(0).hexString, Color.categorical(1).hexString]))
    }

    func testTangentVersusGradientArrowsStartAtTheirPoints() throws {
        let panel = ParetoFigures.DirectionPanel(
            title: "objective space", xTitle: "f₁", yTitle: "f₂", background: (0...20).map { [Double($0) / 20, 1 - pow(Double($0) / 20, 2)] },
            points: [[0.5, 0.75]],
            arrows: [.init(label: "tangent", origins: [[0.5, 0.75]], directions: [[1, -1]], length: 0.2),
                     .init(label: "−∇f₁", origins: [[0.5, 0.75]], directions: [[-1, 0]], length: 0.2)])
        let figure = try ParetoFigures.tangentVersusGradient([panel, panel])
        let elements = try renderAndParse(figure, name: "directions")
        XCTAssertEqual(elements.withClass("arrow-head").count, 4)
        XCTAssertTrue(elements.contains { $0.text == "−∇f₁" })
        XCTAssertThrowsError(try ParetoFigures.tangentVersusGradient([.init(title: "x", xTitle: "a", yTitle: "b", arrows: [.init(label: "bad", origins: [[0, 0]], directions: [])])]))
    }
}
