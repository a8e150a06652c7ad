import Foundation
import Safetensors
import XCTest

/// Little-endian bytes of a 16-bit word, written out by shifts (independent of the module).
func littleEndianBytes(_ word: UInt16) -> [UInt8] {
    [UInt8(word & 0xFF), UInt8(word >> 8)]
}

/// Little-endian bytes of a 32-bit word, written out by shifts.
func littleEndianBytes(_ word: UInt32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
}

/// Little-endian bytes of a 64-bit word, written out by shifts.
func littleEndianBytes(_ word: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
}

/// A safetensors file assembled by hand from the specification: 8-byte little-endian header
/// length, the header text's UTF-8 bytes, then the payload.
func handBuiltFile(header: String, payload: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    return littleEndianBytes(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + payload
}

/// `header` followed by spaces up to a multiple of 8 bytes.
func paddedToMultipleOf8(_ header: String) -> String {
    let count = header.utf8.count
    return header + String(repeating: " ", count: (8 - count % 8) % 8)
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(
    _ expected: SafetensorsError, file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), but nothing was thrown", file: file, line: line)
    } catch let error as SafetensorsError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

/// Returns the `SafetensorsError` thrown by `body`, failing if none is thrown.
func thrownError<T>(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T)
    -> SafetensorsError?
{
    do {
        _ = try body()
        XCTFail("expected an error, but nothing was thrown", file: file, line: line)
    } catch let error as SafetensorsError {
        return error
    } catch {
        XCTFail("expected a SafetensorsError, got \(error)", file: file, line: line)
    }
    return nil
}
