import ArgumentParser

/// The `pareto` command-line tool.
@main
struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "Grow and measure continuous Pareto sets of multi-objective problems and multi-task networks.",
        subcommands: [ExpandCommand.self, EvaluateCommand.self, TrainCommand.self])
}
