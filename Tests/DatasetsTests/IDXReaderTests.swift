import Datasets
import Foundation
import XCTest

/// Hand-made IDX files written into a temporary directory, raw and gzip.
final class IDXReaderTests: XCTestCase {
    /// Three 2×3 images with pixel (i, r, c) = 10·i + 3·r + c, and labels 4, 0, 9.
    let imagePixels: [UInt8] = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]
    var imageFile: [UInt8] { idxHeader(magic: 0x0000_0803, dimensions: [3, 2, 3]) + imagePixels }
    var labelFile: [UInt8] { idxHeader(magic: 0x0000_0801, dimensions: [3]) + [4, 0, 9] }

    func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func assertThrows(
        _ expected: DatasetError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? DatasetError, expected, file: file, line: line)
        }
    }

    func testParsesRawAndGzipFiles() throws {
        let directory = try makeTemporaryDirectory(self)
        let rawImages = try write(imageFile, "images-idx3-ubyte", in: directory)
        let rawLabels = try write(labelFile, "labels-idx1-ubyte", in: directory)
        let gzImages = try write(gzipWithSystemTool(imageFile, in: directory), "images.gz", in: directory)
        let gzLabels = try write(gzipWithSystemTool(labelFile, in: directory), "labels.gz", in: directory)
        for (images, labels) in [(rawImages, rawLabels), (gzImages, gzLabels), (gzImages, rawLabels)] {
            let digits = try LabeledDigits.readIDX(images: images, labels: labels)
            XCTAssertEqual(digits.count, 3)
            XCTAssertEqual(digits.images.rows, 2)
            XCTAssertEqual(digits.images.columns, 3)
            XCTAssertEqual(digits.labels, [4, 0, 9])
            // Image 2, row 1, column 2 = 20 + 3 + 2.
            XCTAssertEqual(Array(digits.images.image(at: 2)), [20, 21, 22, 23, 24, 25])
            XCTAssertEqual(digits.images.pixels[(2 * 2 + 1) * 3 + 2], 25)
            XCTAssertEqual(digits.identity(of: 1), DigitIdentity(source: images.path, index: 1))
        }
    }

    func testEncodeIsInverseOfParse() throws {
        let images = try IDXFile.parseImages(imageFile, name: "x")
        XCTAssertEqual(IDXFile.encode(images), imageFile)
        XCTAssertEqual(IDXFile.encode(labels: [4, 0, 9]), labelFile)
    }

    func testConcatenatedGzipMembers() throws {
        let directory = try makeTemporaryDirectory(self)
        let split = 17
        let bytes = try gzipWithSystemTool(Array(imageFile[..<split]), in: directory)
            + gzipWithSystemTool(Array(imageFile[split...]), in: directory)
        let url = try write(bytes, "two-members.gz", in: directory)
        XCTAssertEqual(try IDXFile.readImages(at: url).pixels, imagePixels)
    }

    func testTruncatedData() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = try write(Array(imageFile.dropLast(5)), "short", in: directory)
        assertThrows(.truncatedData(path: url.path, expectedBytes: 18, actualBytes: 13)) { _ = try IDXFile.readImages(at: url) }
        let labels = try write(Array(labelFile.dropLast(1)), "short-labels", in: directory)
        assertThrows(.truncatedData(path: labels.path, expectedBytes: 3, actualBytes: 2)) { _ = try IDXFile.readLabels(at: labels) }
        // Truncated inside a gzip-compressed file: the sizes refer to the decompressed data.
        let gz = try write(gzipWithSystemTool(Array(imageFile.dropLast(1)), in: directory), "short.gz", in: directory)
        assertThrows(.truncatedData(path: gz.path, expectedBytes: 18, actualBytes: 17)) { _ = try IDXFile.readImages(at: gz) }
    }

    func testTrailingData() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = try write(imageFile + [1, 2], "long", in: directory)
        assertThrows(.unexpectedTrailingData(path: url.path, expectedBytes: 18, actualBytes: 20)) { _ = try IDXFile.readImages(at: url) }
    }

    func testTruncatedHeader() throws {
        let directory = try makeTemporaryDirectory(self)
        let tiny = try write([0, 0], "tiny", in: directory)
        assertThrows(.truncatedHeader(path: tiny.path, neededBytes: 4, actualBytes: 2)) { _ = try IDXFile.readImages(at: tiny) }
        let partial = try write(Array(imageFile[..<10]), "partial", in: directory)
        assertThrows(.truncatedHeader(path: partial.path, neededBytes: 16, actualBytes: 10)) { _ = try IDXFile.readImages(at: partial) }
    }

    func testWrongMagic() throws {
        let directory = try makeTemporaryDirectory(self)
        var bytes = imageFile
        bytes[2] = 0x09  // data type "signed byte" instead of "unsigned byte"
        let url = try write(bytes, "signed", in: directory)
        assertThrows(.wrongMagic(path: url.path, expected: 0x0803, found: 0x0903)) { _ = try IDXFile.readImages(at: url) }
        let text = try write(Array("hello, world, this is not IDX".utf8), "text", in: directory)
        assertThrows(.wrongMagic(path: text.path, expected: 0x0801, found: 0x6865_6c6c)) { _ = try IDXFile.readLabels(at: text) }
    }

    func testWrongDimensionCount() throws {
        let directory = try makeTemporaryDirectory(self)
        let labels = try write(labelFile, "labels", in: directory)
        let images = try write(imageFile, "images", in: directory)
        // A label file where images are expected, and vice versa.
        assertThrows(.wrongDimensionCount(path: labels.path, expected: 3, found: 1)) { _ = try IDXFile.readImages(at: labels) }
        assertThrows(.wrongDimensionCount(path: images.path, expected: 1, found: 3)) { _ = try IDXFile.readLabels(at: images) }
        let twoDimensional = try write(idxHeader(magic: 0x0802, dimensions: [2, 3]) + [UInt8](repeating: 1, count: 6), "2d", in: directory)
        assertThrows(.wrongDimensionCount(path: twoDimensional.path, expected: 3, found: 2)) {
            _ = try IDXFile.readImages(at: twoDimensional)
        }
    }

    func testTruncatedGzip() throws {
        let directory = try makeTemporaryDirectory(self)
        let compressed = try gzipWithSystemTool(imageFile + [UInt8](repeating: 7, count: 4000), in: directory)
        // Cut in the middle of the deflate data, inside the 8-byte trailer, and just after the header.
        for keep in [compressed.count / 2, compressed.count - 3, 10] {
            let url = try write(Array(compressed[..<keep]), "cut-\(keep).gz", in: directory)
            assertThrows(.truncatedGzip(path: url.path)) { _ = try DataFile.contents(of: url) }
        }
    }

    func testCorruptGzip() throws {
        let directory = try makeTemporaryDirectory(self)
        var compressed = try gzipWithSystemTool(imageFile, in: directory)
        compressed[compressed.count - 6] ^= 0xff  // a byte of the CRC-32
        let url = try write(compressed, "crc.gz", in: directory)
        XCTAssertThrowsError(try IDXFile.readImages(at: url)) { error in
            guard case .corruptGzip(let path, _)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
        let garbage = try write(gzipWithSystemTool(imageFile, in: directory) + [0x41, 0x42, 0x43], "garbage.gz", in: directory)
        XCTAssertThrowsError(try IDXFile.readImages(at: garbage)) { error in
            guard case .corruptGzip(_, let reason)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("trailing"), reason)
        }
    }

    func testCountMismatchAndInvalidLabel() throws {
        let directory = try makeTemporaryDirectory(self)
        let images = try write(imageFile, "images", in: directory)
        let fourLabels = try write(idxHeader(magic: 0x0801, dimensions: [4]) + [1, 2, 3, 4], "four", in: directory)
        assertThrows(.countMismatch(images: images.path, imageCount: 3, labels: fourLabels.path, labelCount: 4)) {
            _ = try LabeledDigits.readIDX(images: images, labels: fourLabels)
        }
        let badLabel = try write(idxHeader(magic: 0x0801, dimensions: [3]) + [1, 10, 3], "bad", in: directory)
        assertThrows(.invalidLabel(path: badLabel.path, index: 1, value: 10)) {
            _ = try LabeledDigits.readIDX(images: images, labels: badLabel)
        }
    }

    func testMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/paretokit/t10k-images-idx3-ubyte.gz")
        assertThrows(.fileNotFound(path: url.path)) { _ = try IDXFile.readImages(at: url) }
    }

    func testErrorMessagesNameFileAndProblem() {
        let message = DatasetError.truncatedData(path: "/d/train-images-idx3-ubyte", expectedBytes: 47_040_000, actualBytes: 100).description
        XCTAssertTrue(message.contains("/d/train-images-idx3-ubyte"))
        XCTAssertTrue(message.contains("truncated"))
        XCTAssertTrue(DatasetError.wrongMagic(path: "f", expected: 0x803, found: 0x801).description.contains("0x00000801"))
        XCTAssertTrue(DatasetError.truncatedGzip(path: "/x.gz").description.contains("/x.gz"))
    }

    func testStratifiedSplitKeepsIdentitiesDisjoint() throws {
        let digits = try SyntheticDigits.make(count: 100, seed: 3)
        let (train, test) = try digits.stratifiedSplit(testFraction: 0.2)
        XCTAssertEqual(train.classCounts, [Int](repeating: 8, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 2, count: 10))
        let trainIDs = Set((0..<train.count).map(train.identity(of:)))
        let testIDs = Set((0..<test.count).map(test.identity(of:)))
        XCTAssertTrue(trainIDs.isDisjoint(with: testIDs))
        XCTAssertEqual(trainIDs.union(testIDs), Set((0..<digits.count).map(digits.identity(of:))))
        // Classes interleave 0,1,…,9,0,1,…: class c's digits are c, c+10, …; the last two go to test.
        XCTAssertEqual(test.sourceIndices.sorted(), (0..<10).flatMap { [80 + $0, 90 + $0] }.sorted())
        for i in 0..<test.count {
            XCTAssertEqual(test.images.image(at: i), digits.images.image(at: test.sourceIndices[i]))
            XCTAssertEqual(test.labels[i], digits.labels[test.sourceIndices[i]])
        }
    }
}
