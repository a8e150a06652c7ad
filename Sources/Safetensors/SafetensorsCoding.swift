import Foundation

// MARK: Writing

extension SafetensorsFile {
    /// The file's bytes, as the reference writer (`serialize` in `safetensors/src/tensor.rs`)
    /// produces them: the 8-byte little-endian header length; the compact JSON header with
    /// `__metadata__` first (its keys sorted by UTF-8 bytes; omitted when empty), then one
    /// entry per tensor in layout order with fields `dtype`, `shape`, `data_offsets`; the header
    /// padded with spaces to a multiple of 8 bytes; then the tensors' bytes back to back.
    /// The output depends only on the file's content, so it is bit-for-bit reproducible.
    public func serialized() -> [UInt8] {
        let header = Self.header(tensors: tensors, metadata: metadata)
        let dataLength = tensors.reduce(0) { $0 + $1.data.count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + dataLength)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for tensor in tensors {
            bytes.append(contentsOf: tensor.data)
        }
        return bytes
    }

    /// The padded JSON header for `tensors` laid out in the given order.
    static func header(tensors: [SafetensorsTensor], metadata: [String: String]) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var needsComma = false
        if !metadata.isEmpty {
            appendJSONString(metadataKey, to: &json)
            json.append(contentsOf: Array(":{".utf8))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var offset = 0
        for tensor in tensors {
            if needsComma { json.append(UInt8(ascii: ",")) }
            needsComma = true
            appendJSONString(tensor.name, to: &json)
            json.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendJSONString(tensor.dtype.rawValue, to: &json)
            json.append(contentsOf: Array(",\"shape\":[".utf8))
            json.append(contentsOf: Array(tensor.shape.map(String.init).joined(separator: ",").utf8))
            json.append(contentsOf: Array("],\"data_offsets\":[\(offset),\(offset + tensor.data.count)]}".utf8))
            offset += tensor.data.count
        }
        json.append(UInt8(ascii: "}"))
        let padding = (8 - json.count % 8) % 8
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return json
    }

    /// Appends `string` as a JSON string literal (RFC 8259 §7), escaped as `serde_json` does:
    /// `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other control characters below U+0020 as
    /// `\u00xx` (lower-case hex); every other character, including `/` and non-ASCII, as raw UTF-8.
    static func appendJSONString(_ string: String, to json: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        json.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [0x5C, UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): json.append(contentsOf: [0x5C, 0x5C])
            case 0x08: json.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: json.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: json.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: json.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: json.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(hexDigits[Int(byte >> 4)])
                json.append(hexDigits[Int(byte & 0x0F)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}

// MARK: Reading

extension SafetensorsFile {
    /// Parses and validates a complete safetensors file.
    ///
    /// Checks, in order (following `read_metadata` and `Metadata::validate` of the reference
    /// implementation, plus the README's rules): at least 8 bytes; declared header length
    /// `N ≤ maximumHeaderLength` and `8 + N ≤ bytes.count`; header is UTF-8, valid JSON, a JSON
    /// object, starts with `{`, and repeats no key in any object; `__metadata__` (if present)
    /// maps strings to strings; every other entry is an object with exactly `dtype` (known
    /// name), `shape` (non-negative integers) and `data_offsets` (`[begin, end]`, integers,
    /// `begin ≤ end`) with `end − begin = product(shape) × size(dtype)`; sorted by offset, the
    /// ranges start at 0 and are contiguous (no overlap, no hole); the buffer is exactly as
    /// long as the last range's end (not truncated, no trailing bytes).
    ///
    /// - Throws: the first `SafetensorsError` found; header entries are checked in file order.
    public static func parse(_ bytes: [UInt8]) throws -> SafetensorsFile {
        guard bytes.count >= 8 else { throw SafetensorsError.fileTooShort(byteCount: bytes.count) }
        let declaredLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard declaredLength <= UInt64(maximumHeaderLength) else {
            throw SafetensorsError.headerTooLarge(declaredLength: declaredLength, limit: maximumHeaderLength)
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= bytes.count - 8 else {
            throw SafetensorsError.headerLengthExceedsFile(
                declaredLength: declaredLength, bytesAfterPrefix: bytes.count - 8)
        }
        let (object, keys) = try decodeHeader(Array(bytes[8..<(8 + headerLength)]))

        var metadata: [String: String] = [:]
        var entries: [HeaderEntry] = []
        for key in keys {
            guard let value = object[key] else {
                throw SafetensorsError.invalidJSON(detail: "key \"\(key)\" could not be looked up after parsing")
            }
            if key == metadataKey {
                metadata = try parseMetadata(value)
            } else {
                entries.append(try HeaderEntry(name: key, value: value))
            }
        }

        entries.sort {
            ($0.begin, $0.end) != ($1.begin, $1.end)
                ? ($0.begin, $0.end) < ($1.begin, $1.end)
                : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        var cursor = 0
        var previousName = ""
        for entry in entries {
            if entry.begin < cursor {
                throw SafetensorsError.overlappingOffsets(
                    tensor: entry.name, begin: entry.begin, previousTensor: previousName, previousEnd: cursor)
            }
            if entry.begin > cursor {
                throw SafetensorsError.holeInBuffer(begin: cursor, end: entry.begin, nextTensor: entry.name)
            }
            cursor = entry.end
            previousName = entry.name
        }
        let bufferStart = 8 + headerLength
        let bufferLength = bytes.count - bufferStart
        if let truncated = entries.first(where: { $0.end > bufferLength }) {
            throw SafetensorsError.bufferTruncated(tensor: truncated.name, end: truncated.end, bufferLength: bufferLength)
        }
        if cursor < bufferLength {
            throw SafetensorsError.trailingBytes(count: bufferLength - cursor, dataEnd: cursor)
        }

        let tensors = try entries.map { entry in
            try SafetensorsTensor(
                name: entry.name, dtype: entry.dtype, shape: entry.shape,
                data: Array(bytes[(bufferStart + entry.begin)..<(bufferStart + entry.end)]))
        }
        return try SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Validates the header bytes as UTF-8 JSON and returns the top-level object together with
    /// its keys in file order.
    private static func decodeHeader(_ header: [UInt8]) throws -> (object: [String: Any], keys: [String]) {
        let hasEncodingError = transcode(
            header.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true, into: { _ in })
        guard !hasEncodingError else { throw SafetensorsError.headerNotUTF8 }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw SafetensorsError.invalidJSON(detail: detail ?? "\(error)")
        }
        guard let object = json as? [String: Any] else { throw SafetensorsError.headerNotObject }
        guard header.first == UInt8(ascii: "{") else {
            throw SafetensorsError.headerDoesNotStartWithBrace(firstByte: header[0])
        }
        let keys = try JSONKeyScanner.topLevelKeysRejectingDuplicates(in: header)
        return (object, keys)
    }

    /// The `__metadata__` object as a string map (`null` counts as empty, as in the reference,
    /// where the field is an `Option`).
    private static func parseMetadata(_ value: Any) throws -> [String: String] {
        if value is NSNull { return [:] }
        guard let object = value as? [String: Any] else {
            throw SafetensorsError.invalidMetadata(detail: "expected an object, found \(JSONValueDescription.of(value))")
        }
        var metadata: [String: String] = [:]
        for key in object.keys.sorted() {
            guard let string = object[key] as? String else {
                throw SafetensorsError.invalidMetadata(
                    detail: "value of \"\(key)\" is \(JSONValueDescription.of(object[key]!)), not a string "
                        + "(encode structured metadata as a JSON string)")
            }
            metadata[key] = string
        }
        return metadata
    }
}

/// One tensor entry of the header, checked in isolation (types, dtype, shape, offsets, size).
private struct HeaderEntry {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let begin: Int
    let end: Int

    static let fieldNames: Set<String> = ["dtype", "shape", "data_offsets"]

    init(name: String, value: Any) throws {
        func entryError(_ detail: String) -> SafetensorsError {
            SafetensorsError.invalidTensorEntry(tensor: name, detail: detail)
        }
        guard let fields = value as? [String: Any] else {
            throw entryError(
                "expected an object with dtype, shape and data_offsets, found \(JSONValueDescription.of(value))")
        }
        if let unexpected = fields.keys.sorted().first(where: { !Self.fieldNames.contains($0) }) {
            throw entryError("unexpected field \"\(unexpected)\" (allowed: dtype, shape, data_offsets)")
        }
        for field in ["dtype", "shape", "data_offsets"] where fields[field] == nil {
            throw entryError("missing field \"\(field)\"")
        }

        guard let dtypeName = fields["dtype"] as? String else {
            throw entryError("field \"dtype\" must be a string, found \(JSONValueDescription.of(fields["dtype"]!))")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(tensor: name, dtype: dtypeName)
        }

        guard let shapeValues = fields["shape"] as? [Any] else {
            throw entryError("field \"shape\" must be an array, found \(JSONValueDescription.of(fields["shape"]!))")
        }
        var shape: [Int] = []
        for (index, value) in shapeValues.enumerated() {
            guard let dimension = JSONValueDescription.nonNegativeInteger(value) else {
                throw SafetensorsError.invalidShape(
                    tensor: name,
                    detail: "entry \(index) is \(JSONValueDescription.of(value)), not a non-negative integer")
            }
            shape.append(dimension)
        }

        guard let offsetValues = fields["data_offsets"] as? [Any] else {
            throw SafetensorsError.invalidDataOffsets(
                tensor: name,
                detail: "expected an array [begin, end], found \(JSONValueDescription.of(fields["data_offsets"]!))")
        }
        guard offsetValues.count == 2 else {
            throw SafetensorsError.invalidDataOffsets(
                tensor: name, detail: "expected 2 entries [begin, end], found \(offsetValues.count)")
        }
        var offsets: [Int] = []
        for (index, value) in offsetValues.enumerated() {
            guard let offset = JSONValueDescription.nonNegativeInteger(value) else {
                throw SafetensorsError.invalidDataOffsets(
                    tensor: name,
                    detail: "\(index == 0 ? "begin" : "end") is \(JSONValueDescription.of(value)), not a non-negative integer")
            }
            offsets.append(offset)
        }
        guard offsets[0] <= offsets[1] else {
            throw SafetensorsError.invalidDataOffsets(
                tensor: name, detail: "begin \(offsets[0]) is greater than end \(offsets[1])")
        }

        let expectedBytes = try SafetensorsTensor.byteCount(name: name, dtype: dtype, shape: shape)
        guard offsets[1] - offsets[0] == expectedBytes else {
            throw SafetensorsError.sizeMismatch(
                tensor: name, dtype: dtype, shape: shape, expectedBytes: expectedBytes,
                actualBytes: offsets[1] - offsets[0])
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.begin = offsets[0]
        self.end = offsets[1]
    }
}

/// Helpers for values produced by `JSONSerialization`.
private enum JSONValueDescription {
    /// Whether `number` came from a JSON `true`/`false`.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// The value as an `Int` when it is a JSON integer literal (no fraction, no exponent)
    /// in `0...Int.max`; `nil` for booleans, floating-point literals, negative or too large values.
    static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        switch String(cString: number.objCType) {
        case "c", "C", "B", "f", "d":
            return nil
        case "Q", "L", "I", "S":
            let unsigned = number.uint64Value
            return unsigned <= UInt64(Int.max) ? Int(unsigned) : nil
        default:
            let signed = number.int64Value
            return signed >= 0 ? Int(signed) : nil
        }
    }

    /// A short description of a JSON value for error messages.
    static func of(_ value: Any) -> String {
        switch value {
        case let string as String:
            return "the string \"\(string)\""
        case is NSNull:
            return "null"
        case let number as NSNumber:
            return isBoolean(number) ? (number.boolValue ? "true" : "false") : number.stringValue
        case is [Any]:
            return "an array"
        case is [String: Any]:
            return "an object"
        default:
            return "\(value)"
        }
    }
}

/// Finds the keys of a JSON text that `JSONSerialization` has already accepted, to detect
/// duplicate keys (which `JSONSerialization` silently merges) and to recover the file order of
/// the top-level keys. It only tracks string boundaries and nesting; it does not parse values.
private enum JSONKeyScanner {
    private struct Frame {
        let isObject: Bool
        var keys: Set<String>
        var expectingKey: Bool
        let location: String
    }

    /// The top-level object's keys in file order.
    ///
    /// - Throws: `SafetensorsError.duplicateKey` for the first key repeated within one object.
    static func topLevelKeysRejectingDuplicates(in json: [UInt8]) throws -> [String] {
        var stack: [Frame] = []
        var topLevelKeys: [String] = []
        var lastKey = ""
        var index = 0
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "\""):
                var end = index + 1
                var hasEscape = false
                while end < json.count, json[end] != UInt8(ascii: "\"") {
                    if json[end] == UInt8(ascii: "\\") {
                        hasEscape = true
                        end += 1
                    }
                    end += 1
                }
                guard end < json.count else { return topLevelKeys }
                let top = stack.count - 1
                if top >= 0, stack[top].isObject, stack[top].expectingKey {
                    let key = try decodeKey(json[index...end], hasEscape: hasEscape)
                    guard stack[top].keys.insert(key).inserted else {
                        throw SafetensorsError.duplicateKey(key: key, location: stack[top].location)
                    }
                    stack[top].expectingKey = false
                    if top == 0 { topLevelKeys.append(key) }
                    lastKey = key
                }
                index = end
            case UInt8(ascii: "{"):
                let location = stack.isEmpty ? "the header object" : "the object under key \"\(lastKey)\""
                stack.append(Frame(isObject: true, keys: [], expectingKey: true, location: location))
            case UInt8(ascii: "["):
                stack.append(Frame(isObject: false, keys: [], expectingKey: false, location: ""))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if let top = stack.indices.last, stack[top].isObject { stack[top].expectingKey = true }
            default:
                break
            }
            index += 1
        }
        return topLevelKeys
    }

    /// The value of a quoted JSON string; escapes are resolved by `JSONSerialization`.
    private static func decodeKey(_ quoted: ArraySlice<UInt8>, hasEscape: Bool) throws -> String {
        let body = quoted.dropFirst().dropLast()
        guard hasEscape else { return String(decoding: body, as: UTF8.self) }
        guard let key = try? JSONSerialization.jsonObject(with: Data(quoted), options: .fragmentsAllowed) as? String
        else {
            throw SafetensorsError.invalidJSON(detail: "cannot decode key \(String(decoding: quoted, as: UTF8.self))")
        }
        return key
    }
}
