import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The start-up step of ParetoKit's command-line tools (`pareto`, `pareto-bench`): never run
/// on OpenBLAS's generic fallback kernels silently.
///
/// OpenBLAS fixes its kernels when the library loads, before `main`. When
/// ``BLASRuntime/decide(coreName:features:environment:)`` says so (a generic core, no
/// `OPENBLAS_CORETYPE` set, a processor with AVX2/AVX-512 kernels), ``prepare(arguments:)``
/// re-executes the program once (`execve` of `/proc/self/exe` with the same arguments) with
/// `OPENBLAS_CORETYPE` set to the recommended core and ``restartMarker`` set, and says so once
/// on standard error. A user-set `OPENBLAS_CORETYPE` is always respected.
///
/// Environment: `PARETOKIT_QUIET` (non-empty, not "0") or a leading `--quiet` silences the
/// message; `PARETOKIT_BLAS_REPORT=1` prints ``BLASCoreCheck/summary`` on standard error in the
/// process that finally runs; ``assumedCoreVariable`` is a test hook.
public enum BLASStartup {
    /// Set (to the core type chosen) in the restarted process; guards against restart loops.
    public static let restartMarker = "PARETOKIT_BLAS_RESTARTED"
    /// Test hook: when set, the start-up decision takes this as OpenBLAS's core name instead of
    /// `openblas_get_corename()` (so the restart path can be exercised on a processor that
    /// OpenBLAS recognises). The restarted process's real core shows the effect.
    public static let assumedCoreVariable = "PARETOKIT_BLAS_ASSUMED_CORE"
    /// Silences the start-up message when non-empty and not "0".
    public static let quietVariable = "PARETOKIT_QUIET"
    /// When "1", the process that runs prints its BLAS summary on standard error.
    public static let reportVariable = "PARETOKIT_BLAS_REPORT"

    /// Runs the start-up check and returns the command-line arguments (without the program
    /// name) for the argument parser, minus leading `--quiet` flags (global options before the
    /// subcommand). Does not return when the process is restarted.
    public static func prepare(arguments: [String] = CommandLine.arguments) -> [String] {
        var rest = Array(arguments.dropFirst())
        var quiet = false
        while rest.first == "--quiet" {
            rest.removeFirst()
            quiet = true
        }
        let environment = BLASRuntime.currentEnvironment()
        if let value = environment[quietVariable], !value.isEmpty, value != "0" { quiet = true }
        let observedCore = environment[assumedCoreVariable].flatMap { $0.isEmpty ? nil : $0 } ?? BLASRuntime.coreName
        let check = BLASCoreCheck(
            coreName: observedCore, threadCount: BLASRuntime.threadCount, features: .current, environment: environment)
        switch check.decision {
        case .restart(let coreType):
            if !quiet {
                printError("ParetoKit: OpenBLAS chose its generic \(observedCore) kernels on this \(check.features); "
                    + "restarting with \(BLASRuntime.coreTypeVariable)=\(coreType) (set \(BLASRuntime.coreTypeVariable) "
                    + "yourself to choose; --quiet or \(quietVariable)=1 silences this)")
            }
            restart(arguments: arguments, coreType: coreType)
            printError("ParetoKit: restart failed (\(String(cString: strerror(errno)))); continuing on \(observedCore)")
        case .keep(.restarted(_)) where !quiet:
            // The restart did not help (e.g. OpenBLAS rejected the core type): say so once.
            if let warning = BLASRuntime.check(environment: environment).warning { printError("ParetoKit: \(warning)") }
        case .keep:
            break
        }
        if environment[reportVariable] == "1" { printError("ParetoKit: \(BLASRuntime.check(environment: environment).summary)") }
        return rest
    }

    /// `execve` of this executable with `arguments` and the environment plus
    /// `OPENBLAS_CORETYPE=coreType` and the marker; returns only on failure.
    private static func restart(arguments: [String], coreType: String) {
        fflush(nil)
        setenv(BLASRuntime.coreTypeVariable, coreType, 1)
        setenv(restartMarker, coreType, 1)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        execve("/proc/self/exe", argv, ck_environment())
        unsetenv(BLASRuntime.coreTypeVariable)
        unsetenv(restartMarker)
    }

    private static func printError(_ line: String) {
        ck_write_error_line(line)
    }
}
