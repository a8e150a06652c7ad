import ArgumentParser
import Krylov
import LinearAlgebra

/// `pareto-bench minres`: the per-iteration cost of MINRES beyond the operator product.
///
/// The operator is a cheap diagonal `ClosureOperator` with an indefinite, widely spread
/// spectrum (so that MINRES runs all `k` steps). The benchmark times, in one process and after
/// a warm-up, the median over `--repeats` runs of (a) MINRES capped at `k` iterations and (b) `k`
/// products of the same operator alone; the overhead per iteration is `(a − b)/k`, reported in
/// microseconds and in units of one `n`-vector `daxpy` (median of the same run).
///
/// It also reports the fixed set-up cost (MINRES capped at 0 iterations) and the overhead per
/// iteration when the work vectors come from a reused ``MINRESWorkspace``, which removes the
/// page faults of freshly allocated vectors.
struct MINRESBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minres",
        abstract: "Measure MINRES's per-iteration overhead beyond the operator product.")

    @Option(help: "Vector dimension n (22,350 = parameters of the multi-task LeNet).")
    var dimension = 22350

    @Option(help: "MINRES iterations k per timed run.")
    var iterations = 50

    @Option(help: "Timed repeats (medians are reported).")
    var repeats = 20

    @Option(help: "OpenBLAS threads (the daxpy reference).")
    var threads = 1

    @Flag(help: "End the output with one JSON line.")
    var json = false

    func validate() throws {
        guard dimension > 0 else { throw ValidationError("--dimension must be positive") }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() throws {
        BLASThreads.set(threads)
        let n = dimension
        let k = iterations
        // Eigenvalues ±[1e-3, 1], alternating signs: indefinite, condition 10³, all distinct.
        let diagonal = (0..<n).map { i -> Double in
            let magnitude = 1e-3 + (1 - 1e-3) * Double(i) / Double(max(n - 1, 1))
            return i % 2 == 0 ? magnitude : -magnitude
        }
        let op = ClosureOperator(dimension: n) { x, y in
            diagonal.withUnsafeBufferPointer { d in
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        for i in 0..<n { yp[i] = d[i] * xp[i] }
                    }
                }
            }
        }
        let b = (0..<n).map { i in 1 + 0.5 * Double((i * 7919) % 13) / 13 }

        // Warm-up, and a check that every run takes exactly k steps.
        let probe = try minres(op, b, relativeTolerance: 0, maxIterations: k)
        guard probe.iterations == k else {
            throw ValidationError("MINRES stopped after \(probe.iterations) < \(k) iterations (\(probe.stopReason))")
        }

        let clock = ContinuousClock()
        func microseconds(_ d: Duration) -> Double {
            let (seconds, attoseconds) = d.components
            return Double(seconds) * 1e6 + Double(attoseconds) * 1e-12
        }
        func median(_ values: [Double]) -> Double {
            let s = values.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }

        let workspace = MINRESWorkspace(dimension: n)
        _ = try minres(op, b, relativeTolerance: 0, maxIterations: k, workspace: workspace)
        var solveTimes = [Double]()
        var workspaceTimes = [Double]()
        var setupTimes = [Double]()
        var applyTimes = [Double]()
        var checksum = 0.0
        var x = b
        var y = [Double](repeating: 0, count: n)
        for _ in 0..<2 {
            for _ in 0..<k { try op.apply(x, into: &y); swap(&x, &y) }
        }
        for _ in 0..<repeats {
            let start = clock.now
            let result = try minres(op, b, relativeTolerance: 0, maxIterations: k)
            solveTimes.append(microseconds(clock.now - start))
            checksum += result.residualNorm

            let workspaceStart = clock.now
            let reused = try minres(op, b, relativeTolerance: 0, maxIterations: k, workspace: workspace)
            workspaceTimes.append(microseconds(clock.now - workspaceStart))
            checksum += reused.residualNorm

            let setupStart = clock.now
            let setup = try minres(op, b, relativeTolerance: 0, maxIterations: 0)
            setupTimes.append(microseconds(clock.now - setupStart))
            checksum += setup.residualNorm

            x = b
            let applyStart = clock.now
            for _ in 0..<k { try op.apply(x, into: &y); swap(&x, &y) }
            applyTimes.append(microseconds(clock.now - applyStart))
            checksum += x[0]
        }

        // One n-vector daxpy, timed in batches of 100.
        var axpyY = b
        let axpyX = diagonal
        for _ in 0..<100 { Vectors.axpy(1e-9, axpyX, &axpyY) }
        var axpyTimes = [Double]()
        for _ in 0..<repeats {
            let start = clock.now
            for _ in 0..<100 { Vectors.axpy(1e-9, axpyX, &axpyY) }
            axpyTimes.append(microseconds(clock.now - start) / 100)
        }
        checksum += axpyY[0]

        let solve = median(solveTimes)
        let solveWithWorkspace = median(workspaceTimes)
        let setup = median(setupTimes)
        let apply = median(applyTimes)
        let axpy = median(axpyTimes)
        let overhead = (solve - apply) / Double(k)
        let inAxpys = overhead / axpy
        let overheadWithWorkspace = (solveWithWorkspace - apply) / Double(k)
        print(blasReportLine())
        print("MINRES overhead, n = \(n), k = \(k), medians of \(repeats) (BLAS threads \(threads))")
        print("  MINRES total                   \(format(solve)) µs")
        print("  MINRES total, reused workspace \(format(solveWithWorkspace)) µs")
        print("  MINRES set-up only (k = 0)     \(format(setup)) µs")
        print("  \(k) operator products          \(format(apply)) µs")
        print("  overhead / iteration           \(format(overhead)) µs = \(format(inAxpys)) daxpys")
        print("  … with a reused workspace      \(format(overheadWithWorkspace)) µs = \(format(overheadWithWorkspace / axpy)) daxpys")
        print("  one daxpy                      \(format(axpy)) µs")
        if !checksum.isFinite { print("  (checksum not finite)") }
        if json {
            print(jsonLine([
                "dimension": n, "iterations": k, "overhead_us_per_iteration": overhead, "axpy_us": axpy,
                "overhead_in_axpys": inAxpys, "overhead_us_per_iteration_reused_workspace": overheadWithWorkspace,
                "setup_us": setup,
            ]))
        }
    }

    private func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded)"
    }
}
