import ArgumentParser
import Foundation
import LinearAlgebra

/// The `pareto` command-line tool.
@main
struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "Grow and measure continuous Pareto sets of multi-objective problems and multi-task networks.",
        discussion: "Exit statuses: 0 success, 1 numerical failure, 64 usage error, 65 invalid input file, 66 missing input, 73 cannot create output, 74 I/O error, 130 interrupted (docs/cli.md).",
        subcommands: [ExpandCommand.self, StitchCommand.self, EvaluateCommand.self, TrainCommand.self, ReportCommand.self])

    /// Parses, validates and runs the command; errors exit by ``ExitStatus`` (the argument
    /// parser's own errors keep its statuses: 0 for help, 64 for usage errors). With
    /// `PARETOKIT_DRY_RUN=1` the command is parsed and validated but not run (the test suite
    /// checks every command documented in README.md and docs/ this way). First OpenBLAS's
    /// kernel choice is checked (``BLASStartup``: it may restart the process once with a better
    /// `OPENBLAS_CORETYPE`; a leading `--quiet` silences it).
    static func main() {
        let arguments = BLASStartup.prepare()
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        if ProcessInfo.processInfo.environment["PARETOKIT_DRY_RUN"] == "1" {
            print("valid: \(type(of: command).configuration.commandName ?? "pareto")")
            return
        }
        do {
            var running = command
            try running.run()
        } catch {
            guard let status = ExitStatus.classify(error) else { exit(withError: error) }
            FileHandle.standardError.write(Data("Error: \(ExitStatus.message(for: error))\n".utf8))
            Foundation.exit(status.rawValue)
        }
    }
}
