/// A tensor whose shape differs from the one an architecture expects
/// (reported by `SafetensorsFile.validateLayout(expected:allowExtra:)`).
public struct SafetensorsShapeMismatch: Equatable, Sendable, CustomStringConvertible {
    /// Tensor name.
    public let name: String
    /// Shape the caller expected.
    public let expected: [Int]
    /// Shape stored in the file.
    public let actual: [Int]

    /// Creates a mismatch record.
    public init(name: String, expected: [Int], actual: [Int]) {
        self.name = name
        self.expected = expected
        self.actual = actual
    }

    /// `"name": expected [a, b], found [c, d]`.
    public var description: String {
        "\"\(name)\": expected \(expected), found \(actual)"
    }
}

/// Everything that can be wrong with a safetensors file, a tensor, or a conversion.
///
/// The checks follow the format description and the validation in the reference
/// implementation (huggingface/safetensors `README.md` and `safetensors/src/tensor.rs`:
/// `read_metadata` and `Metadata::validate`). Offsets in messages are byte offsets into the
/// data buffer (the bytes after the header) unless stated otherwise.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file has fewer than the 8 bytes of the header-length prefix.
    case fileTooShort(byteCount: Int)
    /// The declared header length exceeds the reader's limit (`SafetensorsFile.maximumHeaderLength`).
    case headerTooLarge(declaredLength: UInt64, limit: Int)
    /// The declared header length runs past the end of the file.
    case headerLengthExceedsFile(declaredLength: UInt64, bytesAfterPrefix: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON; `detail` is the JSON parser's message.
    case invalidJSON(detail: String)
    /// The header is valid JSON but not a JSON object.
    case headerNotObject
    /// The header is a JSON object but its first byte is not `{` (e.g. leading whitespace).
    case headerDoesNotStartWithBrace(firstByte: UInt8)
    /// A JSON object in the header repeats a key; `location` says which object.
    case duplicateKey(key: String, location: String)
    /// The `__metadata__` entry is not an object of string values.
    case invalidMetadata(detail: String)
    /// A tensor entry is not an object, misses a field, has a field of the wrong JSON type,
    /// or has a field other than `dtype`, `shape`, `data_offsets`.
    case invalidTensorEntry(tensor: String, detail: String)
    /// A tensor's `dtype` is not one of `SafetensorsDType`.
    case unknownDType(tensor: String, dtype: String)
    /// A shape entry is not a non-negative integer.
    case invalidShape(tensor: String, detail: String)
    /// `data_offsets` is not a pair `[begin, end]` of non-negative integers with `begin ≤ end`.
    case invalidDataOffsets(tensor: String, detail: String)
    /// The element or byte count of a tensor overflows `Int`.
    case sizeOverflow(tensor: String, shape: [Int])
    /// A tensor of a sub-byte dtype does not fill a whole number of bytes.
    case fractionalByteCount(tensor: String, dtype: SafetensorsDType, shape: [Int])
    /// `end − begin` (or the byte count of supplied data) differs from `product(shape) × dtype size`.
    case sizeMismatch(
        tensor: String, dtype: SafetensorsDType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A tensor's byte range starts before the end of the previous tensor's range.
    case overlappingOffsets(tensor: String, begin: Int, previousTensor: String, previousEnd: Int)
    /// Bytes `begin..<end` of the data buffer, just before `nextTensor`, belong to no tensor.
    case holeInBuffer(begin: Int, end: Int, nextTensor: String)
    /// A tensor ends past the end of the file.
    case bufferTruncated(tensor: String, end: Int, bufferLength: Int)
    /// The file continues after the last tensor's bytes.
    case trailingBytes(count: Int, dataEnd: Int)
    /// Two tensors have the same name.
    case duplicateTensorName(String)
    /// A tensor is named `__metadata__`, which the format reserves.
    case reservedTensorName(String)
    /// A shape passed to a constructor has a negative dimension.
    case negativeDimension(tensor: String, shape: [Int])
    /// The serialized header would exceed `SafetensorsFile.maximumHeaderLength`.
    case headerWouldBeTooLarge(length: Int, limit: Int)
    /// No tensor has this name.
    case tensorNotFound(String)
    /// The tensor's dtype cannot be converted exactly to the requested Swift type.
    case unsupportedConversion(tensor: String, dtype: SafetensorsDType, target: String)
    /// The file does not match an expected architecture.
    case layoutMismatch(
        missing: [String], unexpected: [String], shapeMismatches: [SafetensorsShapeMismatch])
    /// Reading or writing a file failed.
    case io(path: String, detail: String)

    /// A message naming what is wrong and where.
    public var description: String {
        switch self {
        case .fileTooShort(let count):
            return "safetensors: file has \(count) bytes, fewer than the 8-byte header-length prefix"
        case .headerTooLarge(let declared, let limit):
            return "safetensors: declared header length \(declared) bytes exceeds the limit of \(limit) bytes"
        case .headerLengthExceedsFile(let declared, let available):
            return "safetensors: declared header length \(declared) bytes, but only \(available) bytes follow the 8-byte prefix"
        case .headerNotUTF8:
            return "safetensors: header is not valid UTF-8"
        case .invalidJSON(let detail):
            return "safetensors: header is not valid JSON: \(detail)"
        case .headerNotObject:
            return "safetensors: header is valid JSON but not a JSON object"
        case .headerDoesNotStartWithBrace(let byte):
            return "safetensors: header must start with '{' but starts with byte 0x\(String(byte, radix: 16))"
        case .duplicateKey(let key, let location):
            return "safetensors: duplicate key \"\(key)\" in \(location)"
        case .invalidMetadata(let detail):
            return "safetensors: invalid __metadata__: \(detail)"
        case .invalidTensorEntry(let tensor, let detail):
            return "safetensors: tensor \"\(tensor)\": \(detail)"
        case .unknownDType(let tensor, let dtype):
            return "safetensors: tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case .invalidShape(let tensor, let detail):
            return "safetensors: tensor \"\(tensor)\": invalid shape: \(detail)"
        case .invalidDataOffsets(let tensor, let detail):
            return "safetensors: tensor \"\(tensor)\": invalid data_offsets: \(detail)"
        case .sizeOverflow(let tensor, let shape):
            return "safetensors: tensor \"\(tensor)\": size of shape \(shape) overflows"
        case .fractionalByteCount(let tensor, let dtype, let shape):
            return "safetensors: tensor \"\(tensor)\": \(shape) elements of \(dtype) do not fill whole bytes"
        case .sizeMismatch(let tensor, let dtype, let shape, let expected, let actual):
            return "safetensors: tensor \"\(tensor)\": dtype \(dtype) and shape \(shape) need \(expected) bytes, found \(actual)"
        case .overlappingOffsets(let tensor, let begin, let previous, let previousEnd):
            return "safetensors: tensor \"\(tensor)\" starts at byte \(begin), inside tensor \"\(previous)\" which ends at byte \(previousEnd)"
        case .holeInBuffer(let begin, let end, let next):
            return "safetensors: bytes \(begin)..<\(end) of the data buffer, before tensor \"\(next)\", belong to no tensor"
        case .bufferTruncated(let tensor, let end, let length):
            return "safetensors: tensor \"\(tensor)\" ends at byte \(end) but the data buffer has only \(length) bytes (file truncated)"
        case .trailingBytes(let count, let dataEnd):
            return "safetensors: \(count) trailing bytes after the last tensor, which ends at byte \(dataEnd)"
        case .duplicateTensorName(let name):
            return "safetensors: two tensors are named \"\(name)\""
        case .reservedTensorName(let name):
            return "safetensors: \"\(name)\" is reserved for metadata and cannot name a tensor"
        case .negativeDimension(let tensor, let shape):
            return "safetensors: tensor \"\(tensor)\": shape \(shape) has a negative dimension"
        case .headerWouldBeTooLarge(let length, let limit):
            return "safetensors: header would be \(length) bytes, over the limit of \(limit) bytes"
        case .tensorNotFound(let name):
            return "safetensors: no tensor named \"\(name)\""
        case .unsupportedConversion(let tensor, let dtype, let target):
            return "safetensors: tensor \"\(tensor)\" has dtype \(dtype), which does not convert exactly to \(target)"
        case .layoutMismatch(let missing, let unexpected, let mismatches):
            var parts: [String] = []
            if !missing.isEmpty {
                parts.append("missing tensors " + missing.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            if !unexpected.isEmpty {
                parts.append("unexpected tensors " + unexpected.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            if !mismatches.isEmpty {
                parts.append("shape mismatches " + mismatches.map(\.description).joined(separator: "; "))
            }
            return "safetensors: layout does not match: " + parts.joined(separator: "; ")
        case .io(let path, let detail):
            return "safetensors: \(path): \(detail)"
        }
    }
}
