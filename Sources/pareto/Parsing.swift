import ArgumentParser
import Foundation

/// A comma-separated list of real numbers on the command line (`0.5,0,0`).
struct RealList: ExpressibleByArgument, CustomStringConvertible {
    let values: [Double]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Double] = []
        for part in parts {
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
            values.append(value)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }

    var description: String { values.map { "\($0)" }.joined(separator: ",") }
    static var defaultCompletionKind: CompletionKind { .default }
}

/// Writes `value` as pretty, key-sorted JSON to standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Formats a vector for humans.
func formatted(_ values: [Double], digits: Int = 6) -> String {
    "[" + values.map { String(format: "%.\(digits)g", $0) }.joined(separator: ", ") + "]"
}
