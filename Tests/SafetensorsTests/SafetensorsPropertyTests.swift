import PropertyBased
import Safetensors
import XCTest

/// Property-based tests of the safetensors parser: random valid files round-trip; truncations,
/// extensions and random byte changes are rejected with a `SafetensorsError` (or, where a change
/// leaves a valid file, decoded consistently), never a trap. The generators of
/// x-sheep/swift-property-based are driven by a Xoshiro generator with a fixed seed, so every run
/// tests the same cases.
final class SafetensorsPropertyTests: XCTestCase {
    /// A random tensor description: name, dtype, shape, and a seed for its bytes.
    struct TensorSpec {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var fill: UInt64
    }

    /// Names with the characters the writer must escape (quote, backslash, control characters),
    /// non-ASCII letters and ordinary ones.
    static let nameCharacters = Gen.element(of: Array("ab_.0/\"\\\u{01}\n\té✓ ")).compactMap { $0 }
    static let tensorSpec = zip(
        nameCharacters.string(of: 1...6), Gen<SafetensorsDType>.case, Gen.int(in: 0...3).array(of: 0...3),
        Gen.uint64(in: 0...UInt64.max)
    ).map { TensorSpec(name: $0, dtype: $1, shape: $2, fill: $3) }
    static let fileSpec = zip(
        tensorSpec.array(of: 0...5),
        zip(nameCharacters.string(of: 0...4), nameCharacters.string(of: 0...6)).array(of: 0...3))

    /// `count` pseudo-random bytes from `seed` (SplitMix64, independent of the code under test).
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    /// The file described by `spec`, or `nil` when the description is not a valid file
    /// (a fractional byte count for 4- and 6-bit dtypes, repeated names).
    static func file(_ spec: (tensors: [TensorSpec], metadata: [(String, String)])) -> SafetensorsFile? {
        var tensors: [SafetensorsTensor] = []
        for tensor in spec.tensors {
            let bits = tensor.shape.reduce(1, *) * tensor.dtype.bitSize
            guard bits % 8 == 0 else { return nil }
            guard let made = try? SafetensorsTensor(
                name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, data: bytes(count: bits / 8, seed: tensor.fill))
            else { return nil }
            tensors.append(made)
        }
        let metadata = Dictionary(spec.metadata, uniquingKeysWith: { first, _ in first })
        return try? SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Random valid files: `count` cases with a fixed seed.
    func forEachValidFile(count: Int, seed: UInt64, _ body: (SafetensorsFile, inout Xoshiro) throws -> Void) rethrows {
        var rng = Xoshiro(seed: (seed, 0x5AFE_7E45_0125_0001, 0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210))
        var tested = 0
        while tested < count {
            guard let file = Self.file(Self.fileSpec.run(using: &rng)) else { continue }
            tested += 1
            try body(file, &rng)
        }
    }

    /// Parses `bytes`, failing the test if anything but a `SafetensorsError` is thrown.
    func parseOrError(_ bytes: [UInt8], _ context: String) -> Result<SafetensorsFile, SafetensorsError>? {
        do {
            return .success(try SafetensorsFile.parse(bytes))
        } catch let error as SafetensorsError {
            return .failure(error)
        } catch {
            XCTFail("\(context): a foreign error was thrown: \(error)")
            return nil
        }
    }

    func testRandomValidFilesRoundTrip() throws {
        var nonEmpty = 0
        try forEachValidFile(count: 60, seed: 1) { file, _ in
            let bytes = file.serialized()
            let parsed = try SafetensorsFile.parse(bytes)
            XCTAssertEqual(parsed, file)
            XCTAssertEqual(parsed.serialized(), bytes, "the serialization is not canonical")
            for tensor in file {
                XCTAssertEqual(parsed[tensor.name]?.data, tensor.data, tensor.name)
            }
            if !file.isEmpty { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 30, "the generator produced too few files with tensors")
    }

    func testEveryTruncationAndExtensionIsRejected() {
        forEachValidFile(count: 30, seed: 2) { file, rng in
            let bytes = file.serialized()
            let cut = Int.random(in: 0..<bytes.count, using: &rng)
            if case .success = parseOrError(Array(bytes[..<cut]), "truncated at \(cut)") {
                XCTFail("a file truncated from \(bytes.count) to \(cut) bytes was accepted")
            }
            let extra = Self.bytes(count: Int.random(in: 1...9, using: &rng), seed: rng.next())
            if case .success = parseOrError(bytes + extra, "extended") {
                XCTFail("a file with \(extra.count) trailing bytes was accepted")
            }
        }
    }

    func testRandomByteChangesAreRejectedOrDecodedConsistently() {
        var rejected = 0, accepted = 0
        forEachValidFile(count: 80, seed: 3) { file, rng in
            var bytes = file.serialized()
            let headerEnd = 8 + Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            let original = bytes[position]
            bytes[position] = original ^ UInt8.random(in: 1...255, using: &rng)
            switch parseOrError(bytes, "byte \(position) changed") {
            case .success(let changed):
                accepted += 1
                if position >= headerEnd {
                    // A change in the data buffer keeps the layout: same tensors, the byte changed.
                    XCTAssertEqual(changed.names, file.names)
                    XCTAssertEqual(changed.serialized(), bytes)
                } else {
                    XCTAssertEqual(try? SafetensorsFile.parse(changed.serialized()), changed, "re-serialization changed the file")
                }
                XCTAssertGreaterThanOrEqual(position, 8, "a changed length prefix was accepted")
            case .failure:
                rejected += 1
                XCTAssertLessThan(position, headerEnd, "a change in the data buffer was rejected")
            case nil:
                break
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }

    func testRandomBytesAfterAValidPrefixNeverTrap() {
        var rng = Xoshiro(seed: (4, 1, 2, 3))
        let lengthAndGarbage = zip(Gen.uint64(in: 0...300), Gen.uint8(in: 0...255).array(of: 0...300))
        for _ in 0..<200 {
            let (length, body) = lengthAndGarbage.run(using: &rng)
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + body
            if case .success(let file) = parseOrError(bytes, "random body") {
                XCTAssertEqual(try? SafetensorsFile.parse(file.serialized()), file)
            }
        }
    }
}
