import Expansion
import Foundation
import NetworkExpansion
import PropertyBased
import XCTest

/// Property-based tests of the state.json decoder (`NetworkRunRecord` through `JSONDecoder`, as
/// `NetworkExpansion.resume` reads it): random valid records round-trip; truncations and random
/// byte changes are rejected with a `DecodingError` (or decoded consistently), never a trap.
/// Generators of x-sheep/swift-property-based run on a Xoshiro generator with a fixed seed.
final class NetworkRunRecordPropertyTests: XCTestCase {
    static let real = Gen.oneOf(
        Gen.double(in: -2...2), Gen.double(in: -1e300...1e300),
        Gen.element(of: [0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1]).compactMap { $0 })
    static let vector = real.array(of: 0...3)
    static let text = Gen.element(of: Array("az-_/é\"\\\n0")).compactMap { $0 }.string(of: 0...8)
    static let count = Gen.int(in: 0...10_000)

    /// A random state.json object, keyed as `NetworkRunRecord`'s coding keys (the file format),
    /// written with `JSONSerialization`, independently of the type's encoder.
    static let point = zip(
        zip(count, count.optional, Gen.int(in: 0...2).optional, count),
        zip(vector, count, text, vector),
        zip(vector, vector, real)
    ).map { a, b, c -> [String: Any] in
        var point: [String: Any] = [
            "id": a.0, "direction_index": a.3, "minres_iterations": b.1, "residual_norms": b.0, "optimize_iterations": b.1 / 2,
            "checkpoint": b.2, "train_loss": b.3, "test_loss": c.0, "test_accuracy": c.1, "stationarity": c.2,
        ]
        point["parent"] = a.1
        point["heading"] = a.2
        return point
    }
    static let record = zip(
        zip(text, zip(text, text).array(of: 0...4), vector, vector, vector),
        zip(real, real, point.array(of: 0...3), count, count),
        zip(count, count, count.array(of: 0...4), real, vector)
    ).map { a, b, c -> [String: Any] in
        [
            "version": 1, "method": a.0, "configuration": Dictionary(a.1, uniquingKeysWith: { first, _ in first }),
            "reference": a.2, "input_test_loss": a.3, "input_test_accuracy": a.4,
            "stationarity": ["before": b.0, "after": b.1], "points": b.2, "next_to_expand": b.3, "next_direction": b.4,
            "candidates": c.0, "rejected": c.1, "optimize_iterations": c.0 / 2, "minres_iterations": c.2,
            "evaluations": ["objectives": c.0, "gradients": c.1, "hvps": b.3], "gradient_seconds": c.3,
            "hvp_seconds": c.3 / 2, "elapsed_seconds": c.3, "step_seconds": c.4,
        ]
    }

    func forEachRecord(count: Int, seed: UInt64, _ body: ([String: Any], Data, inout Xoshiro) throws -> Void) throws {
        var rng = Xoshiro(seed: (seed, 0x57A7_E001, 0x0150_0002, 0x9E37_79B9_7F4A_7C15))
        for _ in 0..<count {
            let object = Self.record.run(using: &rng)
            try body(object, try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), &rng)
        }
    }

    /// The decoded record, or the error; fails the test if anything but a `DecodingError` is thrown.
    func decode(_ bytes: Data, _ context: String) -> Result<NetworkRunRecord, DecodingError>? {
        do {
            return .success(try JSONDecoder().decode(NetworkRunRecord.self, from: bytes))
        } catch let error as DecodingError {
            return .failure(error)
        } catch {
            XCTFail("\(context): a foreign error was thrown: \(error)")
            return nil
        }
    }

    func testRandomRecordsDecodeToTheirContentsAndRoundTrip() throws {
        try forEachRecord(count: 40, seed: 51) { object, bytes, _ in
            guard case .success(let record) = decode(bytes, "valid record") else { return XCTFail("a valid state.json was rejected") }
            XCTAssertEqual(record.method, object["method"] as? String)
            XCTAssertEqual(record.configuration, object["configuration"] as? [String: String])
            XCTAssertEqual(record.reference, object["reference"] as? [Double])
            XCTAssertEqual(record.stepSeconds, object["step_seconds"] as? [Double])
            XCTAssertEqual(record.minresIterations, object["minres_iterations"] as? [Int])
            XCTAssertEqual(record.evaluations.objectives, object["candidates"] as? Int)
            let points = object["points"] as! [[String: Any]]
            XCTAssertEqual(record.points.map(\.id), points.map { $0["id"] as! Int })
            XCTAssertEqual(record.points.map(\.parent), points.map { $0["parent"] as? Int })
            XCTAssertEqual(record.points.map(\.checkpoint), points.map { $0["checkpoint"] as! String })
            XCTAssertEqual(record.points.map(\.trainLoss), points.map { $0["train_loss"] as! [Double] })
            let again = try JSONDecoder().decode(NetworkRunRecord.self, from: JSONEncoder().encode(record))
            XCTAssertEqual(again, record)
        }
    }

    func testTruncatedRecordsAreRejected() throws {
        try forEachRecord(count: 40, seed: 52) { _, bytes, rng in
            let cut = Int.random(in: 0..<bytes.count, using: &rng)
            if case .success = decode(bytes.prefix(cut), "cut at \(cut)") {
                XCTFail("a state.json truncated from \(bytes.count) to \(cut) bytes was accepted")
            }
        }
    }

    func testRandomByteChangesAreRejectedOrDecodedConsistently() throws {
        var rejected = 0
        try forEachRecord(count: 80, seed: 53) { _, bytes, rng in
            var changed = [UInt8](bytes)
            let position = Int.random(in: 0..<changed.count, using: &rng)
            changed[position] = Gen.element(of: Array("{}[]\",:0-9e.ntf \\".utf8) + [0, 0xff]).compactMap { $0 }.run(using: &rng)
            switch decode(Data(changed), "byte \(position) changed") {
            case .success(let decoded):
                let again = try JSONDecoder().decode(NetworkRunRecord.self, from: JSONEncoder().encode(decoded))
                XCTAssertEqual(again, decoded, "a decoded state.json does not survive encoding")
            case .failure: rejected += 1
            case nil: break
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }
}
