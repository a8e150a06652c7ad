import ArgumentParser
import Foundation
import LinearAlgebra

/// The clock a benchmark reads.
enum BenchmarkClock: String, CaseIterable, ExpressibleByArgument {
    /// Wall-clock time (the default).
    case wall
    /// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): on a machine shared with
    /// other work it leaves out the time other processes held the core, so single-threaded
    /// ratios stay comparable under load. Meaningful only when all the work runs on the calling
    /// thread (one BLAS thread, one task).
    case threadCPU = "thread-cpu"

    /// Seconds on this clock now.
    func now() -> Double {
        var time = timespec()
        clock_gettime(self == .wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Wall-clock seconds of `body` (or seconds on `clock`).
func seconds(on clock: BenchmarkClock = .wall, _ body: () throws -> Void) rethrows -> Double {
    let start = clock.now()
    try body()
    return clock.now() - start
}

/// The median of `repeats` timings of `body` after `warmup` untimed runs.
func medianSeconds(repeats: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    for _ in 0..<repeats { samples.append(try seconds(body)) }
    samples.sort()
    return samples[samples.count / 2]
}

/// One JSON line from a dictionary (keys sorted, for stable output), with the BLAS facts every
/// figure depends on added: `blas_core` (`openblas_get_corename()`), `blas_threads` (OpenBLAS's
/// thread count now), `blas_coretype_env` (`OPENBLAS_CORETYPE`, or "" when unset) and `cpu`.
func jsonLine(_ object: [String: Any]) -> String {
    var record = object
    record["blas_core"] = BLASRuntime.coreName
    record["blas_threads"] = BLASRuntime.threadCount
    record["blas_coretype_env"] = ProcessInfo.processInfo.environment[BLASRuntime.coreTypeVariable] ?? ""
    record["cpu"] = cpuModelName()
    let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Rounds for display.
func rounded(_ value: Double, _ digits: Int = 3) -> Double {
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}

/// Medians of `repeats` rounds in which every body runs once, in order, after `warmup`
/// untimed rounds. Interleaving keeps a ratio of two medians fair on a machine whose load
/// drifts during the run: both bodies see the same load on average.
func interleavedMedianSeconds(
    repeats: Int, warmup: Int = 2, clock: BenchmarkClock = .wall, _ bodies: [() throws -> Void]
) throws -> [Double] {
    for _ in 0..<warmup { for body in bodies { try body() } }
    var samples = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<repeats {
        for (index, body) in bodies.enumerated() { samples[index].append(try seconds(on: clock, body)) }
    }
    return samples.map { $0.sorted()[$0.count / 2] }
}

/// The line every report starts with: CPU model, OpenBLAS core and thread count now.
func blasReportLine() -> String {
    "CPU: \(cpuModelName()) [\(CPUFeatures.current)]; \(BLASRuntime.check().summary)"
}

/// The processor's model name from `/proc/cpuinfo` (e.g. "AMD EPYC"), or "unknown".
func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}
