import ArgumentParser
import Foundation
import LinearAlgebra
import MultiObjective

/// `pareto-bench hypervolume`: wall-clock time of the exact 2-D and 3-D hypervolume
/// (``Hypervolume/compute(_:reference:)``) on seeded, mutually non-dominated point sets, at N and
/// N/10, so that the growth ratio shows the O(N log N) scaling (a ratio of about 10–13 for 10× N).
///
/// Each measurement is the median of `--runs` calls, in wall-clock time and in the calling
/// thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`). The growth ratios are computed from CPU time,
/// which excludes preemption: on a shared machine a 10 ms call is descheduled far more often than
/// a 1 ms call, which inflates wall-clock ratios. Wall-clock ratios are reported alongside.
/// One untimed warm-up call precedes each measurement.
///
/// Points: 2-D on the simplex `(t, 1 − t)`, `t ~ U(0, 1)`; 3-D on the unit sphere in the positive
/// octant (`|z| / ‖z‖`, `z` standard normal). Every pair is incomparable, so nothing is filtered
/// and the whole front enters the sweep. Reference point `(1.1, …, 1.1)`.
struct HypervolumeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypervolume",
        abstract: "Time the exact 2-D and 3-D hypervolume at N and N/10 points.")

    @Option(name: .customLong("points-2d"), help: "Number of 2-D points.")
    var points2D = 100_000

    @Option(name: .customLong("points-3d"), help: "Number of 3-D points.")
    var points3D = 10_000

    @Option(help: "Timed runs per measurement (the median is reported).")
    var runs = 7

    @Option(help: "Seed of the point generator.")
    var seed: UInt64 = 2_024

    @Flag(help: "End the output with one JSON line of the results.")
    var json = false

    func validate() throws {
        guard points2D >= 10, points3D >= 10 else {
            throw ValidationError("--points-2d and --points-3d must be at least 10")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        var generator = SeededGenerator(seed: seed)
        let simplex = (0..<points2D).map { _ -> [Double] in
            let t = generator.unitDouble()
            return [t, 1 - t]
        }
        let sphere = (0..<points3D).map { _ -> [Double] in
            let z = (0..<3).map { _ in Swift.abs(generator.gaussian()) + 1e-12 }
            let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return z.map { $0 / norm }
        }

        // Smaller sizes first: glibc raises its mmap/trim thresholds after freeing a large block,
        // after which smaller calls stop re-faulting their pages; measuring N first would make
        // N/10 look unfairly cheap and inflate the growth ratio.
        let tenth2D = try measure(Array(simplex.prefix(points2D / 10)), reference: [1.1, 1.1])
        let full2D = try measure(simplex, reference: [1.1, 1.1])
        let tenth3D = try measure(Array(sphere.prefix(points3D / 10)), reference: [1.1, 1.1, 1.1])
        let full3D = try measure(sphere, reference: [1.1, 1.1, 1.1])
        let growth2D = full2D.cpuMilliseconds / tenth2D.cpuMilliseconds
        let growth3D = full3D.cpuMilliseconds / tenth3D.cpuMilliseconds
        let wallGrowth2D = full2D.milliseconds / tenth2D.milliseconds
        let wallGrowth3D = full3D.milliseconds / tenth3D.milliseconds

        print(blasReportLine())
        print("hypervolume benchmark (median of \(runs) runs, seed \(seed); wall / thread CPU time)")
        for (label, m) in [("2-D", full2D), ("2-D", tenth2D), ("3-D", full3D), ("3-D", tenth3D)] {
            print(String(format: "  %@  N = %7d: %9.3f ms wall  %9.3f ms CPU   HV = %.12f",
                         label, m.points, m.milliseconds, m.cpuMilliseconds, m.value))
        }
        print(String(format: "  growth for 10x N (CPU): 2-D %.2f, 3-D %.2f   (wall: 2-D %.2f, 3-D %.2f)",
                     growth2D, growth3D, wallGrowth2D, wallGrowth3D))

        if json {
            let record: [String: Any] = [
                "benchmark": "hypervolume",
                "runs": runs,
                "seed": seed,
                "hv2d_points": points2D,
                "hv2d_ms": full2D.milliseconds,
                "hv2d_cpu_ms": full2D.cpuMilliseconds,
                "hv2d_value": full2D.value,
                "hv2d_tenth_ms": tenth2D.milliseconds,
                "hv2d_tenth_cpu_ms": tenth2D.cpuMilliseconds,
                "hv2d_growth_10x": growth2D,
                "hv2d_wall_growth_10x": wallGrowth2D,
                "hv3d_points": points3D,
                "hv3d_ms": full3D.milliseconds,
                "hv3d_cpu_ms": full3D.cpuMilliseconds,
                "hv3d_value": full3D.value,
                "hv3d_tenth_ms": tenth3D.milliseconds,
                "hv3d_tenth_cpu_ms": tenth3D.cpuMilliseconds,
                "hv3d_growth_10x": growth3D,
                "hv3d_wall_growth_10x": wallGrowth3D,
                "growth_basis": "thread_cpu_time",
            ]
            print(jsonLine(record))
        }
    }

    /// One measurement: point count, median wall-clock and thread CPU milliseconds, and the value.
    private struct Measurement {
        let points: Int
        let milliseconds: Double
        let cpuMilliseconds: Double
        let value: Double
    }

    /// The medians over `runs` calls of `Hypervolume.compute` of wall-clock and thread CPU time.
    private func measure(_ points: [[Double]], reference: [Double]) throws -> Measurement {
        var wall: [Double] = []
        var cpu: [Double] = []
        // One untimed call first, so that the timed runs do not pay for growing the heap
        // (first-touch page faults), which would penalise whichever size is measured first.
        var value = try Hypervolume.compute(points, reference: reference)
        for _ in 0..<runs {
            let wallStart = DispatchTime.now().uptimeNanoseconds
            let cpuStart = threadCPUNanoseconds()
            value = try Hypervolume.compute(points, reference: reference)
            cpu.append(Double(threadCPUNanoseconds() - cpuStart) * 1e-6)
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - wallStart) * 1e-6)
        }
        wall.sort()
        cpu.sort()
        return Measurement(points: points.count, milliseconds: wall[runs / 2], cpuMilliseconds: cpu[runs / 2], value: value)
    }

    /// CPU time consumed by the calling thread (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`).
    private func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
