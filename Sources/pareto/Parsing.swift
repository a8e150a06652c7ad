import ArgumentParser
import Foundation
import ParetoKit

/// A comma-separated list of real numbers on the command line (`0.5,0,0`).
struct RealList: ExpressibleByArgument, CustomStringConvertible {
    let values: [Double]

    init?(argument: String) {
        guard let values = NumberList.parse(argument) else { return nil }
        self.values = values
    }

    init(values: [Double]) {
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
