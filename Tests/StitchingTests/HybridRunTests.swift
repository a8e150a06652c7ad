import Expansion
import Foundation
import MultiObjective
import Problems
import Stitching
import XCTest

/// The hybrid method on ZDT2 and stitched run directories, checked against the analytic front
/// and against values computed here, independently of the library.
final class HybridRunTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// ZDT2's objectives, written out here: f₁ = x₁, g = 1 + 9 Σᵢ₌₂ⁿ xᵢ / (n − 1), f₂ = g (1 − (f₁/g)²).
    static func zdt2(_ x: [Double]) -> [Double] {
        let g = 1 + 9 * x.dropFirst().reduce(0, +) / Double(x.count - 1)
        return [x[0], g * (1 - (x[0] / g) * (x[0] / g))]
    }

    /// The hypervolume of a 2-D point set w.r.t. `r`, by sorting and summing rectangles.
    static func hypervolume2D(_ points: [[Double]], reference r: [Double]) -> Double {
        let inside = points.filter { $0[0] < r[0] && $0[1] < r[1] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        var volume = 0.0, bestF2 = r[1]
        for (k, p) in inside.enumerated() where p[1] < bestF2 {
            let nextF1 = inside[(k + 1)...].first { $0[1] < p[1] }?[0] ?? r[0]
            volume += (nextF1 - p[0]) * (r[1] - p[1])
            bestF2 = p[1]
        }
        return volume
    }

    func hybrid(curveSamples: Int = 1001) throws -> (AnalyticHybridResult, any BenchmarkProblem) {
        let problem = try Problems.named("zdt2", dimension: 30)
        var options = AnalyticHybridOptions()
        options.run.expansion.points = 21
        options.run.curveSamples = curveSamples
        var start = [Double](repeating: 0, count: 30)
        start[0] = 0.5
        return (try AnalyticHybrid.run(problem, from: start, options: options, directory: directory), problem)
    }

    func testZDT2HybridLiesOnTheAnalyticFrontAndCoversIt() throws {
        let (result, _) = try hybrid()
        let front = result.stitched.front
        XCTAssertEqual(front.method, "hybrid")
        XCTAssertEqual(front.stitch?.families.count, 4)
        for point in front.points {
            let f = point.objectives
            XCTAssertLessThanOrEqual(abs(f[1] - (1 - f[0] * f[0])), 1e-3, "point \(point.id) at \(f) is off f₂ = 1 − f₁²")
            // The stored objectives are those of the stored parameters.
            let x = try XCTUnwrap(point.parameters)
            for (a, b) in zip(Self.zdt2(x), f) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
        // No jump between consecutive points beyond the stated tolerance, except at reported gaps.
        let stitch = try XCTUnwrap(front.stitch)
        for (a, b) in zip(front.points, front.points.dropFirst()) where !stitch.gaps.contains(where: { $0.from == a.id }) {
            let jump = zip(a.objectives, b.objectives).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            XCTAssertLessThanOrEqual(jump, stitch.gapTolerance + 1e-15)
        }
        XCTAssertLessThan(stitch.gapTolerance, 0.01, "the parts sample the front every ~0.002 in f₁")
        let hypervolume = Self.hypervolume2D(front.points.map(\.objectives), reference: [1, 1])
        XCTAssertGreaterThanOrEqual(hypervolume, 0.99 / 3)
        XCTAssertEqual(front.hypervolume, hypervolume, accuracy: 1e-12)
        // At least as good as each part, each part's hypervolume recomputed from its own files.
        for part in result.parts {
            let partFront = try FrontFile.read(from: directory.appendingPathComponent(part).appendingPathComponent("front.json"))
            XCTAssertGreaterThanOrEqual(hypervolume, Self.hypervolume2D(partFront.curve.map(\.objectives), reference: [1, 1]) - 1e-15, part)
        }
    }

    func testModelAtTReproducesTheStoredObjectives() throws {
        let (result, _) = try hybrid(curveSamples: 101)
        let front = result.stitched.front
        let families = try RunFamilies.load(from: directory)
        XCTAssertEqual(Set(families.map(\.identity)), Set(try XCTUnwrap(front.stitch).families.map(\.identity)))
        for point in front.points {
            let (family, coordinate) = try StitchedRun.locate(try XCTUnwrap(point.t), in: front, families: families)
            let x = try family.parameters(at: coordinate)
            let f = Self.zdt2(x)
            // Points sharing a t (gaps) map to the one after; compare with the point found.
            guard front.points.filter({ $0.t == point.t }).count == 1 else { continue }
            XCTAssertEqual(f[0], point.objectives[0], accuracy: 1e-12)
            XCTAssertEqual(f[1], point.objectives[1], accuracy: 1e-12)
        }
        // Between two points of one piece, the model lies on the set (ZDT2's is a segment).
        for t in stride(from: 0.0, through: 1.0, by: 0.01) {
            let (family, coordinate) = try StitchedRun.locate(t, in: front, families: families)
            let f = Self.zdt2(try family.parameters(at: coordinate))
            XCTAssertLessThanOrEqual(abs(f[1] - (1 - f[0] * f[0])), 1e-3, "t = \(t)")
        }
    }

    func testStitchedRunsAreIdempotentAndOrderIndependent() throws {
        let (result, _) = try hybrid(curveSamples: 101)
        func assertSame(_ other: StitchedRunResult, _ message: String) throws {
            // Compared as JSON: a difference shows as a short diff of keys, not two dumps.
            XCTAssertTrue(try other.front.encoded() == result.stitched.front.encoded(), message)
        }
        let again = try StitchedRun.stitch(
            try RunFamilies.load(from: directory), method: "hybrid", directory: directory, evaluate: StitchedRun.analyticEvaluator)
        try assertSame(again, "re-stitching the stitched run")
        // The stitched run together with one of its own parts: nothing new, nothing changes.
        let parts = result.parts.map { directory.appendingPathComponent($0) }
        let withPart = try StitchedRun.stitch(
            try RunFamilies.load(from: [directory, parts[2]]), method: "hybrid", directory: directory, evaluate: StitchedRun.analyticEvaluator)
        try assertSame(withPart, "the stitched run with one of its parts")
        let reversed = try StitchedRun.stitch(
            try RunFamilies.load(from: parts.reversed()), method: "hybrid", directory: directory, evaluate: StitchedRun.analyticEvaluator)
        try assertSame(reversed, "the parts in reverse order")
    }

    func testAStitchedRunWhoseSourceChangedIsRefused() throws {
        _ = try hybrid(curveSamples: 51)
        let segment = directory.appendingPathComponent("segment")
        var file = try FrontFile.read(from: segment.appendingPathComponent("front.json"))
        file.curve[3].objectives[0] += 1e-3
        try file.write(to: segment)
        XCTAssertThrowsError(try RunFamilies.load(from: directory)) { error in
            guard case StitchingError.missingSource = error else { return XCTFail("\(error)") }
        }
    }

    func testLinearFamilyTrainedOnZDT2SpansItsParetoSet() throws {
        let problem = try Problems.named("zdt2", dimension: 5)
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        let segment = try LinearSegmentTraining.train(objective, from: [0.4, 0, 0, 0, 0])
        // The set is x₁ ∈ [0, 1], x₂…ₙ = 0; Chebyshev rays spread the vertices to its two ends.
        // The extreme rays are (0.99, 0.01) and (0.01, 0.99) (ε = 0.01), whose Chebyshev points
        // have x₁ ≈ 0.0101 and 0.9901, so the ends are reached to within about that.
        XCTAssertEqual(segment.vertices[0][0], 0, accuracy: 0.02)
        XCTAssertEqual(segment.vertices[1][0], 1, accuracy: 0.02)
        for vertex in segment.vertices { XCTAssertEqual(vertex.dropFirst().max()!, 0, accuracy: 1e-12) }
        // PaLoRA's linear scalarisation on this concave front: λᵀf is smallest at an end for every
        // ray, and from x₁ = 0.4 the early, nearly uniform rays take both vertices to x₁ = 0.
        var options = LinearSegmentOptions()
        options.scalarization = .linear
        let collapsed = try LinearSegmentTraining.train(objective, from: [0.4, 0, 0, 0, 0], options: options)
        XCTAssertEqual(collapsed.vertices.map { $0[0] }, [0, 0])
        XCTAssertThrowsError(try segment.parameters(at: .preference([0.7, 0.7])))
        XCTAssertThrowsError(try segment.parameters(at: .t(0)))
        XCTAssertEqual(try segment.parameters(at: .preference([0.25, 0.75]))[0], 0.25 * segment.vertices[0][0] + 0.75 * segment.vertices[1][0], accuracy: 1e-15)
    }
}
