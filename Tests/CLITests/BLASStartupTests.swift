import Foundation
import XCTest

/// End-to-end tests of the BLAS start-up check of the `pareto` executable (``BLASStartup``):
/// the binary is run with controlled environments; `PARETOKIT_BLAS_REPORT=1` makes the process
/// that finally runs print its OpenBLAS core on standard error.
final class BLASStartupTests: XCTestCase {
    private func pareto(_ arguments: [String], environment changes: [String: String?]) throws -> (status: Int32, output: String, error: String) {
        var environment: [String: String?] = ["PARETOKIT_BLAS_REPORT": "1"]
        for key in ["OPENBLAS_CORETYPE", "PARETOKIT_BLAS_RESTARTED", "PARETOKIT_BLAS_ASSUMED_CORE", "PARETOKIT_QUIET"] {
            environment[key] = .some(nil)
        }
        for (key, value) in changes { environment[key] = value }
        let run = try runProduct("pareto", arguments, environment: environment)
        return (run.status, run.output, run.error)
    }

    private func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testUserSetCoreTypeIsRespected() throws {
        let run = try pareto(["--help"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertTrue(run.output.contains("OVERVIEW"))
        XCTAssertTrue(run.error.contains("OpenBLAS core Prescott (OPENBLAS_CORETYPE=Prescott)"), run.error)
        XCTAssertFalse(run.error.contains("restarting"), run.error)
    }

    /// With nothing set, the process that runs is never on a generic core when the CPU has AVX2:
    /// either OpenBLAS recognised the processor or the check restarted the process (once).
    func testUnsetCoreTypeNeverRunsGenericKernelsSilently() throws {
        let run = try pareto(["--help"], environment: [:])
        XCTAssertEqual(run.status, 0, run.error)
        let generic = ["Prescott", "Core2", "Nehalem", "Atom", "Penryn", "Dunnington", "Barcelona", "Katmai", "Unknown"]
        let report = try XCTUnwrap(run.error.split(separator: "\n").first { $0.contains("OpenBLAS core") }.map(String.init), run.error)
        if let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), flags.contains(" avx2 ") {
            XCTAssertFalse(generic.contains { report.contains("core \($0) ") }, report)
        }
        XCTAssertLessThanOrEqual(count("restarting with", in: run.error), 1, run.error)
    }

    /// The restart path, forced with the test hook: the message appears once, the restarted
    /// process really runs the recommended kernels, and the output is produced once.
    func testFallbackRestartsOnceWithTheRecommendedCore() throws {
        guard let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), flags.contains(" avx2 ") else {
            throw XCTSkip("no AVX2: nothing better than the generic kernels")
        }
        let run = try pareto(["--help"], environment: ["PARETOKIT_BLAS_ASSUMED_CORE": "Prescott"])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertEqual(count("restarting with OPENBLAS_CORETYPE=", in: run.error), 1, run.error)
        XCTAssertEqual(count("OVERVIEW", in: run.output), 1)
        let expected = flags.contains(" avx512f ") && flags.contains(" avx512vl ") ? "SkylakeX" : (flags.contains("AuthenticAMD") ? "Zen" : "Haswell")
        XCTAssertTrue(run.error.contains("OpenBLAS core \(expected) (OPENBLAS_CORETYPE=\(expected))"), run.error)

        let quiet = try pareto(["--quiet", "--help"], environment: ["PARETOKIT_BLAS_ASSUMED_CORE": "Prescott"])
        XCTAssertEqual(quiet.status, 0, quiet.error)
        XCTAssertFalse(quiet.error.contains("restarting"), quiet.error)
        XCTAssertTrue(quiet.error.contains("OpenBLAS core \(expected)"), quiet.error)
        let quietByEnvironment = try pareto(["--help"], environment: ["PARETOKIT_BLAS_ASSUMED_CORE": "Prescott", "PARETOKIT_QUIET": "1"])
        XCTAssertFalse(quietByEnvironment.error.contains("restarting"), quietByEnvironment.error)
    }

    /// A restarted process that still runs generic kernels keeps going (no loop) and warns once.
    func testRestartMarkerPreventsLoops() throws {
        let run = try pareto(["--help"], environment: ["OPENBLAS_CORETYPE": "Prescott", "PARETOKIT_BLAS_RESTARTED": "Prescott"])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertEqual(count("OVERVIEW", in: run.output), 1)
        XCTAssertFalse(run.error.contains("restarting"), run.error)
        XCTAssertTrue(run.error.contains("OpenBLAS core Prescott"), run.error)
        if let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), flags.contains(" avx2 ") {
            XCTAssertEqual(count("generic Prescott kernels", in: run.error), 1, run.error)
        }
    }
}
