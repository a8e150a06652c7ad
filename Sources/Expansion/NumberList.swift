import Foundation

/// The command line's comma-separated lists of real numbers (`0.5,0,0`, `-2.5,1.77,0`), as a
/// library function so that it can be tested and fuzzed apart from the argument parser.
public enum NumberList {
    /// The values of `text`: fields separated by commas, each a decimal or hexadecimal
    /// floating-point literal as Swift's `Double(_:)` reads it, optionally surrounded by
    /// horizontal white space (Foundation's `CharacterSet.whitespaces`); `nil` if the list is empty, a field is empty or not a number, or a value is not
    /// finite (`nan`, `inf`, or a literal too large for `Double`, such as `1e400`).
    public static func parse(_ text: String) -> [Double]? {
        var values: [Double] = []
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Double(field.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
            values.append(value)
        }
        return values.isEmpty ? nil : values
    }

    /// The canonical text of `values`: each value's shortest round-tripping decimal
    /// representation, joined by commas; `parse(format(v)) == v` for finite non-empty `v`.
    public static func format(_ values: [Double]) -> String {
        values.map { "\($0)" }.joined(separator: ",")
    }
}
