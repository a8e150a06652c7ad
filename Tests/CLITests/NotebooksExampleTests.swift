import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `notebooks-example all OUT --small` (the notebooks-export pages on small settings): every
/// page, figure and table is written, every SVG parses as XML, and the tables agree with the
/// closed forms computed here: ZDT2's front f₂ = 1 − f₁², the Chebyshev minimiser
/// f₁ = (−w₁ + √(w₁² + 4w₂²)) / (2w₂), linear scalarisation's ends, and the mixture's mean
/// (1 − p, p) within Monte Carlo error.
final class NotebooksExampleTests: XCTestCase {
    private static let names = ["zdt2-tangent-vs-gradient", "zdt2-scalarisation", "linear-mtl-capacity", "zdt2-stitched"]

    /// The CSV as rows of named fields.
    private func table(_ url: URL) throws -> [[String: String]] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(lines.first)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    private func number(_ row: [String: String], _ key: String) throws -> Double {
        try XCTUnwrap(row[key].flatMap(Double.init), "\(key) in \(row)")
    }

    func testSmallRegenerationWritesParsableFiguresAndTablesThatMatchClosedForms() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-notebooks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try runProduct("notebooks-example", ["all", directory.path, "--small"])
        XCTAssertEqual(result.status, 0, result.error)
        for name in Self.names {
            for ext in ["md", "svg", "csv"] {
                let url = directory.appendingPathComponent("\(name).\(ext)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), url.path)
            }
            let svg = try Data(contentsOf: directory.appendingPathComponent("\(name).svg"))
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(name).svg is not XML")
            let page = try String(contentsOf: directory.appendingPathComponent("\(name).md"), encoding: .utf8)
            XCTAssertTrue(page.contains("notebooks-example \(name)"), "\(name).md states its command")
            XCTAssertTrue(page.contains("](\(name).svg)") && page.contains("](\(name).csv)"), "\(name).md links its figure and table")
        }

        // Scalarisation: the three kinds against their closed forms.
        let scalarisation = try table(directory.appendingPathComponent("zdt2-scalarisation.csv"))
        var kinds: [String: Int] = [:]
        for row in scalarisation {
            let kind = try XCTUnwrap(row["kind"]), w = try number(row, "w1_or_p"), f1 = try number(row, "f1"), f2 = try number(row, "f2")
            kinds[kind, default: 0] += 1
            switch kind {
            case "linear" where w != 0.5 && w != 1:
                XCTAssertEqual(f1, w > 0.5 ? 0 : 1, accuracy: 1e-6, "linear w₁ = \(w)")
                XCTAssertEqual(f2, w > 0.5 ? 1 : 0, accuracy: 1e-6, "linear w₁ = \(w)")
            case "chebyshev":
                let closed = (-w + (w * w + 4 * (1 - w) * (1 - w)).squareRoot()) / (2 * (1 - w))
                XCTAssertEqual(f1, closed, accuracy: 5e-3, "Chebyshev w₁ = \(w)")
                XCTAssertEqual(f2, 1 - f1 * f1, accuracy: 1e-9, "Chebyshev w₁ = \(w) on the front")
            case "mixture":
                let draws = try number(row, "iterations")
                let sigma = (w * (1 - w) / draws).squareRoot()
                XCTAssertEqual(f1, 1 - w, accuracy: 5 * sigma + 1e-12, "mixture p = \(w)")
                XCTAssertEqual(f1 + f2, 1, accuracy: 1e-12, "every draw is an end of the front")
            default: break
            }
        }
        XCTAssertEqual(kinds["linear"], 11)
        XCTAssertEqual(kinds["chebyshev"], 9)
        XCTAssertEqual(kinds["mixture"], 11)

        // Stitched fronts: each stitch's hypervolume at least each of its families' (the table's
        // rows against each other) and at most the exact front's 1/3.
        let stitched = try table(directory.appendingPathComponent("zdt2-stitched.csv"))
        for label in Set(stitched.compactMap { $0["stitch"] }) {
            let rows = stitched.filter { $0["stitch"] == label }
            let union = try number(try XCTUnwrap(rows.first { $0["family"] == "stitched" }), "hypervolume")
            for row in rows where row["family"] != "stitched" { XCTAssertGreaterThanOrEqual(union, try number(row, "hypervolume"), label) }
            XCTAssertLessThanOrEqual(union, 1.0 / 3 + 1e-12, "\(label): no front beats the exact one")
        }
        XCTAssertEqual(Set(stitched.compactMap { $0["stitch"] }), ["hybrid", "three seeds"])
        // A MultiMNIST page needs finished runs.
        let missing = try runProduct("notebooks-example", ["multimnist-stitched", directory.path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.error.contains("--runs"), missing.error)

        // Tangent vs gradient: the tangent line through the seed stays on f₂ = 1 − f₁², the
        // gradient line leaves it.
        let directions = try table(directory.appendingPathComponent("zdt2-tangent-vs-gradient.csv"))
        let lines = directions.filter { $0["view"] == "line" }
        XCTAssertFalse(lines.isEmpty)
        for row in lines {
            let f1 = try number(row, "f1"), f2 = try number(row, "f2"), s = try number(row, "s")
            if row["method"] == "tangent" {
                XCTAssertEqual(f2, 1 - f1 * f1, accuracy: 1e-12, "\(row["problem"]!) tangent s = \(s)")
            } else if s >= 0.2 - 1e-12 {
                XCTAssertGreaterThan(f2 - (1 - f1 * f1), 0.01, "\(row["problem"]!) gradient s = \(s) above the front")
            }
        }

        // Capacity: stationary weights are weights on the simplex's plane, excess losses ≥ 0, and
        // the page finds the talk's sign tests and the computation in agreement everywhere.
        let capacity = try table(directory.appendingPathComponent("linear-mtl-capacity.csv"))
        XCTAssertFalse(capacity.isEmpty)
        for row in capacity {
            let w = try ["stationary_w1", "stationary_w2", "stationary_w3"].map { try number(row, $0) }
            XCTAssertEqual(w.reduce(0, +), 1, accuracy: 1e-9)
            for key in ["E1", "E2", "E3"] { XCTAssertGreaterThanOrEqual(try number(row, key), -1e-12) }
        }
        let page = try String(contentsOf: directory.appendingPathComponent("linear-mtl-capacity.md"), encoding: .utf8)
        XCTAssertFalse(page.contains("| **no** |"), "a sign test disagrees with the computed front")
    }
}
