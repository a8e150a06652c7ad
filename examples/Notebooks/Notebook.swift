import Foundation
import ParetoKit

/// One exported analysis: a Markdown page, an SVG figure and a CSV table, written as
/// `NAME.md`, `NAME.svg` and `NAME.csv` into the output directory.
struct NotebookOutput {
    /// File stem, also the subcommand name.
    var name: String
    /// The Markdown page (it links `NAME.svg` and `NAME.csv`).
    var markdown: String
    /// The figure.
    var figure: Figure
    /// The table for pandas: a header line, then one line per row.
    var csv: CSVTable

    /// Writes the three files into `directory` (created if needed) and returns their paths.
    func write(to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files: [(String, Data)] = [
            ("\(name).svg", Data(try figure.svg().utf8)),
            ("\(name).csv", Data(csv.text.utf8)),
            ("\(name).md", Data(markdown.utf8)),
        ]
        for (file, data) in files { try writeAtomically(data, to: directory.appendingPathComponent(file)) }
        return files.map { directory.appendingPathComponent($0.0).path }
    }
}

/// A CSV table built row by row (numbers printed with full precision, so pandas reads back the
/// values the page was computed from).
struct CSVTable {
    /// Column names.
    var header: [String]
    /// Rows, each as many fields as the header.
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    /// Appends a row of fields (numbers, strings, booleans).
    mutating func append(_ fields: [Any]) {
        precondition(fields.count == header.count, "row of \(fields.count) fields for \(header.count) columns")
        rows.append(fields.map { field in
            switch field {
            case let value as Double: return value.isFinite ? "\(value)" : ""
            case let value as Double?: return value.map { $0.isFinite ? "\($0)" : "" } ?? ""
            default: return "\(field)"
            }
        })
    }

    /// The CSV text.
    var text: String { ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n" }
}

/// Settings every analysis takes from the command line.
struct NotebookSettings {
    /// Smaller grids and sample counts (CI checks the plotting path, not the numbers).
    var small = false
    /// The command line that regenerates the checked-in page (stated in every `.md`).
    func command(_ name: String) -> String {
        "swift run -c release notebooks-example \(name) notebooks-export" + (small ? " --small" : "")
    }
}

/// A fixed-point number for tables.
func fixed(_ value: Double, _ digits: Int = 6) -> String { String(format: "%.\(digits)f", value) }

/// A number in `%.3g` style (small distances, gaps).
func short(_ value: Double) -> String { String(format: "%.3g", value) }

/// The machine line every page carries: CPU, OpenBLAS core, BLAS threads.
var machineLine: String {
    "CPU: \(CPUFeatures.current.description); OpenBLAS core \(BLASRuntime.coreName), \(BLASRuntime.threadCount) BLAS thread(s)"
}

/// `x + a·d`.
func step(_ x: [Double], along d: [Double], by a: Double) -> [Double] { zip(x, d).map { $0 + a * $1 } }
