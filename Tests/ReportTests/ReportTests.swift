import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Plotting
import Report
import XCTest

final class ReportTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Whether `text` parses as XML with Foundation's XMLParser.
    private func isWellFormedXML(_ text: String) -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }

    /// Every inline `<svg …>…</svg>` of a page.
    private func inlineSVGs(_ html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// The page loads nothing from elsewhere: no URL scheme at all (inline SVG carries no
    /// namespace URL), no `<link>`, no `src=`, and only in-page `href="#…"`.
    private func assertSelfContained(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
        let lower = html.lowercased()
        for needle in ["http://", "https://", "<link", "src=", "url(http", "@import", "//cdn"] {
            XCTAssertFalse(lower.contains(needle), "the report contains \(needle)", file: file, line: line)
        }
        var rest = lower[...]
        while let href = rest.range(of: "href=\"") {
            XCTAssertEqual(rest[href.upperBound...].first, "#", "external href", file: file, line: line)
            rest = rest[href.upperBound...]
        }
    }

    func testZDT2RunDirectoryLoads() throws {
        let input = try RunDirectoryReport.load(from: fixtures.appendingPathComponent("zdt2-run"))
        XCTAssertEqual(input.problem, "zdt2")
        XCTAssertEqual(input.method, "tangent")
        XCTAssertEqual(input.seed, 1)
        XCTAssertEqual(input.reference, [1, 1])
        XCTAssertFalse(input.isNetwork)
        // The run was asked for 21 points; the curve samples t ∈ [−1, 1] in steps of 0.002.
        XCTAssertEqual(input.points.count, 21)
        XCTAssertEqual(input.curve.count, 1001)
        XCTAssertEqual(input.curve.first?.t, -1)
        XCTAssertEqual(input.curve.last?.t, 1)
        // The seed was asked for at x₁ = 0.5 (n = 30): f = (0.5, 1 − 0.25), no parent, favours nothing.
        let seed = try XCTUnwrap(input.points.first)
        XCTAssertEqual(seed.objectives, [0.5, 0.75])
        XCTAssertEqual(seed.parameters?.count, 30)
        XCTAssertNil(seed.parent)
        XCTAssertNil(seed.favours)
        XCTAssertTrue(input.points.dropFirst().allSatisfy { $0.parent != nil && $0.favours != nil })
        // Each MINRES iteration is one HVP.
        XCTAssertEqual(input.points.compactMap(\.minresIterations).reduce(0, +), input.evaluations?.hvps)
        // ZDT2's analytic front f₂ = 1 − f₁² comes from MultiObjective.
        let front = try XCTUnwrap(input.analyticFront)
        XCTAssertEqual(front.count, 501)
        for p in front { XCTAssertEqual(p[1], 1 - p[0] * p[0], accuracy: 1e-12) }
        // ∫₀¹ (1 − (1 − f₁²)) df₁ = 1/3 w.r.t. (1, 1).
        XCTAssertEqual(input.hypervolumes.analytic ?? 0, 1.0 / 3, accuracy: 1e-5)
    }

    func testZDT2ReportIsSelfContainedAndValid() throws {
        var input = try RunDirectoryReport.load(from: fixtures.appendingPathComponent("zdt2-run"))
        input.command = "pareto expand --problem zdt2 --dimension 30 --from 0.5 --points 21 --out run/zdt2"
        input.version = "0.0.0-test"
        let html = try ReportPage.html(for: input)
        assertSelfContained(html)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(isWellFormedXML(html), "the page is not well-formed")
        let svgs = inlineSVGs(html)
        XCTAssertEqual(svgs.count, try ReportPage.figures(for: input).count)
        XCTAssertGreaterThanOrEqual(svgs.count, 3)
        for svg in svgs { XCTAssertTrue(isWellFormedXML(svg)) }
        XCTAssertFalse(html.contains("NaN"))
        XCTAssertTrue(html.contains(input.command!))
        XCTAssertTrue(html.contains("ParetoKit 0.0.0-test"))
        XCTAssertTrue(html.contains("seed 1"))
        XCTAssertEqual(html.components(separatedBy: "<tr><td data-sort=").count - 1, 21, "one table row per point")
        XCTAssertTrue(html.contains("<script>"))
        XCTAssertEqual(html, try ReportPage.html(for: input), "same input, same bytes")
    }

    func testHypervolumeFigureEndsAtThePointsHypervolume() throws {
        // The recorded points_hypervolume is checked against an independent recomputation: the
        // last value of the history is the HV of all points, drawn as the last marker.
        let input = try RunDirectoryReport.load(from: fixtures.appendingPathComponent("network-run"))
        let figure = try XCTUnwrap(try ReportPage.figures(for: input).first { $0.name == "hypervolume" })
        guard case .line(let line) = figure.figure.panels[0].layers[0] else { return XCTFail("expected a line first") }
        // Hand-computed in Fixtures/README.md: 0.0394; x = cumulative MINRES iterations 0, 50, 100.
        XCTAssertEqual(line.points.last?.y ?? 0, 0.0394, accuracy: 1e-12)
        XCTAssertEqual(line.points.map(\.x), [0, 50, 100])
        XCTAssertEqual(input.hypervolumes.points ?? 0, 0.0394, accuracy: 1e-12)
    }

    func testNetworkRunLoadsOptionalKeysAndState() throws {
        let input = try RunDirectoryReport.load(from: fixtures.appendingPathComponent("network-run/front.json"))
        XCTAssertTrue(input.isNetwork)
        XCTAssertEqual(input.architecture, "multi-lenet")
        XCTAssertEqual(input.hypervolumes.before, 0.03)
        XCTAssertEqual(input.stationarity, ReportStationarity(before: 0.31, after: 0.012))
        XCTAssertEqual(input.timing?.minresIterations, [50, 50], "from timing.json")
        XCTAssertEqual(input.images, ReportImageCounts(train: 5000, test: 1000, hvp: 256))
        XCTAssertEqual(input.points[1].checkpoint, "points/1.safetensors")
        XCTAssertEqual(input.curve.map(\.dominated), [false, false, false, false, true, false])
        XCTAssertNil(input.analyticFront, "no analytic front for MultiMNIST")
        XCTAssertEqual(input.residualHistories, [[1.0, 0.6, 0.4, 0.3, 0.25], [2.0, 1.0, 0.7, 0.5]])
        let names = try ReportPage.figures(for: input).map(\.name)
        XCTAssertEqual(names, ["front", "train-front", "hypervolume", "residuals", "accuracy"])
        let html = try ReportPage.html(for: input)
        assertSelfContained(html)
        XCTAssertTrue(isWellFormedXML(html))
        for expected in ["points/2.safetensors", "test accuracy 2", "201.3 s", "0.31 → 0.012", "5000 / 1000 / 256", "multi-lenet"] {
            XCTAssertTrue(html.contains(expected), "report lacks \(expected)")
        }
    }

    /// A stitched run: the front figure names every family (with its hypervolume), draws each
    /// family's own curve read from its run directory, and the page stays self-contained.
    func testStitchedRunShowsEveryFamilyWithItsCurve() throws {
        let root = try temporaryDirectory()
        func write(_ json: String, to path: String) throws {
            let directory = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(json.utf8).write(to: directory.appendingPathComponent("front.json"))
        }
        try write("""
            {"problem": "zdt2", "method": "tangent", "points": [{"id": 0, "t": 0, "objectives": [0.5, 0.75]}],
             "curve": [{"t": -1, "objectives": [0.4, 0.84]}, {"t": 1, "objectives": [0.6, 0.64]}]}
            """, to: "a")
        try write("""
            {"problem": "zdt2", "method": "tangent", "points": [{"id": 0, "t": 0, "objectives": [0.55, 0.9]}],
             "curve": [{"t": -1, "objectives": [0.5, 0.95]}, {"t": 1, "objectives": [0.6, 0.85]}]}
            """, to: "b")
        try write("""
            {"problem": "zdt2", "method": "stitched", "reference": [1, 1], "hypervolume": 0.1,
             "points": [{"id": 0, "t": 0, "family": 0, "local_t": -1, "objectives": [0.4, 0.84]},
                        {"id": 1, "t": 1, "family": 0, "local_t": 1, "objectives": [0.6, 0.64]}],
             "stitch": {"families": [{"name": "a", "run": "../a", "hypervolume": 0.0888},
                                     {"name": "b", "run": "../b", "hypervolume": 0.0123}], "gaps": []}}
            """, to: "stitched")
        let input = try RunDirectoryReport.load(from: root.appendingPathComponent("stitched"))
        XCTAssertEqual(input.families.map(\.name), ["a", "b"])
        XCTAssertEqual(input.families[1].curve, [[0.5, 0.95], [0.6, 0.85]], "b's curve comes from its own run directory")
        XCTAssertEqual(input.families[1].objectives, [], "b has no point on the stitched front")
        let page = try ReportPage.html(for: input)
        assertSelfContained(page)
        let front = try XCTUnwrap(inlineSVGs(page).first)
        XCTAssertTrue(isWellFormedXML(front))
        XCTAssertTrue(front.contains("a (HV 0.0888)"), "a is in the legend with its hypervolume")
        XCTAssertTrue(front.contains("b (HV 0.0123) (no points on the front)"), "b is named by its line")
        XCTAssertFalse(page.contains("training-loss space"))
        XCTAssertTrue(page.contains("hypervolume, family b"), "the summary lists each family's hypervolume")
        XCTAssertFalse(page.contains("candidates tried"))
    }

    func testWriteCreatesThePageAndFigureFiles() throws {
        let input = try RunDirectoryReport.load(from: fixtures.appendingPathComponent("network-run"))
        let directory = try temporaryDirectory().appendingPathComponent("out")
        let page = try ReportPage.write(input, to: directory)
        XCTAssertEqual(page.lastPathComponent, "report.html")
        XCTAssertTrue(FileManager.default.fileExists(atPath: page.path))
        let svg = try String(contentsOf: directory.appendingPathComponent("front.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "standalone SVG files keep their namespace")
        XCTAssertTrue(isWellFormedXML(svg))
    }

    func testCorruptAndMissingFilesGiveErrorsNamingTheFile() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("front.json")
        func error(_ json: String) -> String {
            try? Data(json.utf8).write(to: file)
            do { _ = try RunDirectoryReport.load(from: directory); return "no error" } catch { return "\(error)" }
        }
        let garbage = error("{ not json")
        XCTAssertTrue(garbage.contains(file.path) && garbage.contains("not a valid front.json"), garbage)
        XCTAssertTrue(error(#"{"method": "tangent", "points": []}"#).contains("missing key 'problem'"))
        let mismatch = error(#"{"problem": "zdt2", "method": "tangent", "points": [{"id": 0, "objectives": "oops"}]}"#)
        XCTAssertTrue(mismatch.contains("points[0].objectives"), mismatch)
        let missing = directory.appendingPathComponent("nowhere")
        XCTAssertThrowsError(try RunDirectoryReport.load(from: missing)) { error in
            XCTAssertEqual(error as? ReportError, .missingFrontFile(path: missing.path))
        }
    }

    func testMinimalInputWithOnlyRequiredKeysRenders() throws {
        let input = try RunDirectoryReport.decode(Data(#"{"problem": "toy", "method": "tangent", "points": [{"id": 0, "objectives": [1, 2]}, {"id": 1, "objectives": [2, 1]}]}"#.utf8), path: "inline")
        let html = try ReportPage.html(for: input)
        assertSelfContained(html)
        XCTAssertTrue(html.contains("seed not recorded"))
        XCTAssertEqual(try ReportPage.figures(for: input).map(\.name), ["front"])
    }

    func testPreferenceFamilyTimingAndFailuresInFrontJSON() throws {
        // A preference family: λ instead of t on points and samples; timing inline; one failure.
        let json = """
        {"problem": "zdt1", "method": "tangent", "seed": 3, "reference": [1, 1],
         "points": [{"id": 0, "preference": [0.25, 0.75], "objectives": [0.2, 0.6]},
                    {"id": 1, "preference": [0.75, 0.25], "objectives": [0.6, 0.3]}],
         "curve": [{"preference": [0.25, 0.75], "objectives": [0.2, 0.6], "dominated": false},
                   {"preference": [0.5, 0.5], "objectives": [0.4, 0.4], "dominated": false},
                   {"preference": [0.75, 0.25], "objectives": [0.6, 0.3], "dominated": false}],
         "failures": [{"parent": 1, "direction": 0, "reason": "non-finite objective"}],
         "timing": {"total_seconds": 12.5, "step_seconds": [0, 12.5]}}
        """
        let input = try RunDirectoryReport.decode(Data(json.utf8), path: "inline")
        XCTAssertEqual(input.points[1].preference, [0.75, 0.25])
        XCTAssertNil(input.curve[0].t)
        XCTAssertEqual(input.curve.compactMap(\.parameter), [0.25, 0.5, 0.75])
        XCTAssertEqual(input.timing?.totalSeconds, 12.5)
        XCTAssertEqual(input.failures, ["point 1, direction 0: non-finite objective"])
        let figure = try XCTUnwrap(try ReportPage.figures(for: input).first { $0.name == "front" })
        XCTAssertEqual(figure.figure.panels[0].colorScale?.title, "λ\u{2081}")
        let html = try ReportPage.html(for: input)
        XCTAssertTrue(html.contains("<th data-type=\"number\">λ\u{2081}</th>"))
        XCTAssertTrue(html.contains("non-finite objective"))
        XCTAssertTrue(html.contains("12.5 s"))
    }

    func testCorruptTimingFileIsNamed() throws {
        let directory = try temporaryDirectory()
        try Data(#"{"problem": "p", "method": "m", "points": [{"id": 0, "objectives": [1, 2]}]}"#.utf8).write(to: directory.appendingPathComponent("front.json"))
        try Data(#"{"total_seconds": "soon"}"#.utf8).write(to: directory.appendingPathComponent("timing.json"))
        XCTAssertThrowsError(try RunDirectoryReport.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("timing.json") && "\(error)".contains("total_seconds"), "\(error)")
        }
    }

    func testARunWithoutPointsStillGivesAPage() throws {
        let html = try ReportPage.html(for: ReportInput(problem: "zdt2", method: "tangent", points: []))
        XCTAssertTrue(html.contains("The run has no points to draw."))
        XCTAssertTrue(isWellFormedXML(html))
        assertSelfContained(html)
    }

    func testMarkupInTheCommandIsEscaped() throws {
        var input = ReportInput(problem: "toy", method: "m", points: [ReportPoint(id: 0, objectives: [1, 2])])
        input.command = "pareto expand --out '<a&b>' && echo \"done\""
        let html = try ReportPage.html(for: input)
        XCTAssertTrue(html.contains("&lt;a&amp;b&gt;"))
        XCTAssertTrue(isWellFormedXML(html))
    }
}
