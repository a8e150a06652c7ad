import ArgumentParser
import Foundation
import ParetoKit

/// `run.json` of a run directory: the command line that made it and the toolkit's version
/// (for reports: front.json stays free of paths, so identical runs give identical fronts).
struct RunProvenance: Codable {
    var command: String
    var version: String

    static let fileName = "run.json"

    /// The current process's command line (arguments quoted where needed).
    static var current: RunProvenance {
        let words = CommandLine.arguments.map { word in
            word.contains(where: { $0.isWhitespace || $0 == "\"" }) || word.isEmpty ? "'\(word)'" : word
        }
        return RunProvenance(command: (["pareto"] + words.dropFirst()).joined(separator: " "), version: ParetoKitInfo.version)
    }

    /// Writes `run.json` into `directory`.
    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }

    /// The `run.json` in `directory`, if there is a readable one.
    static func read(in directory: URL) -> RunProvenance? {
        (try? Data(contentsOf: directory.appendingPathComponent(fileName))).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }
}

/// `pareto report RUN_DIR --out DIR`: one self-contained HTML page of a run (inline SVG
/// figures, a sortable table of points, hypervolumes, evaluations, timings, stationarity, the
/// command and version that made it), plus each figure as an SVG file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (figures, points, hypervolumes, timings) of a run directory.",
        discussion: """
            Example: pareto report run/zdt2 --out run/zdt2/report
            writes run/zdt2/report/report.html and one SVG per figure; the page loads nothing from elsewhere.
            """)

    @Argument(help: "A run directory (holding front.json) of pareto expand.")
    var runDirectory: String

    @Option(help: "Output directory (default: RUN_DIR/report).")
    var out: String?

    func validate() throws {
        if let out { guard !out.isEmpty else { throw ValidationError("--out must name a directory, got an empty path") } }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory, isDirectory: true)
        try Check.outputDirectory(out ?? directory.appendingPathComponent("report").path, "--out")
        let page = try Self.write(run: directory, to: out.map { URL(fileURLWithPath: $0, isDirectory: true) })
        print("wrote \(page.path)")
    }

    /// Writes the report of the run in `directory` into `output` (default `directory/report`).
    static func write(run directory: URL, to output: URL? = nil) throws -> URL {
        var input = try RunDirectoryReport.load(from: directory)
        if let provenance = RunProvenance.read(in: directory) {
            input.command = provenance.command
            input.version = provenance.version
        }
        return try ReportPage.write(input, to: output ?? directory.appendingPathComponent("report"))
    }
}
