import Foundation
import ParetoKit
import XCTest

/// `--dataset multifashion-mnist` (MultiFashion+MNIST, Ma et al. 2020 §6.1) through `pareto
/// train`, `evaluate`, `expand`, `stitch` and `pareto-bench table1`, on generated sources written
/// as IDX files: MNIST-like digits in a `--data` directory, different "fashion" images in
/// `PARETOKIT_FASHION_MNIST_DIR`. The counts and the test split are checked against what the
/// test wrote (composites rebuilt here from the raw images).
final class MixedDatasetCommandTests: XCTestCase {
    var root: URL!
    var mnistDirectory: URL!
    var fashionDirectory: URL!
    var sources: [String: LabeledDigits] = [:]

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-mixed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { [root] in try? FileManager.default.removeItem(at: root!) }
        mnistDirectory = root.appendingPathComponent("mnist")
        fashionDirectory = root.appendingPathComponent("fashion")
        // MNIST: 100 training, 40 test digits; "Fashion": 70 training, 30 test images (the
        // synthetic patterns inverted, labels shifted by 3).
        for (name, directory, count, seed, fashion) in [
            ("mnist-train", mnistDirectory!, 100, UInt64(31), false), ("mnist-t10k", mnistDirectory!, 40, 32, false),
            ("fashion-train", fashionDirectory!, 70, 33, true), ("fashion-t10k", fashionDirectory!, 30, 34, true),
        ] {
            var digits = try SyntheticDigits.make(count: count, seed: seed)
            if fashion {
                digits = try LabeledDigits(
                    images: DigitImages(count: count, rows: 28, columns: 28, pixels: digits.images.pixels.map { 255 - $0 }),
                    labels: digits.labels.map { ($0 + 3) % 10 }, sourceName: name)
            }
            sources[name] = digits
            let split = name.hasSuffix("train") ? "train" : "t10k"
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(IDXFile.encode(digits.images)).write(to: directory.appendingPathComponent("\(split)-images-idx3-ubyte"))
            try Data(IDXFile.encode(labels: digits.labels)).write(to: directory.appendingPathComponent("\(split)-labels-idx1-ubyte"))
        }
    }

    var environment: [String: String?] {
        [DataLocator.fashionDirectoryVariable: fashionDirectory.path, DataLocator.mnistDirectoryVariable: nil]
    }

    func pareto(_ arguments: [String]) throws -> CommandResult {
        try runProduct("pareto", arguments, environment: environment)
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Test composite `k` rebuilt from the raw images the test wrote (MNIST top left, fashion
    /// bottom right), normalised as MultiMNIST.
    func rebuilt(_ dataset: MultiDigitDataset, _ k: Int) throws -> [Double] {
        let recipe = dataset.recipes[k]
        let left = try XCTUnwrap(sources["mnist-t10k"]), right = try XCTUnwrap(sources["fashion-t10k"])
        guard recipe.leftSource < left.count, recipe.rightSource < right.count else {
            XCTFail("composite \(k): sources \(recipe.leftSource), \(recipe.rightSource) outside the test images written")
            return []
        }
        var canvas = [Int](repeating: 0, count: 36 * 36)
        for (pixels, offset) in [(Array(left.images.image(at: recipe.leftSource)), recipe.leftOffset),
                                 (Array(right.images.image(at: recipe.rightSource)), recipe.rightOffset)] {
            for y in 0..<28 { for x in 0..<28 { canvas[(y + offset) * 36 + x + offset] += Int(pixels[y * 28 + x]) } }
        }
        return (0..<28 * 28).map { i in
            (Double(min(255, canvas[(36 * (i / 28) / 28) * 36 + 36 * (i % 28) / 28])) / 255 - 0.1307) / 0.3081
        }
    }

    func testTrainEvaluateExpandStitch() throws {
        let checkpoint = root.appendingPathComponent("ls.safetensors").path
        let data = ["--data", mnistDirectory.path]
        let train = try pareto(["train", "--dataset", "multifashion-mnist", "--method", "ls", "--epochs", "1", "--batch-size", "32",
                                "--out", checkpoint, "--json"] + data)
        XCTAssertEqual(train.status, 0, train.error)
        XCTAssertTrue(train.error.contains("Fashion-MNIST") && train.error.contains(fashionDirectory.path), train.error)
        let summary = try json(train.output)
        XCTAssertEqual(summary["train_images"] as? Int, 70, "min(100 MNIST, 70 fashion) training composites")
        XCTAssertEqual(summary["images"] as? Int, 30, "min(40 MNIST, 30 fashion) test composites")
        let saved = try Checkpoint.load(from: URL(fileURLWithPath: checkpoint), model: MultiLeNet())
        XCTAssertEqual(saved.metadata.other["dataset"], "multifashion-mnist")
        XCTAssertEqual(saved.metadata.tasks, ["left digit", "right item"])

        // evaluate takes the data set from the checkpoint; another data set gives other numbers.
        let recorded = try json(try pareto(["evaluate", checkpoint, "--json"] + data).output)
        let explicit = try json(try pareto(["evaluate", checkpoint, "--dataset", "multifashion-mnist", "--json"] + data).output)
        let mnistOnly = try json(try pareto(["evaluate", checkpoint, "--dataset", "multimnist", "--json"] + data).output)
        XCTAssertEqual(recorded["images"] as? Int, 30)
        XCTAssertEqual(recorded["loss"] as? [Double], explicit["loss"] as? [Double])
        XCTAssertEqual(recorded["loss"] as? [Double], summary["loss"] as? [Double])
        XCTAssertEqual(mnistOnly["images"] as? Int, 40)

        let run = root.appendingPathComponent("run")
        let expand = try pareto(["expand", "--from", checkpoint, "--hvp-batch", "16", "--points", "3", "--minres-iterations", "3",
                                 "--optimize-steps", "1", "--seed-steps", "1", "--force", "--curve-samples", "2", "--out", run.path] + data)
        XCTAssertEqual(expand.status, 0, expand.error)
        let front = try FrontFile.read(from: run.appendingPathComponent("front.json"))
        XCTAssertEqual(front.problem, "multifashion-mnist")
        XCTAssertEqual(front.trainImages, 70)
        XCTAssertEqual(front.testImages, 30)

        // The run's test split is the library's, and that one is the test's own rebuild.
        let selection = try DataLocator(dataDirectory: mnistDirectory, environment: [DataLocator.fashionDirectoryVariable: fashionDirectory.path])
            .select(.multifashionMNIST)
        let test = try selection.multiDigitSplits(seed: 1).test
        let state = try json(String(decoding: try Data(contentsOf: run.appendingPathComponent("state.json")), as: UTF8.self))
        let configuration = try XCTUnwrap(state["configuration"] as? [String: Any])
        XCTAssertEqual(configuration["test_data"] as? String, test.digest)
        XCTAssertEqual(test.count, 30)
        let mnistTest = try XCTUnwrap(sources["mnist-t10k"]), fashionTest = try XCTUnwrap(sources["fashion-t10k"])
        for k in 0..<test.count {
            let expected = try rebuilt(test, k)
            guard !expected.isEmpty else { continue }
            let worst = zip(test.image(at: k), expected).map { abs(Double($0) - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-5, "test composite \(k)")
            XCTAssertEqual(test.leftLabels[k], Int(mnistTest.labels[test.recipes[k].leftSource]))
            XCTAssertEqual(test.rightLabels[k], Int(fashionTest.labels[test.recipes[k].rightSource]))
        }
        XCTAssertEqual(Set(test.recipes.map(\.rightSource)).count, 30, "every fashion test image once")

        // stitch infers the data set from the run's name (not the shorter `multifashion`):
        // the rebuilt test split must match the digest the run recorded.
        let stitched = try pareto(["stitch", run.path, "--out", root.appendingPathComponent("stitched").path] + data)
        XCTAssertEqual(stitched.status, 0, stitched.error)
    }

    func testHelpAndHarnessAcceptTheName() throws {
        let help = try pareto(["train", "--help"])
        XCTAssertTrue(help.output.contains("multifashion-mnist"), help.output)
        let bad = try pareto(["train", "--dataset", "multifashion+mnist", "--method", "ls", "--out", root.appendingPathComponent("x").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.error.contains("multifashion-mnist"), bad.error)

        // pareto-bench table1 trains its seeds on the mixed set (seeds only, toy size).
        let out = root.appendingPathComponent("table1")
        let table = try runProduct(
            "pareto-bench",
            ["table1", "--dataset", "multifashion-mnist", "--data", mnistDirectory.path, "--epochs", "1", "--batch-size", "32",
             "--monitor-test-size", "10", "--producers", "weightedsum", "--preferences", "1", "--seeds-only", "--out", out.path],
            environment: environment)
        XCTAssertEqual(table.status, 0, table.error)
        let seeds = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("seeds").path)
            .filter { $0.hasSuffix(".safetensors") }
        XCTAssertEqual(seeds.count, 1, "\(seeds)")
        let seed = try Checkpoint.load(from: out.appendingPathComponent("seeds").appendingPathComponent(seeds[0]), model: MultiLeNet())
        XCTAssertEqual(seed.metadata.other["dataset"], "multifashion-mnist")
        XCTAssertEqual(seed.metadata.other["train_size"], "70")
        let unknown = try runProduct("pareto-bench", ["table1", "--dataset", "nope", "--out", root.appendingPathComponent("t").path])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.error.contains("multifashion-mnist"), unknown.error)
    }
}
