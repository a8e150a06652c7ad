import ArgumentParser
import LinearAlgebra

/// The `pareto` command-line tool.
@main
struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "Grow and measure continuous Pareto sets of multi-objective problems and multi-task networks.",
        subcommands: [ExpandCommand.self, EvaluateCommand.self, TrainCommand.self])

    /// Checks OpenBLAS's kernel choice first (``BLASStartup``: may restart the process once
    /// with a better `OPENBLAS_CORETYPE`; a leading `--quiet` silences it), then runs the command.
    static func main() {
        main(BLASStartup.prepare())
    }
}
