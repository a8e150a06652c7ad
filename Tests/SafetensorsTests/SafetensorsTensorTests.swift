import Foundation
import Safetensors
import XCTest

/// Round trips, conversions, construction, layout checks and file I/O.
final class SafetensorsTensorTests: XCTestCase {
    /// Binary32 patterns: ±0, ±∞, quiet and signalling NaNs with payloads, subnormals,
    /// extremes, and ordinary values.
    let floatPatterns: [UInt32] = [
        0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7FC0_0001, 0xFFC1_2345,
        0x7F80_0001, 0x7FBF_FFFF, 0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0x3F80_0000,
        0xBDCC_CCCD,
    ]
    /// Binary64 patterns of the same kinds.
    let doublePatterns: [UInt64] = [
        0x0000_0000_0000_0000, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
        0x7FF8_0000_0000_0000, 0x7FF8_0000_0000_0001, 0xFFF8_DEAD_BEEF_0001, 0x7FF0_0000_0000_0001,
        0x0000_0000_0000_0001, 0x800F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF,
        0x3FB9_9999_9999_999A, 0xC000_0000_0000_0000,
    ]

    func testFloatAndDoubleRoundTripIsBitExact() throws {
        let floats = floatPatterns.map(Float.init(bitPattern:))
        let doubles = doublePatterns.map(Double.init(bitPattern:))
        let file = try SafetensorsFile(
            tensors: [
                SafetensorsTensor(name: "f32", shape: [3, 5], floats: floats),
                SafetensorsTensor(name: "f64", shape: [14], doubles: doubles),
            ],
            metadata: ["a": "1"])
        // Stored bytes are the little-endian bit patterns.
        XCTAssertEqual(try file.tensor(named: "f32").data, floatPatterns.flatMap(littleEndianBytes))
        XCTAssertEqual(try file.tensor(named: "f64").data, doublePatterns.flatMap(littleEndianBytes))

        let bytes = file.serialized()
        let parsed = try SafetensorsFile.parse(bytes)
        XCTAssertEqual(parsed, file)
        XCTAssertEqual(try parsed.tensor(named: "f32").floats().map(\.bitPattern), floatPatterns)
        XCTAssertEqual(try parsed.tensor(named: "f64").doubles().map(\.bitPattern), doublePatterns)
        XCTAssertEqual(parsed.serialized(), bytes)
        // The buffer after the header is the F64 data followed by the F32 data.
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(
            Array(bytes[(8 + headerLength)...]),
            doublePatterns.flatMap(littleEndianBytes) + floatPatterns.flatMap(littleEndianBytes))
    }

    func testSerializationIsDeterministic() throws {
        let x = try SafetensorsTensor(name: "x", shape: [2], floats: [1, 2])
        let y = try SafetensorsTensor(name: "y", shape: [1], doubles: [3])
        let z = try SafetensorsTensor(name: "z", dtype: .i32, shape: [1], data: [1, 0, 0, 0])
        var metadataForward: [String: String] = [:]
        var metadataBackward: [String: String] = [:]
        let keys = (0..<20).map { "key\($0)" }
        for key in keys { metadataForward[key] = key }
        for key in keys.reversed() { metadataBackward[key] = key }
        let first = try SafetensorsFile(tensors: [x, y, z], metadata: metadataForward)
        let second = try SafetensorsFile(tensors: [z, x, y], metadata: metadataBackward)
        XCTAssertEqual(first.serialized(), second.serialized())
        XCTAssertEqual(first.serialized(), first.serialized())
        XCTAssertEqual(first, second)
        XCTAssertEqual(try SafetensorsFile.parse(first.serialized()).serialized(), first.serialized())
    }

    func testParsedFileFromUnsortedLayoutReserializesInReferenceLayout() throws {
        // Data laid out by name only (as older writers did): "a" (F32) before "b" (F64).
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}"#
        let payload = littleEndianBytes(UInt32(0x4040_0000)) + littleEndianBytes(UInt64(0x4014_0000_0000_0000))
        let file = try SafetensorsFile.parse(handBuiltFile(header: header, payload: payload))
        XCTAssertEqual(file.names, ["b", "a"])
        let bytes = file.serialized()
        let headerLength = Int(bytes[0])
        XCTAssertEqual(
            String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self),
            paddedToMultipleOf8(
                #"{"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#))
        XCTAssertEqual(
            Array(bytes[(8 + headerLength)...]),
            littleEndianBytes(UInt64(0x4014_0000_0000_0000)) + littleEndianBytes(UInt32(0x4040_0000)))
        XCTAssertEqual(try SafetensorsFile.parse(bytes).tensor(named: "b").doubles(), [5])
        XCTAssertEqual(try SafetensorsFile.parse(bytes).tensor(named: "a").floats(), [3])
    }

    // MARK: Conversions

    func testHalfPrecisionConversionAgainstKnownValues() throws {
        let halves: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x3555]
        let expected: [Float] = [
            1, -2, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14, -0.0, .infinity, -.infinity,
            0.333251953125,
        ]
        let tensor = try SafetensorsTensor(
            name: "h", dtype: .f16, shape: [halves.count], data: halves.flatMap(littleEndianBytes))
        let floats = try tensor.floats()
        XCTAssertEqual(floats.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try tensor.doubles(), expected.map(Double.init))
        let nan = try SafetensorsTensor(name: "n", dtype: .f16, shape: [2], data: [0x00, 0x7E, 0x01, 0xFC])
        XCTAssertEqual(try nan.floats().map(\.bitPattern), [0x7FC0_0000, 0xFF80_2000])
    }

    #if !(os(macOS) && arch(x86_64))
    func testHalfPrecisionConversionMatchesFloat16ForAllPatterns() throws {
        let patterns = (0...UInt16.max).map { $0 }
        let tensor = try SafetensorsTensor(
            name: "h", dtype: .f16, shape: [patterns.count], data: patterns.flatMap(littleEndianBytes))
        let floats = try tensor.floats()
        for (pattern, value) in zip(patterns, floats) {
            let reference = Float(Float16(bitPattern: pattern))
            if reference.isNaN {
                XCTAssertTrue(value.isNaN, "pattern \(pattern)")
            } else if value.bitPattern != reference.bitPattern {
                XCTFail("pattern \(String(pattern, radix: 16)): \(value) ≠ \(reference)")
            }
        }
    }
    #endif

    func testBFloat16Conversion() throws {
        let words: [UInt16] = [0x3F80, 0xC049, 0x0001, 0x7F80, 0x8000]
        let expected: [Float] = [1, -3.140625, Float(bitPattern: 0x0001_0000), .infinity, -0.0]
        let tensor = try SafetensorsTensor(name: "b", dtype: .bf16, shape: [5], data: words.flatMap(littleEndianBytes))
        XCTAssertEqual(try tensor.floats().map(\.bitPattern), expected.map(\.bitPattern))
    }

    func testWideningToDoubleAndRejectedConversions() throws {
        let subnormal = Float(bitPattern: 0x8001_0000)  // −2^−133
        let f32 = try SafetensorsTensor(name: "s", shape: [3], floats: [0.1, subnormal, 3e38])
        XCTAssertEqual(try f32.doubles(), [Double(Float(0.1)), -0x1p-133, Double(Float(3e38))])
        let f64 = try SafetensorsTensor(name: "d", shape: [1], doubles: [0.1])
        assertThrows(.unsupportedConversion(tensor: "d", dtype: .f64, target: "Float")) { try f64.floats() }
        let i32 = try SafetensorsTensor(name: "i", dtype: .i32, shape: [1], data: [1, 0, 0, 0])
        assertThrows(.unsupportedConversion(tensor: "i", dtype: .i32, target: "Float")) { try i32.floats() }
        assertThrows(.unsupportedConversion(tensor: "i", dtype: .i32, target: "Double")) { try i32.doubles() }
        let fp8 = try SafetensorsTensor(name: "q", dtype: .f8E4M3, shape: [1], data: [0x38])
        assertThrows(.unsupportedConversion(tensor: "q", dtype: .f8E4M3, target: "Double")) { try fp8.doubles() }
    }

    // MARK: Construction

    func testConstructionErrors() throws {
        assertThrows(.sizeMismatch(tensor: "w", dtype: .f32, shape: [2, 2], expectedBytes: 16, actualBytes: 12)) {
            try SafetensorsTensor(name: "w", shape: [2, 2], floats: [1, 2, 3])
        }
        assertThrows(.sizeMismatch(tensor: "w", dtype: .f64, shape: [], expectedBytes: 8, actualBytes: 0)) {
            try SafetensorsTensor(name: "w", shape: [], doubles: [])
        }
        assertThrows(.negativeDimension(tensor: "w", shape: [2, -1])) {
            try SafetensorsTensor(name: "w", dtype: .u8, shape: [2, -1], data: [])
        }
        assertThrows(.sizeOverflow(tensor: "w", shape: [Int.max, 2])) {
            try SafetensorsTensor(name: "w", dtype: .u8, shape: [Int.max, 2], data: [])
        }
        let a = try SafetensorsTensor(name: "a", shape: [1], floats: [1])
        let a64 = try SafetensorsTensor(name: "a", shape: [1], doubles: [1])
        assertThrows(.duplicateTensorName("a")) { try SafetensorsFile(tensors: [a, a64]) }
        let reserved = try SafetensorsTensor(name: "__metadata__", shape: [1], floats: [1])
        assertThrows(.reservedTensorName("__metadata__")) { try SafetensorsFile(tensors: [reserved]) }
    }

    func testLookup() throws {
        let file = try SafetensorsFile(tensors: [SafetensorsTensor(name: "a", shape: [1], floats: [4])])
        XCTAssertEqual(file["a"]?.shape, [1])
        XCTAssertNil(file["b"])
        assertThrows(.tensorNotFound("b")) { try file.tensor(named: "b") }
    }

    // MARK: Layout validation

    func testValidateLayout() throws {
        let file = try SafetensorsFile(tensors: [
            SafetensorsTensor(name: "conv.weight", shape: [2, 1, 3, 3], floats: Array(repeating: 0, count: 18)),
            SafetensorsTensor(name: "conv.bias", shape: [2], floats: [0, 0]),
            SafetensorsTensor(name: "extra", shape: [1], floats: [0]),
        ])
        let exact: [(name: String, shape: [Int])] = [("conv.weight", [2, 1, 3, 3]), ("conv.bias", [2])]
        XCTAssertNoThrow(try file.validateLayout(expected: exact, allowExtra: true))
        assertThrows(.layoutMismatch(missing: [], unexpected: ["extra"], shapeMismatches: [])) {
            try file.validateLayout(expected: exact, allowExtra: false)
        }
        let wrong: [(name: String, shape: [Int])] = [
            ("fc.weight", [10, 4]), ("conv.weight", [2, 1, 5, 5]), ("conv.bias", [2]), ("fc.bias", [10]),
        ]
        let expectedError = SafetensorsError.layoutMismatch(
            missing: ["fc.weight", "fc.bias"], unexpected: ["extra"],
            shapeMismatches: [SafetensorsShapeMismatch(name: "conv.weight", expected: [2, 1, 5, 5], actual: [2, 1, 3, 3])])
        assertThrows(expectedError) { try file.validateLayout(expected: wrong, allowExtra: false) }
        let message = expectedError.description
        for fragment in ["\"fc.weight\"", "\"fc.bias\"", "\"extra\"", "\"conv.weight\": expected [2, 1, 5, 5], found [2, 1, 3, 3]"] {
            XCTAssertTrue(message.contains(fragment), message)
        }
    }

    // MARK: Files

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafetensorsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testAtomicWriteReplacesContentAndLeavesNoTemporaryFile() throws {
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        let old = try SafetensorsFile(
            tensors: [SafetensorsTensor(name: "w", shape: [3], floats: [1, 2, 3])], metadata: ["version": "1"])
        let new = try SafetensorsFile(
            tensors: [SafetensorsTensor(name: "w", shape: [2], doubles: [4, 5])], metadata: ["version": "2"])
        try old.write(to: url)
        XCTAssertEqual(try SafetensorsFile.read(from: url), old)
        try new.write(to: url)
        XCTAssertEqual(try [UInt8](Data(contentsOf: url)), new.serialized())
        XCTAssertEqual(try SafetensorsFile.read(from: url), new)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
    }

    func testFailedWriteLeavesTargetAndNoTemporaryFile() throws {
        let directory = try temporaryDirectory()
        // The target is a non-empty directory, so the final rename fails.
        let target = directory.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data([1, 2, 3]).write(to: target.appendingPathComponent("keep"))
        let file = try SafetensorsFile(tensors: [SafetensorsTensor(name: "w", shape: [1], floats: [1])])
        guard case .io(let path, _)? = thrownError({ try file.write(to: target) }) else {
            return XCTFail("expected an I/O error")
        }
        XCTAssertEqual(path, target.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["occupied"])
        XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("keep")), Data([1, 2, 3]))

        let missingDirectory = directory.appendingPathComponent("absent/model.safetensors")
        guard case .io? = thrownError({ try file.write(to: missingDirectory) }) else {
            return XCTFail("expected an I/O error")
        }
        guard case .io? = thrownError({ try SafetensorsFile.read(from: missingDirectory) }) else {
            return XCTFail("expected an I/O error")
        }
    }

    func testReadRejectsCorruptFileOnDisk() throws {
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("bad.safetensors")
        try Data([1, 0, 0]).write(to: url)
        assertThrows(.fileTooShort(byteCount: 3)) { try SafetensorsFile.read(from: url) }
    }
}
