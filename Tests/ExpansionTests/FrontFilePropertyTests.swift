import Expansion
import Foundation
import PropertyBased
import XCTest

/// Property-based tests of `FrontFile.read(from:)` (front.json) and of the command line's
/// number-list parser `NumberList.parse`: random valid inputs round-trip; truncations and random
/// byte changes are rejected with an error (or decoded consistently), never a trap. Generators of
/// x-sheep/swift-property-based run on a Xoshiro generator with a fixed seed.
final class FrontFilePropertyTests: XCTestCase {
    /// Finite doubles of all magnitudes, including ±0, subnormals and the extremes.
    static let real = Gen.oneOf(
        Gen.double(in: -2...2), Gen.double(in: -1e300...1e300),
        Gen.element(of: [0, -0.0, 1, .leastNonzeroMagnitude, -2.2250738585072014e-308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.1])
            .compactMap { $0 })
    static let vector = real.array(of: 1...3)
    static let text = Gen.element(of: Array("abz-_/é\"\\\n\u{7}0")).compactMap { $0 }.string(of: 0...8)

    static let point = zip(
        zip(Gen.int(in: 0...1000), Gen.int(in: 0...1000).optional, real.optional, vector.optional),
        zip(vector.optional, text.optional, vector, Gen.int(in: 1...3).optional),
        zip(real.optional, vector.optional, Gen.int(in: 0...500).optional, real.optional)
    ).map { a, b, c in
        FrontFile.Point(
            id: a.0, parent: a.1, t: a.2, preference: a.3, parameters: b.0, checkpoint: b.1, objectives: b.2, favours: b.3,
            distanceToFront: c.0, testLoss: c.1, minresIterations: c.2, stationarity: c.3)
    }
    static let sample = zip(Gen.bool, real, vector, Gen.bool).map { useT, t, objectives, dominated in
        FrontFile.Sample(CurveSample(
            coordinate: useT ? .t(t) : .preference(objectives), objectives: objectives, dominated: dominated))
    }
    static let front = zip(
        zip(text, text.optional, Gen.uint64(in: 0...UInt64.max), text, vector),
        zip(real, real, point.array(of: 0...4), sample.array(of: 0...4)),
        zip(Gen.int(in: 0...10_000), Gen.int(in: 0...100), Gen.int(in: 0...10).optional, real.optional)
    ).map { a, b, c in
        FrontFile(
            problem: a.0, architecture: a.1, seed: a.2, method: a.3, reference: a.4, hypervolume: b.0, pointsHypervolume: b.1,
            points: b.2, curve: b.3, evaluations: EvaluationCounts(objectives: c.0, gradients: c.1, hvps: c.0 / 3),
            candidates: c.0, rejected: c.1, stationarity: c.3.map { .init(before: $0, after: $0 / 2) }, trainImages: c.2)
    }

    /// Runs `body` on `count` values of `generator`, drawn with a fixed seed.
    func forEachCase<T>(
        _ generator: Generator<T, some Sequence>, count: Int, seed: UInt64, _ body: (T, inout Xoshiro) throws -> Void
    ) rethrows {
        var rng = Xoshiro(seed: (seed, 0xF207_0001, 0x0F11_E002, 0x9E37_79B9_7F4A_7C15))
        for _ in 0..<count { try body(generator.run(using: &rng), &rng) }
    }

    func temporaryFile() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-front-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory.appendingPathComponent("front.json")
    }

    /// `FrontFile.read` of `bytes`; fails the test if anything but a `FrontFileError` is thrown.
    func read(_ bytes: Data, at url: URL, _ context: String) -> Result<FrontFile, FrontFileError>? {
        do {
            try bytes.write(to: url)
            return .success(try FrontFile.read(from: url))
        } catch let error as FrontFileError {
            XCTAssertTrue("\(error)".contains(url.path), "\(error) does not name the file")
            return .failure(error)
        } catch {
            XCTFail("\(context): a foreign error was thrown: \(error)")
            return nil
        }
    }

    func testRandomFrontFilesRoundTrip() throws {
        let url = try temporaryFile()
        try forEachCase(Self.front, count: 40, seed: 31) { front, _ in
            let bytes = try front.encoded()
            guard case .success(let decoded) = read(bytes, at: url, "valid file") else { return XCTFail("a valid front file was rejected") }
            XCTAssertEqual(decoded, front)
            XCTAssertEqual(try decoded.encoded(), bytes, "the encoding is not canonical")
        }
    }

    func testTruncatedFrontFilesAreRejected() throws {
        let url = try temporaryFile()
        try forEachCase(Self.front, count: 40, seed: 32) { front, rng in
            let bytes = try front.encoded()
            let cut = Int.random(in: 0..<bytes.count, using: &rng)
            if case .success = read(bytes.prefix(cut), at: url, "cut at \(cut)") {
                XCTFail("a front file truncated from \(bytes.count) to \(cut) bytes was accepted")
            }
        }
    }

    func testRandomByteChangesAreRejectedOrDecodedConsistently() throws {
        let url = try temporaryFile()
        var rejected = 0
        try forEachCase(Self.front, count: 80, seed: 33) { front, rng in
            var bytes = [UInt8](try front.encoded())
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[position] = Gen.element(of: Array("{}[]\",:0-9e.ntf \\".utf8) + [0, 0xff]).compactMap { $0 }.run(using: &rng)
            switch read(Data(bytes), at: url, "byte \(position) changed") {
            case .success(let changed):
                let again = try JSONDecoder().decode(FrontFile.self, from: changed.encoded())
                XCTAssertEqual(again, changed, "a decoded front file does not survive encoding")
            case .failure: rejected += 1
            case nil: break
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }

    // MARK: NumberList

    func testNumberListsRoundTrip() {
        let spacing = Gen.element(of: ["", " ", "\t", "  "]).compactMap { $0 }
        forEachCase(zip(Self.real.array(of: 1...6), spacing.array(of: 12)), count: 200, seed: 41) { input, _ in
            let (values, spaces) = input
            XCTAssertEqual(NumberList.parse(NumberList.format(values)), values)
            let spaced = values.enumerated().map { spaces[2 * $0.offset % 12] + "\($0.element)" + spaces[(2 * $0.offset + 1) % 12] }
            XCTAssertEqual(NumberList.parse(spaced.joined(separator: ",")), values, spaced.joined(separator: ","))
        }
    }

    func testNumberListRejectsEmptyFieldsAndNonFiniteValues() {
        for text in ["", ",", "1,", ",1", "1,,2", " ", "nan", "1,inf", "-inf", "1e400", "1;2", "0x", "1 2", "--1", "1e"] {
            XCTAssertNil(NumberList.parse(text), "'\(text)' was accepted")
        }
        XCTAssertEqual(NumberList.parse("-2.5,1.77,0"), [-2.5, 1.77, 0])
        XCTAssertEqual(NumberList.parse(" 0x1p-2 ,\t+4"), [0.25, 4])
    }

    func testRandomTextNeverTrapsAndAcceptsOnlyFiniteLists() {
        let character = Gen.element(of: Array("0123456789.,-+eExXpP \tinfa\u{0}\u{a0}é")).compactMap { $0 }
        forEachCase(character.string(of: 0...16), count: 500, seed: 42) { text, _ in
            guard let values = NumberList.parse(text) else { return }
            XCTAssertEqual(values.count, text.filter { $0 == "," }.count + 1, text)
            XCTAssertTrue(values.allSatisfy(\.isFinite), text)
            XCTAssertEqual(NumberList.parse(NumberList.format(values)), values, text)
        }
    }
}
