import Foundation
import Safetensors
import XCTest

/// Files built byte by byte from the format description, and the writer checked against the
/// reference implementation's own test vectors.
final class SafetensorsFormatTests: XCTestCase {
    /// The F32 payload 1.5, −0.25 and the F64 payload 1, −2, 0.1, 6.25, as explicit bit patterns.
    let conv1BiasBytes = littleEndianBytes(UInt32(0x3FC0_0000)) + littleEndianBytes(UInt32(0xBE80_0000))
    let fcWeightBytes =
        littleEndianBytes(UInt64(0x3FF0_0000_0000_0000)) + littleEndianBytes(UInt64(0xC000_0000_0000_0000))
        + littleEndianBytes(UInt64(0x3FB9_9999_9999_999A)) + littleEndianBytes(UInt64(0x4019_0000_0000_0000))

    private func checkConvAndFC(_ file: SafetensorsFile) throws {
        XCTAssertEqual(file.count, 2)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        let bias = try file.tensor(named: "conv1.bias")
        XCTAssertEqual(bias.dtype, .f32)
        XCTAssertEqual(bias.shape, [2])
        XCTAssertEqual(bias.data, conv1BiasBytes)
        XCTAssertEqual(try bias.floats(), [1.5, -0.25])
        let weight = try file.tensor(named: "fc.weight")
        XCTAssertEqual(weight.dtype, .f64)
        XCTAssertEqual(weight.shape, [2, 2])
        XCTAssertEqual(weight.data, fcWeightBytes)
        XCTAssertEqual(try weight.doubles(), [1.0, -2.0, 0.1, 6.25])
        // Layout order: F64 has a higher alignment rank than F32.
        XCTAssertEqual(file.names, ["fc.weight", "conv1.bias"])
    }

    func testHandBuiltCompactHeader() throws {
        let header = #"{"__metadata__":{"format":"pt"},"conv1.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"fc.weight":{"dtype":"F64","shape":[2,2],"data_offsets":[8,40]}}"#
        XCTAssertEqual(header.utf8.count, 158)
        let bytes = handBuiltFile(header: header, payload: conv1BiasBytes + fcWeightBytes)
        XCTAssertEqual(Array(bytes[0..<8]), [158, 0, 0, 0, 0, 0, 0, 0])
        try checkConvAndFC(SafetensorsFile.parse(bytes))
    }

    func testHandBuiltPaddedHeaderWithUnsortedKeys() throws {
        // Keys in no sorted order, fields in a different order, metadata last, Python-style
        // separators, F64 data first in the buffer, and trailing space padding.
        let header = paddedToMultipleOf8(
            #"{"fc.weight": {"data_offsets": [0, 32], "shape": [2, 2], "dtype": "F64"}, "#
                + #""conv1.bias": {"shape": [2], "dtype": "F32", "data_offsets": [32, 40]}, "#
                + #""__metadata__": {"format": "pt"}}"#)
        XCTAssertEqual(header.utf8.count % 8, 0)
        XCTAssertTrue(header.hasSuffix(" "))
        let bytes = handBuiltFile(header: header, payload: fcWeightBytes + conv1BiasBytes)
        try checkConvAndFC(SafetensorsFile.parse(bytes))
    }

    func testHandBuiltScalarEmptyAndIntegerTensors() throws {
        let header = paddedToMultipleOf8(
            #"{"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"#
                + #""empty":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"#
                + #""labels":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#)
        let payload = littleEndianBytes(UInt64(bitPattern: -7)) + [2, 0, 255]
        let file = try SafetensorsFile.parse(handBuiltFile(header: header, payload: payload))
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(try file.tensor(named: "step").shape, [])
        XCTAssertEqual(try file.tensor(named: "step").elementCount, 1)
        XCTAssertEqual(try file.tensor(named: "step").data, littleEndianBytes(UInt64(bitPattern: -7)))
        XCTAssertEqual(try file.tensor(named: "empty").shape, [0, 3])
        XCTAssertEqual(try file.tensor(named: "empty").floats(), [])
        XCTAssertEqual(try file.tensor(named: "labels").data, [2, 0, 255])
    }

    func testHandBuiltSubByteDType() throws {
        // Four F4 elements occupy 4 × 4 bits = 2 bytes.
        let header = #"{"q":{"dtype":"F4","shape":[2,2],"data_offsets":[0,2]}}"#
        let file = try SafetensorsFile.parse(handBuiltFile(header: header, payload: [0x12, 0x34]))
        XCTAssertEqual(file[0].dtype, .f4)
        XCTAssertEqual(file[0].data, [0x12, 0x34])
    }

    func testHeaderWithEscapedKeysAndUnicode() throws {
        // "\u0061\/b" is the name "a/b"; "\u00e9" is "é"; the metadata value holds JSON text.
        let header = #"{"\u0061\/b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"caf\u00e9":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"__metadata__":{"config":"{\"layers\": [1, 2]}"}}"#
        let file = try SafetensorsFile.parse(handBuiltFile(header: header, payload: [7, 9]))
        XCTAssertEqual(try file.tensor(named: "a/b").data, [7])
        XCTAssertEqual(try file.tensor(named: "café").data, [9])
        XCTAssertEqual(file.metadata["config"], #"{"layers": [1, 2]}"#)
    }

    // MARK: Writer against the reference implementation's test vectors

    /// `test_serialization` in huggingface/safetensors `safetensors/src/tensor.rs`.
    func testWriterMatchesReferenceSerializationVector() throws {
        let tensor = try SafetensorsTensor(name: "attn.0", shape: [1, 2, 3], floats: [0, 1, 2, 3, 4, 5])
        let expected: [UInt8] = [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ]
        XCTAssertEqual(try SafetensorsFile(tensors: [tensor]).serialized(), expected)
    }

    /// `test_serialization_forced_alignement` in the reference: 7 spaces pad the header to 72.
    func testWriterMatchesReferenceAlignmentVector() throws {
        let tensor = try SafetensorsTensor(name: "attn0", shape: [1, 1, 2, 3], floats: [0, 1, 2, 3, 4, 5])
        let expected: [UInt8] = [
            72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
            160, 64,
        ]
        XCTAssertEqual(try SafetensorsFile(tensors: [tensor]).serialized(), expected)
    }

    /// `test_empty` in the reference: no tensors, without and with metadata.
    func testWriterMatchesReferenceEmptyVectors() throws {
        XCTAssertEqual(
            try SafetensorsFile(tensors: []).serialized(),
            [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        XCTAssertEqual(
            try SafetensorsFile(tensors: [], metadata: ["framework": "pt"]).serialized(),
            [
                40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32,
            ])
    }

    /// Layout: descending reference dtype rank (U64 > I64 > F64 > … > F32 > … > F16 > … > U8),
    /// then name; offsets are cumulative byte sizes. Checked by decoding the header with
    /// `JSONSerialization` in the test.
    func testWriterLayoutOrderAndOffsets() throws {
        let tensors = [
            try SafetensorsTensor(name: "b", shape: [2], floats: [1, 2]),  // F32, 8 bytes
            try SafetensorsTensor(name: "d", dtype: .u8, shape: [3], data: [1, 2, 3]),  // 3 bytes
            try SafetensorsTensor(name: "z", dtype: .i64, shape: [1], data: Array(repeating: 0, count: 8)),
            try SafetensorsTensor(name: "a", shape: [1], floats: [3]),  // F32, 4 bytes
            try SafetensorsTensor(name: "c", dtype: .f16, shape: [2], data: [0, 60, 0, 188]),  // 4 bytes
            try SafetensorsTensor(name: "y", shape: [2], doubles: [5, 6]),  // F64, 16 bytes
        ]
        let file = try SafetensorsFile(tensors: tensors)
        XCTAssertEqual(file.names, ["z", "y", "a", "b", "c", "d"])
        let bytes = file.serialized()
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(bytes.count, 8 + headerLength + 8 + 16 + 4 + 8 + 4 + 3)
        let headerText = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        // Keys appear in layout order.
        let positions = ["\"z\"", "\"y\"", "\"a\"", "\"b\"", "\"c\"", "\"d\""].map {
            headerText.range(of: $0)!.lowerBound
        }
        XCTAssertEqual(positions, positions.sorted())
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: [String: Any]])
        let expectedOffsets: [String: [Int]] = [
            "z": [0, 8], "y": [8, 24], "a": [24, 28], "b": [28, 36], "c": [36, 40], "d": [40, 43],
        ]
        for (name, offsets) in expectedOffsets {
            XCTAssertEqual(json[name]?["data_offsets"] as? [Int], offsets, name)
        }
        XCTAssertEqual(json["c"]?["dtype"] as? String, "F16")
        XCTAssertEqual(json["d"]?["shape"] as? [Int], [3])
    }

    func testWriterEscapesNamesLikeSerdeJSON() throws {
        let name = "a\"b\\c/d\n\t\u{01}\u{1F}é"
        let tensor = try SafetensorsTensor(name: name, dtype: .u8, shape: [1], data: [42])
        let file = try SafetensorsFile(tensors: [tensor], metadata: ["note": "x\r\u{08}\u{0C}y"])
        let bytes = file.serialized()
        let headerLength = Int(bytes[0])
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains(#""a\"b\\c/d\n\t\u0001\u001fé""#), header)
        XCTAssertTrue(header.contains(#""note":"x\r\b\fy""#), header)
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        XCTAssertNotNil(json[name])
        let reparsed = try SafetensorsFile.parse(bytes)
        XCTAssertEqual(reparsed, file)
        XCTAssertEqual(try reparsed.tensor(named: name).data, [42])
    }

    func testMetadataKeysAreSortedInHeader() throws {
        var metadata: [String: String] = [:]
        for key in ["zeta", "alpha", "Mid", "_x", "beta"] { metadata[key] = key.uppercased() }
        let bytes = try SafetensorsFile(tensors: [], metadata: metadata).serialized()
        let header = String(decoding: bytes[8...], as: UTF8.self)
        XCTAssertTrue(
            header.hasPrefix(#"{"__metadata__":{"Mid":"MID","_x":"_X","alpha":"ALPHA","beta":"BETA","zeta":"ZETA"}}"#),
            header)
    }
}
