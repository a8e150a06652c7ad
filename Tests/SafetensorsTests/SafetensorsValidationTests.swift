import Foundation
import Safetensors
import XCTest

/// Corrupt and malformed files: each must throw the error that names the problem.
final class SafetensorsValidationTests: XCTestCase {
    /// One F32 tensor "w" of shape [2] holding 1.0, 2.0.
    let wHeader = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let wPayload = littleEndianBytes(UInt32(0x3F80_0000)) + littleEndianBytes(UInt32(0x4000_0000))

    private func parse(header: String, payload: [UInt8]) throws -> SafetensorsFile {
        try SafetensorsFile.parse(handBuiltFile(header: header, payload: payload))
    }

    func testValidBaseline() throws {
        let file = try parse(header: wHeader, payload: wPayload)
        XCTAssertEqual(try file.tensor(named: "w").floats(), [1, 2])
    }

    func testEveryPrefixThrowsTheMatchingError() throws {
        let header = paddedToMultipleOf8(
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#)
        let payload = Array(1...16).map(UInt8.init)
        let complete = handBuiltFile(header: header, payload: payload)
        XCTAssertNoThrow(try SafetensorsFile.parse(complete))
        let headerLength = header.utf8.count
        for length in 0..<complete.count {
            let expected: SafetensorsError
            if length < 8 {
                expected = .fileTooShort(byteCount: length)
            } else if length < 8 + headerLength {
                expected = .headerLengthExceedsFile(
                    declaredLength: UInt64(headerLength), bytesAfterPrefix: length - 8)
            } else if length - 8 - headerLength < 8 {
                expected = .bufferTruncated(tensor: "a", end: 8, bufferLength: length - 8 - headerLength)
            } else {
                expected = .bufferTruncated(tensor: "b", end: 16, bufferLength: length - 8 - headerLength)
            }
            assertThrows(expected) { try SafetensorsFile.parse(Array(complete.prefix(length))) }
        }
    }

    func testWrongDeclaredHeaderLength() {
        let count = UInt64(wHeader.utf8.count)
        // One byte short: the closing brace falls outside the header.
        XCTAssertEqual(
            thrownError {
                try SafetensorsFile.parse(handBuiltFile(header: wHeader, payload: wPayload, declaredLength: count - 1))
            }.map { if case .invalidJSON = $0 { true } else { false } }, true)
        // One byte long: the first data byte (0x00) becomes part of the header.
        XCTAssertEqual(
            thrownError {
                try SafetensorsFile.parse(handBuiltFile(header: wHeader, payload: wPayload, declaredLength: count + 1))
            }.map { if case .invalidJSON = $0 { true } else { false } }, true)
        // A padded header declared one byte short is still valid JSON; the leftover space
        // then sits in the data buffer as a trailing byte.
        let padded = wHeader + "       "
        assertThrows(.trailingBytes(count: 1, dataEnd: 8)) {
            try SafetensorsFile.parse(
                handBuiltFile(header: padded, payload: wPayload, declaredLength: UInt64(padded.utf8.count - 1)))
        }
    }

    func testHugeDeclaredHeaderLength() {
        assertThrows(.headerTooLarge(declaredLength: UInt64.max, limit: 100_000_000)) {
            try SafetensorsFile.parse(handBuiltFile(header: wHeader, payload: wPayload, declaredLength: .max))
        }
        assertThrows(.headerTooLarge(declaredLength: 100_000_001, limit: 100_000_000)) {
            try SafetensorsFile.parse(handBuiltFile(header: wHeader, payload: wPayload, declaredLength: 100_000_001))
        }
        let available = wHeader.utf8.count + wPayload.count
        assertThrows(.headerLengthExceedsFile(declaredLength: 100_000_000, bytesAfterPrefix: available)) {
            try SafetensorsFile.parse(handBuiltFile(header: wHeader, payload: wPayload, declaredLength: 100_000_000))
        }
    }

    func testHeaderNotUTF8() {
        // The header {"w\u{FF}":1} with a raw 0xFF byte, which never occurs in UTF-8.
        let bytes = littleEndianBytes(UInt64(8)) + Array(#"{"w"#.utf8) + [0xFF] + Array(#"":1}"#.utf8)
        XCTAssertEqual(bytes.count, 8 + 8)
        assertThrows(.headerNotUTF8) { try SafetensorsFile.parse(bytes) }
    }

    func testInvalidJSON() throws {
        let error = thrownError { try parse(header: paddedToMultipleOf8(#"{"w":{"dtype":"F32","#), payload: []) }
        guard case .invalidJSON(let detail)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertFalse(detail.isEmpty)
        XCTAssertTrue(
            {
                if case .invalidJSON? = thrownError({ try parse(header: "", payload: []) }) { return true }
                return false
            }())
    }

    func testDeeplyNestedHeaderIsRejectedWithoutCrashing() {
        let depth = 100_000
        let header = #"{"__metadata__":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        guard case .invalidJSON? = thrownError({ try parse(header: header, payload: []) }) else {
            return XCTFail("expected invalid JSON")
        }
    }

    func testHeaderNotAnObject() {
        assertThrows(.headerNotObject) { try parse(header: "[1,2,3] ", payload: []) }
    }

    func testHeaderMustStartWithBrace() {
        assertThrows(.headerDoesNotStartWithBrace(firstByte: 0x20)) { try parse(header: "       {}", payload: []) }
        assertThrows(.headerDoesNotStartWithBrace(firstByte: 0x0A)) { try parse(header: "\n{}", payload: []) }
    }

    func testDuplicateKeys() {
        let twice = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertThrows(.duplicateKey(key: "w", location: "the header object")) {
            try parse(header: twice, payload: wPayload)
        }
        let escaped = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"\u0077":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertThrows(.duplicateKey(key: "w", location: "the header object")) {
            try parse(header: escaped, payload: wPayload)
        }
        let field = #"{"w":{"dtype":"F64","dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertThrows(.duplicateKey(key: "dtype", location: "the object under key \"w\"")) {
            try parse(header: field, payload: wPayload)
        }
        let metadata = #"{"__metadata__":{"k":"1","k":"2"}}"#
        assertThrows(.duplicateKey(key: "k", location: "the object under key \"__metadata__\"")) {
            try parse(header: metadata, payload: [])
        }
        // Keys inside string values and arrays are not keys.
        let notKeys = #"{"__metadata__":{"a":"\"a\":","b":"{\"a\":1,\"a\":2}"}}"#
        XCTAssertNoThrow(try parse(header: notKeys, payload: []))
    }

    func testEntryMissingFieldsAndWrongTypes() {
        func entryDetail(_ header: String) -> String? {
            guard case .invalidTensorEntry(let tensor, let detail)? = thrownError({ try parse(header: header, payload: wPayload) })
            else { return nil }
            XCTAssertEqual(tensor, "w")
            return detail
        }
        XCTAssertEqual(entryDetail(#"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#), #"missing field "shape""#)
        XCTAssertEqual(entryDetail(#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#), #"missing field "dtype""#)
        XCTAssertEqual(entryDetail(#"{"w":{"dtype":"F32","shape":[2]}}"#), #"missing field "data_offsets""#)
        XCTAssertEqual(
            entryDetail(#"{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}"#),
            #"field "dtype" must be a string, found 32"#)
        XCTAssertEqual(
            entryDetail(#"{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#),
            #"field "shape" must be an array, found the string "2""#)
        XCTAssertEqual(
            entryDetail(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]}}"#),
            #"unexpected field "offsets" (allowed: dtype, shape, data_offsets)"#)
        XCTAssertEqual(entryDetail(#"{"w":5}"#), "expected an object with dtype, shape and data_offsets, found 5")
        XCTAssertEqual(entryDetail(#"{"w":[1]}"#), "expected an object with dtype, shape and data_offsets, found an array")
    }

    func testUnknownDType() {
        assertThrows(.unknownDType(tensor: "w", dtype: "F31")) {
            try parse(header: #"{"w":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
        assertThrows(.unknownDType(tensor: "w", dtype: "f32")) {
            try parse(header: #"{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
    }

    func testInvalidShapeEntries() {
        let cases: [(String, String)] = [
            ("[-1]", "entry 0 is -1, not a non-negative integer"),
            ("[2.5]", "entry 0 is 2.5, not a non-negative integer"),
            ("[1,2.0]", "entry 1 is 2.0, not a non-negative integer"),
            ("[1e1]", "entry 0 is 10.0, not a non-negative integer"),
            ("[true]", "entry 0 is true, not a non-negative integer"),
            (#"["2"]"#, #"entry 0 is the string "2", not a non-negative integer"#),
            ("[null]", "entry 0 is null, not a non-negative integer"),
            ("[18446744073709551615]", "entry 0 is 18446744073709551615, not a non-negative integer"),
        ]
        for (shape, detail) in cases {
            assertThrows(.invalidShape(tensor: "w", detail: detail)) {
                try parse(header: #"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,8]}}"#, payload: wPayload)
            }
        }
    }

    func testInvalidDataOffsets() {
        let cases: [(String, String)] = [
            ("[8]", "expected 2 entries [begin, end], found 1"),
            ("[0,4,8]", "expected 2 entries [begin, end], found 3"),
            ("[8,0]", "begin 8 is greater than end 0"),
            ("[-8,0]", "begin is -8, not a non-negative integer"),
            (#"[0,"8"]"#, #"end is the string "8", not a non-negative integer"#),
            ("[0,8.5]", "end is 8.5, not a non-negative integer"),
            ("8", "expected an array [begin, end], found 8"),
        ]
        for (offsets, detail) in cases {
            assertThrows(.invalidDataOffsets(tensor: "w", detail: detail)) {
                try parse(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":\#(offsets)}}"#, payload: wPayload)
            }
        }
    }

    func testSizeMismatchBetweenShapeAndOffsets() {
        assertThrows(.sizeMismatch(tensor: "w", dtype: .f32, shape: [3], expectedBytes: 12, actualBytes: 8)) {
            try parse(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
        assertThrows(.sizeMismatch(tensor: "w", dtype: .f64, shape: [2], expectedBytes: 16, actualBytes: 8)) {
            try parse(header: #"{"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
        assertThrows(.sizeMismatch(tensor: "w", dtype: .f32, shape: [], expectedBytes: 4, actualBytes: 8)) {
            try parse(header: #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
    }

    func testSizeOverflowAndFractionalBytes() {
        assertThrows(.sizeOverflow(tensor: "w", shape: [4_611_686_018_427_387_904, 4])) {
            try parse(
                header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
                payload: wPayload)
        }
        assertThrows(.sizeOverflow(tensor: "w", shape: [2_305_843_009_213_693_952])) {
            try parse(header: #"{"w":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, payload: wPayload)
        }
        assertThrows(.fractionalByteCount(tensor: "w", dtype: .f4, shape: [3])) {
            try parse(header: #"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, payload: [0, 0])
        }
    }

    func testOverlappingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertThrows(.overlappingOffsets(tensor: "b", begin: 4, previousTensor: "a", previousEnd: 8)) {
            try parse(header: header, payload: Array(repeating: 0, count: 12))
        }
        let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertThrows(.overlappingOffsets(tensor: "b", begin: 0, previousTensor: "a", previousEnd: 8)) {
            try parse(header: same, payload: Array(repeating: 0, count: 8))
        }
        // An empty tensor placed strictly inside another tensor's range also overlaps it.
        let inside = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        assertThrows(.overlappingOffsets(tensor: "e", begin: 4, previousTensor: "a", previousEnd: 8)) {
            try parse(header: inside, payload: Array(repeating: 0, count: 8))
        }
    }

    func testHolesInBuffer() {
        let middle = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#
        assertThrows(.holeInBuffer(begin: 8, end: 12, nextTensor: "b")) {
            try parse(header: middle, payload: Array(repeating: 0, count: 20))
        }
        let start = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertThrows(.holeInBuffer(begin: 0, end: 4, nextTensor: "w")) {
            try parse(header: start, payload: Array(repeating: 0, count: 12))
        }
    }

    func testTrailingBytes() {
        assertThrows(.trailingBytes(count: 3, dataEnd: 8)) { try parse(header: wHeader, payload: wPayload + [1, 2, 3]) }
        assertThrows(.trailingBytes(count: 1, dataEnd: 0)) { try parse(header: "{}", payload: [0]) }
    }

    func testInvalidMetadata() {
        assertThrows(
            .invalidMetadata(detail: #"value of "epoch" is 3, not a string (encode structured metadata as a JSON string)"#)
        ) {
            try parse(header: #"{"__metadata__":{"epoch":3}}"#, payload: [])
        }
        assertThrows(.invalidMetadata(detail: "expected an object, found an array")) {
            try parse(header: #"{"__metadata__":["a"]}"#, payload: [])
        }
        XCTAssertEqual(try parse(header: #"{"__metadata__":null}"#, payload: []).metadata, [:])
    }

    func testErrorDescriptionsNameTheTensor() {
        let errors: [SafetensorsError] = [
            .sizeMismatch(tensor: "fc.weight", dtype: .f32, shape: [2, 3], expectedBytes: 24, actualBytes: 20),
            .overlappingOffsets(tensor: "fc.weight", begin: 4, previousTensor: "conv1.bias", previousEnd: 8),
            .holeInBuffer(begin: 8, end: 12, nextTensor: "fc.weight"),
            .bufferTruncated(tensor: "fc.weight", end: 40, bufferLength: 39),
            .unknownDType(tensor: "fc.weight", dtype: "F31"),
        ]
        for error in errors {
            XCTAssertTrue(error.description.contains("\"fc.weight\""), error.description)
        }
        XCTAssertTrue(
            SafetensorsError.sizeMismatch(tensor: "t", dtype: .f32, shape: [2, 3], expectedBytes: 24, actualBytes: 20)
                .description.contains("24"))
    }
}
