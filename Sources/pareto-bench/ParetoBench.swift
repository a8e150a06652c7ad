import ArgumentParser
import LinearAlgebra

/// Release-mode benchmarks of ParetoKit. Each prints human-readable lines and, with `--json`,
/// ends with one JSON line that scripts read. Speed figures are ratios measured in the same
/// process (e.g. HVP ÷ gradient, achieved GFLOPS ÷ sgemm GFLOPS), never absolute promises.
@main
struct ParetoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto-bench",
        abstract: "Benchmarks of ParetoKit's kernels (run with swift run -c release).",
        subcommands: [HVPBenchmark.self, MINRESBenchmark.self, HypervolumeBenchmark.self, ZDT2Benchmark.self, TangentStepBenchmark.self, PaLoRABenchmark.self,
                      Table1Command.self, Table2Command.self])

    /// Checks OpenBLAS's kernel choice first (``BLASStartup``: may restart the process once
    /// with a better `OPENBLAS_CORETYPE`; a leading `--quiet` silences it), then runs the benchmark.
    static func main() {
        main(BLASStartup.prepare())
    }
}
