import Foundation
import XCTest

/// The researcher's analysis scripts (`examples/RunAnalysis`, the `run-analysis-example`
/// executable) on small ZDT2 runs made here with `pareto expand`: every number they print is
/// checked against values computed in this file from front.json alone — ZDT2's formulas
/// (f₁ = x₁, g = 1 + 9/(n − 1) Σᵢ₌₂ⁿ xᵢ, f₂ = g(1 − (f₁/g)²)), the analytic front f₂ = 1 − f₁²,
/// linear interpolation along t, a 2-D hypervolume sweep and pairwise dominance.
final class RunAnalysisExampleTests: XCTestCase {
    struct Point {
        var id: Int
        var t: Double?
        var objectives: [Double]
        var parameters: [Double]
    }

    struct Run {
        var directory: URL
        var points: [Point]
        var curve: [(t: Double?, objectives: [Double], dominated: Bool)]
        var reference: [Double]
    }

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-analysis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// `pareto expand --problem zdt2 --dimension 5 …` into `name`, then front.json read back.
    private func expand(_ name: String, _ arguments: [String]) throws -> Run {
        let directory = scratch.appendingPathComponent(name)
        let result = try runProduct("pareto", ["expand", "--problem", "zdt2", "--dimension", "5"] + arguments + ["--out", directory.path])
        XCTAssertEqual(result.status, 0, result.error)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("front.json"))) as? [String: Any])
        let points = try XCTUnwrap(json["points"] as? [[String: Any]]).map { p in
            Point(id: try XCTUnwrap(p["id"] as? Int), t: p["t"] as? Double, objectives: try XCTUnwrap(p["objectives"] as? [Double]),
                  parameters: try XCTUnwrap(p["parameters"] as? [Double]))
        }
        let curve = try XCTUnwrap(json["curve"] as? [[String: Any]]).map { s in
            (t: s["t"] as? Double, objectives: try XCTUnwrap(s["objectives"] as? [Double]), dominated: try XCTUnwrap(s["dominated"] as? Bool))
        }
        return Run(directory: directory, points: points, curve: curve, reference: try XCTUnwrap(json["reference"] as? [Double]))
    }

    /// A tangent run on the front, and a deliberately under-corrected one (one ParetoOptimize
    /// step of length 0.01 from an interior start), whose points lie off the front.
    private func runs() throws -> (onFront: Run, offFront: Run) {
        (try expand("on-front", ["--from", "0.5", "--points", "9", "--step-size", "0.05", "--curve-samples", "101"]),
         try expand("off-front", ["--from", "0.5,0.3,0.3", "--optimize-steps", "1", "--optimize-step-size", "0.01", "--points", "5",
                                  "--step-size", "0.05", "--curve-samples", "51"]))
    }

    private func analysis(_ arguments: [String]) throws -> String {
        let result = try runProduct("run-analysis-example", arguments)
        XCTAssertEqual(result.status, 0, result.error)
        return result.output
    }

    /// The value after `key: ` on the first line containing it (as numbers separated by commas).
    private func values(_ key: String, in line: Substring) throws -> [Double] {
        let range = try XCTUnwrap(line.range(of: key + ": "), "no \(key) in \(line)")
        let field = line[range.upperBound...].prefix { $0 != " " }
        return try field.split(separator: ",").map { try XCTUnwrap(Double($0), "not a number: \($0)") }
    }

    private func value(_ key: String, in output: String) throws -> Double {
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.contains(key + ": ") }, "no \(key) in\n\(output)")
        return try values(key, in: line)[0]
    }

    static func zdt2(_ x: [Double]) -> [Double] {
        let g = 1 + 9 / Double(x.count - 1) * x.dropFirst().reduce(0, +)
        return [x[0], g * (1 - (x[0] / g) * (x[0] / g))]
    }

    /// The area dominated by `points` inside the box up to `reference` (sweep in f₁).
    static func hypervolume2D(_ points: [[Double]], _ reference: [Double]) -> Double {
        let inside = points.filter { $0[0] < reference[0] && $0[1] < reference[1] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        var area = 0.0, level = reference[1]
        for p in inside where p[1] < level {
            area += (reference[0] - p[0]) * (level - p[1])
            level = p[1]
        }
        return area
    }

    static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        zip(a, b).allSatisfy { $0 <= $1 } && zip(a, b).contains { $0 < $1 }
    }

    func testQueryInterpolatesTheChainAndEvaluatesZDT2() throws {
        let run = try runs().onFront
        let chain = run.points.filter { $0.t != nil }.sorted { $0.t! < $1.t! }
        let ts = [-1, -0.63, 0, 0.3, 0.77, 1] + chain.map { $0.t! }
        let output = try analysis(["query", run.directory.path] + ts.map { "\($0)" })
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("t: ") }
        XCTAssertEqual(lines.count, ts.count, output)
        for (t, line) in zip(ts, lines) {
            XCTAssertEqual(try values("t", in: line)[0], t)
            // x(t) by linear interpolation between the chain points around t, computed here.
            let upper = chain.firstIndex { $0.t! >= t }!, lower = max(upper - 1, 0)
            let (a, b) = (chain[lower], chain[upper])
            let w = b.t! > a.t! ? (t - a.t!) / (b.t! - a.t!) : 0
            let x = zip(a.parameters, b.parameters).map { $0 + w * ($1 - $0) }
            let printedX = try values("x", in: line), f = try values("f", in: line)
            for (u, v) in zip(printedX, x) { XCTAssertEqual(u, v, accuracy: 1e-12, "t = \(t)") }
            let expected = Self.zdt2(x)
            XCTAssertEqual(f[0], expected[0], accuracy: 1e-12, "t = \(t)")
            XCTAssertEqual(f[1], expected[1], accuracy: 1e-12, "t = \(t)")
            // The chain runs along the Pareto set, so x(t) maps onto the analytic front.
            XCTAssertEqual(f[1], 1 - f[0] * f[0], accuracy: 1e-9, "t = \(t)")
            XCTAssertLessThan(try values("distance_to_front", in: line)[0], 1e-9)
        }
        // t outside [−1, 1] is refused.
        let outside = try runProduct("run-analysis-example", ["query", run.directory.path, "1.5"])
        XCTAssertNotEqual(outside.status, 0)
    }

    func testHypervolumeForAnotherReference() throws {
        let run = try runs().onFront
        let reference = [1.2, 1.2]
        let output = try analysis(["hypervolume", run.directory.path, "1.2,1.2"])
        let points = run.points.map(\.objectives), curve = run.curve.filter { !$0.dominated }.map(\.objectives)
        XCTAssertEqual(try value("points_hypervolume", in: output), Self.hypervolume2D(points, reference), accuracy: 1e-12)
        let continuous = try value("continuous_hypervolume", in: output)
        XCTAssertEqual(continuous, Self.hypervolume2D(points + curve, reference), accuracy: 1e-12)
        // Against the analytic arc f₂ = 1 − f₁² over the f₁ range the run covers:
        // ∫ₐᵇ (r₂ − 1 + f₁²) df₁ + (r₁ − b)(r₂ − 1 + b²).
        let f1 = (points + curve).map { $0[0] }
        let (a, b) = (f1.min()!, f1.max()!)
        let exact = (reference[1] - 1) * (b - a) + (b * b * b - a * a * a) / 3 + (reference[0] - b) * (reference[1] - 1 + b * b)
        XCTAssertLessThanOrEqual(continuous, exact + 1e-12)
        XCTAssertEqual(continuous, exact, accuracy: 2e-3, "101 samples of an arc of length < 1")
        XCTAssertEqual(try value("stored_hypervolume", in: output), Self.hypervolume2D(points + curve, run.reference), accuracy: 1e-12)
    }

    func testCompareTwoRuns() throws {
        let (onFront, offFront) = try runs()
        let output = try analysis(["compare", onFront.directory.path, offFront.directory.path])
        let sections = output.components(separatedBy: "run 2:")
        XCTAssertEqual(sections.count, 2, output)
        let reference = zip(onFront.reference, offFront.reference).map { max($0, $1) }
        for (run, other, text) in [(onFront, offFront, sections[0]), (offFront, onFront, sections[1])] {
            let otherFront = other.points.map(\.objectives) + other.curve.filter { !$0.dominated }.map(\.objectives)
            let dominated = run.points.filter { p in otherFront.contains { Self.dominates($0, p.objectives) } }.count
            XCTAssertEqual(try value("points_dominated_by_the_other_run", in: text), Double(dominated))
            XCTAssertEqual(try value("points_hypervolume", in: text), Self.hypervolume2D(run.points.map(\.objectives), reference), accuracy: 1e-12)
            XCTAssertEqual(try value("continuous_hypervolume", in: text),
                           Self.hypervolume2D(run.points.map(\.objectives) + run.curve.filter { !$0.dominated }.map(\.objectives), reference),
                           accuracy: 1e-12)
            // The distance to the front is at most the vertical gap |f₂ − (1 − f₁²)| of the worst point.
            let gap = run.points.map { abs($0.objectives[1] - (1 - $0.objectives[0] * $0.objectives[0])) }.max()!
            let distance = try value("largest_distance_to_front", in: text)
            XCTAssertLessThanOrEqual(distance, gap + 1e-12)
            XCTAssertGreaterThanOrEqual(distance, 0)
        }
        // The tangent run lies on the front; the under-corrected run's points are all dominated by it.
        XCTAssertLessThan(try value("largest_distance_to_front", in: sections[0]), 1e-9)
        XCTAssertEqual(try value("points_dominated_by_the_other_run", in: sections[1]), Double(offFront.points.count))
        XCTAssertGreaterThan(try value("largest_distance_to_front", in: sections[1]), 0.1)
    }

    func testExportWritesOneRowPerPointAndCurveSample() throws {
        let run = try runs().onFront
        let path = scratch.appendingPathComponent("run.csv").path
        _ = try analysis(["export", run.directory.path, path])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "kind,id,t,f1,f2,dominated,distance_to_front,x1,x2,x3,x4,x5")
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, run.points.count + run.curve.count)
        XCTAssertTrue(rows.allSatisfy { $0.count == 12 })
        // The CSV prints what the library parsed; JSONSerialization here may differ in the last bit.
        func same(_ a: [Double], _ b: [Double], _ label: String) {
            XCTAssertEqual(a.count, b.count, label)
            for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-14 * max(1, abs(v)), label) }
        }
        let all = run.points.map(\.objectives) + run.curve.map(\.objectives)
        for (row, point) in zip(rows.prefix(run.points.count), run.points) {
            XCTAssertEqual(row[0], "point")
            XCTAssertEqual(Int(row[1]), point.id)
            same([Double(row[3])!, Double(row[4])!], point.objectives, "point \(point.id)")
            same(row[7...].map { Double($0)! }, point.parameters, "point \(point.id)")
            XCTAssertEqual(row[5], "\(all.contains { Self.dominates($0, point.objectives) })")
            XCTAssertEqual(Double(row[6])!, 0, accuracy: 1e-9)
        }
        for (row, sample) in zip(rows.dropFirst(run.points.count), run.curve) {
            XCTAssertEqual(row[0], "curve")
            same([Double(row[2])!], [sample.t!], "curve t")
            same([Double(row[3])!, Double(row[4])!], sample.objectives, "curve sample")
            XCTAssertEqual(row[5], "\(sample.dominated)")
        }
    }
}
