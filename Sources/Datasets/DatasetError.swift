/// Errors thrown when reading, locating or transforming digit data sets. Every case names the
/// file (or source) and the problem, so the message alone tells a user what to fix.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// A gzip stream ends before its end-of-stream marker (the file was cut short).
    case truncatedGzip(path: String)
    /// A gzip stream is malformed (bad header, bad deflate data, CRC or length mismatch).
    case corruptGzip(path: String, reason: String)
    /// The file is shorter than the IDX header it must start with.
    case truncatedHeader(path: String, neededBytes: Int, actualBytes: Int)
    /// The IDX magic number is not the one expected (data type byte `0x08` = unsigned byte,
    /// two leading zero bytes). `expected` and `found` are the 32-bit big-endian magic numbers.
    case wrongMagic(path: String, expected: UInt32, found: UInt32)
    /// The IDX magic number announces a different number of dimensions than expected
    /// (3 for images, 1 for labels).
    case wrongDimensionCount(path: String, expected: Int, found: Int)
    /// The header's dimensions are unusable (zero-sized image, product overflow, …).
    case invalidDimensions(path: String, dimensions: [Int], reason: String)
    /// The payload holds fewer bytes than the header's dimensions require.
    case truncatedData(path: String, expectedBytes: Int, actualBytes: Int)
    /// The payload holds more bytes than the header's dimensions describe.
    case unexpectedTrailingData(path: String, expectedBytes: Int, actualBytes: Int)
    /// An image file and a label file describe different numbers of digits.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A digit label lies outside 0...9.
    case invalidLabel(path: String, index: Int, value: Int)
    /// An image has a shape other than the one an operation requires.
    case wrongImageShape(source: String, rows: Int, columns: Int, required: String)
    /// A CSV line cannot be parsed (line numbers start at 1).
    case malformedCSV(path: String, line: Int, reason: String)
    /// A directory given explicitly (`--data DIR` or an environment variable) does not exist.
    case directoryNotFound(path: String, origin: String)
    /// A directory holds one file of an IDX pair but not the other.
    case incompleteIDXPair(directory: String, found: String, missing: String)
    /// A directory given explicitly holds no IDX files with the standard names.
    case noIDXFiles(directory: String, origin: String)
    /// No data source was found; `searched` lists the places looked at and `install` the
    /// command that provides one.
    case sourceNotFound(what: String, searched: [String], install: String)
    /// An argument is invalid for `operation`, for the stated reason.
    case invalidArgument(operation: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read file: \(reason)"
        case .truncatedGzip(let path):
            return "\(path): truncated gzip stream (the file ends before the end of the compressed data)"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip data: \(reason)"
        case .truncatedHeader(let path, let needed, let actual):
            return "\(path): IDX header needs \(needed) bytes, the file has only \(actual)"
        case .wrongMagic(let path, let expected, let found):
            return "\(path): wrong IDX magic number \(hex(found)), expected \(hex(expected))"
        case .wrongDimensionCount(let path, let expected, let found):
            return "\(path): IDX file has \(found) dimension(s), expected \(expected)"
        case .invalidDimensions(let path, let dimensions, let reason):
            return "\(path): invalid IDX dimensions \(dimensions): \(reason)"
        case .truncatedData(let path, let expected, let actual):
            return "\(path): truncated IDX data: header announces \(expected) bytes, file holds \(actual)"
        case .unexpectedTrailingData(let path, let expected, let actual):
            return "\(path): IDX data holds \(actual) bytes, \(actual - expected) more than the \(expected) the header announces"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
        case .invalidLabel(let path, let index, let value):
            return "\(path): label \(value) at index \(index) is not a digit 0...9"
        case .wrongImageShape(let source, let rows, let columns, let required):
            return "\(source): images are \(rows)×\(columns), \(required)"
        case .malformedCSV(let path, let line, let reason):
            return "\(path), line \(line): \(reason)"
        case .directoryNotFound(let path, let origin):
            return "\(path) (\(origin)): no such directory"
        case .incompleteIDXPair(let directory, let found, let missing):
            return "\(directory): found \(found) but not \(missing)"
        case .noIDXFiles(let directory, let origin):
            return "\(directory) (\(origin)) holds no IDX files with the standard names "
                + "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])"
        case .sourceNotFound(let what, let searched, let install):
            let places = searched.isEmpty ? "" : " (looked in: \(searched.joined(separator: ", ")))"
            return "no \(what) found\(places); install it with: \(install)"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
