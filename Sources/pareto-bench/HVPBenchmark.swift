import ArgumentParser
import Foundation
import ParetoKit

/// `pareto-bench hvp`: loss+gradient and Hessian-vector product of the multi-task LeNet in
/// Float32, against the sgemm rate the same process measures, for two engines: the general
/// tape (`MultiTaskLoss<MultiLeNet, Float>`) and the hand-fused kernel
/// (`FusedMultiLeNetLoss<Float>`), including the fused kernel's prepared-point HVP (tangent
/// sweeps only, as MINRES uses it).
///
/// JSON keys `grad_ms`, `hvp_ms`, `hvp_over_grad`, `hvp_gflops` refer to the fastest engine's
/// full HVP (the fused one); `tape_grad_ms`, `tape_hvp_ms` to the tape; `hvp_prepared_ms`,
/// `hvp_prepared_gflops` to the fused prepared-point HVP.
struct HVPBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvp",
        abstract: "Time loss+gradient and HVP of the MultiLeNet (Float32, tape and fused engines) and compare with sgemm.")

    @Option(help: "Images per batch.") var batch = 256
    @Option(help: "Timed repetitions of the fused engine (median reported).") var repeats = 15
    @Option(help: "Timed repetitions of the (slow) tape engine; 0 skips it.") var tapeRepeats = 5
    @Option(help: "OpenBLAS threads of the sgemm reference and the tape engine (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Concurrent shard tasks of the fused kernel, each with single-threaded BLAS (default: --threads).") var tasks: Int?
    @Option(help: "Clock of the interleaved timings: wall, or thread-cpu (the calling thread's CPU time, robust to other processes' load; needs --threads 1 and --tasks 1).") var clock: BenchmarkClock = .wall
    @Option(help: "Most capable C kernel variant to use: portable, avx2, avx512 (default: the best this CPU supports).") var kernels: KernelChoice?
    @Flag(help: "Also time every kernel of the fused HVP (its share, GFLOPS or GB/s against sgemm and memory bandwidth).") var breakdown = false
    @Flag(help: "End with one JSON line.") var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard (tasks ?? 1) >= 1 else { throw ValidationError("--tasks must be at least 1") }
        guard tapeRepeats >= 0 else { throw ValidationError("--tape-repeats must not be negative") }
        if clock == .threadCPU, threads != 1 || (tasks ?? threads) != 1 {
            throw ValidationError("--clock thread-cpu needs --threads 1 and --tasks 1 (all work on the calling thread)")
        }
    }

    func run() throws {
        BLASThreads.set(threads)
        if let kernels { FusedMultiLeNetVectorKernels.select(atMost: kernels.variant) }
        var generator = SeededBenchmarkGenerator(seed: 1)
        let model = MultiLeNet()
        let images = try Tensor<Float>(shape: [batch, 1, 28, 28], scalars: (0..<(batch * 784)).map { _ in Float.random(in: -0.4...2.8, using: &generator) })
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &generator) } }
        let loss = try MultiTaskLoss(model: model, images: images, labels: labels)
        let fused = try FusedMultiLeNetLoss(images: images, labels: labels)
        fused.parallelism = tasks ?? threads
        let x: [Float] = model.initialParameters(using: &generator)
        let v = (0..<x.count).map { _ in Float.random(in: -1...1, using: &generator) }
        let weights: [Float] = [0.5, 0.5]
        let flops = LeNetFLOPs(batch: batch)
        let sgemm = SGEMMReference()
        let preparing = try FusedMultiLeNetLoss(images: images, labels: labels)
        preparing.parallelism = fused.parallelism
        try preparing.prepare(at: x, weights: weights)
        // sgemm and the three fused evaluations alternate, so their ratios see the same load.
        // After sgemm, OpenBLAS's idle workers spin for a while (OPENBLAS_THREAD_TIMEOUT) and
        // would compete with the fused kernel's tasks; an untimed pause lets them sleep.
        let timings = try interleavedMedianSeconds(repeats: repeats, clock: clock, [
            { sgemm.run() },
            { usleep(250_000) },
            { _ = try fused.valuesAndWeightedGradient(at: x, weights: weights) },
            { _ = try fused.hessianVectorProduct(at: x, along: v, weights: weights) },
            { _ = try preparing.hessianVectorProduct(along: v) },
        ])
        let sgemmGFLOPS = sgemm.flop / timings[0] / 1e9
        let (gradientSeconds, hvpSeconds, preparedSeconds) = (timings[2], timings[3], timings[4])

        func report(_ name: String, _ seconds: Double, _ flop: Double) {
            let gflops = flop / seconds / 1e9
            print("\(name.padding(toLength: 26, withPad: " ", startingAt: 0))\(String(format: "%8.2f", seconds * 1e3)) ms  \(String(format: "%6.1f", gflops)) GFLOPS (\(String(format: "%.0f", 100 * gflops / sgemmGFLOPS)) % of sgemm)")
        }
        print(blasReportLine())
        print("fused C kernels: \(FusedMultiLeNetVectorKernels.selected) (best supported: \(FusedMultiLeNetVectorKernels.best))")
        print("MultiLeNet, batch \(batch), Float32; sgemm and tape: \(threads) BLAS thread(s); fused: \(fused.parallelism) task(s) over shards of \(FusedMultiLeNetLoss<Float>.shardImages) images")
        print("sgemm (1024³):            \(String(format: "%8.1f", sgemmGFLOPS)) GFLOPS  (median of \(repeats), interleaved with the fused timings; \(clock == .wall ? "wall clock" : "thread CPU time"))")

        var tapeGradientSeconds = Double.nan, tapeHVPSeconds = Double.nan
        if tapeRepeats > 0 {
            tapeGradientSeconds = try medianSeconds(repeats: tapeRepeats, warmup: 1) {
                _ = try loss.valuesAndWeightedGradient(at: x, weights: weights)
            }
            tapeHVPSeconds = try medianSeconds(repeats: tapeRepeats, warmup: 1) {
                _ = try loss.hessianVectorProduct(at: x, along: v, weights: weights)
            }
            report("tape loss + gradient:", tapeGradientSeconds, flops.gradient)
            report("tape HVP:", tapeHVPSeconds, flops.hessianVectorProduct)
        }
        report("fused loss + gradient:", gradientSeconds, flops.gradient)
        report("fused HVP:", hvpSeconds, flops.hessianVectorProduct)
        report("fused prepared-point HVP:", preparedSeconds, flops.preparedHessianVectorProduct)
        let gradientGFLOPS = flops.gradient / gradientSeconds / 1e9
        let hvpGFLOPS = flops.hessianVectorProduct / hvpSeconds / 1e9
        let preparedGFLOPS = flops.preparedHessianVectorProduct / preparedSeconds / 1e9
        print("fused HVP ÷ gradient:     \(String(format: "%8.2f", hvpSeconds / gradientSeconds))  (GEMM FLOP ratio \(String(format: "%.2f", flops.hessianVectorProduct / flops.gradient)))")
        if tapeRepeats > 0 {
            print("tape HVP ÷ gradient:      \(String(format: "%8.2f", tapeHVPSeconds / tapeGradientSeconds));  tape ÷ fused HVP time \(String(format: "%.1f", tapeHVPSeconds / hvpSeconds))")
        }
        var breakdownRecord: [String: Any]? = nil
        if breakdown {
            breakdownRecord = try printBreakdown(fused, x: x, v: v, weights: weights, sgemmGFLOPS: sgemmGFLOPS)
        }
        if json {
            var record: [String: Any] = [
                "batch": batch, "threads": threads, "tasks": fused.parallelism, "shard_images": FusedMultiLeNetLoss<Float>.shardImages,
                "grad_ms": rounded(gradientSeconds * 1e3), "hvp_ms": rounded(hvpSeconds * 1e3),
                "hvp_over_grad": rounded(hvpSeconds / gradientSeconds),
                "sgemm_gflops": rounded(sgemmGFLOPS, 1), "grad_gflops": rounded(gradientGFLOPS, 1),
                "hvp_gflops": rounded(hvpGFLOPS, 1), "hvp_fraction_of_sgemm": rounded(hvpGFLOPS / sgemmGFLOPS),
                "grad_gflop": rounded(flops.gradient / 1e9, 4), "hvp_gflop": rounded(flops.hessianVectorProduct / 1e9, 4),
                "hvp_prepared_ms": rounded(preparedSeconds * 1e3), "hvp_prepared_gflops": rounded(preparedGFLOPS, 1),
                "hvp_prepared_gflop": rounded(flops.preparedHessianVectorProduct / 1e9, 4),
                "engine": "fused", "clock": clock.rawValue, "kernels": FusedMultiLeNetVectorKernels.selected.description,
            ]
            if let breakdownRecord { record["breakdown"] = breakdownRecord }
            if tapeRepeats > 0 {
                record["tape_grad_ms"] = rounded(tapeGradientSeconds * 1e3)
                record["tape_hvp_ms"] = rounded(tapeHVPSeconds * 1e3)
            }
            print(jsonLine(record))
        }
    }

}

/// `--kernels`: an upper bound on the fused kernel's C variant.
enum KernelChoice: String, CaseIterable, ExpressibleByArgument {
    case portable, avx2, avx512

    var variant: FusedMultiLeNetVectorKernels.Variant {
        switch self {
        case .portable: return .portable
        case .avx2: return .avx2FMA
        case .avx512: return .avx512
        }
    }
}

extension HVPBenchmark {
    /// Profiles `repeats` fused HVPs and prints each kernel's median time (summed over the
    /// shards: thread-time), its share of the kernels' summed medians,
    /// its per-core rate, and that rate against the per-core sgemm rate (`sgemmGFLOPS / threads`,
    /// arithmetic kernels) or single-thread copy bandwidth (memory-bound kernels; their data
    /// is mostly in cache, so they can exceed it). Returns the same figures for the JSON line.
    func printBreakdown(_ fused: FusedMultiLeNetLoss<Float>, x: [Float], v: [Float], weights: [Float], sgemmGFLOPS: Double) throws -> [String: Any] {
        let bandwidth = CopyBandwidthReference()
        var copySamples: [Double] = []
        var profiles: [FusedMultiLeNetProfile] = []
        for _ in 0..<repeats + 2 {
            copySamples.append(seconds { bandwidth.run() })
            profiles.append(try fused.profiledHessianVectorProduct(at: x, along: v, weights: weights).profile)
        }
        let walls = profiles.map(\.wallSeconds)
        // Medians per kernel (a loaded machine preempts some runs; means would follow the outliers).
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var total = FusedMultiLeNetProfile()
        for kernel in FusedMultiLeNetKernel.allCases {
            guard let first = profiles[0].entries[kernel] else { continue }
            var entry = first
            entry.seconds = median(profiles.map { $0.entries[kernel]?.seconds ?? 0 })
            total.entries[kernel] = entry
        }
        let copyGBs = bandwidth.bytes / copySamples.sorted()[copySamples.count / 2] / 1e9
        let tasks = Swift.min(fused.parallelism, (batch + FusedMultiLeNetLoss<Float>.shardImages - 1) / FusedMultiLeNetLoss<Float>.shardImages)
        let perCoreSGEMM = sgemmGFLOPS / Double(threads)
        let kernelSeconds = total.totalSeconds
        print("breakdown of the fused HVP (medians of \(profiles.count) profiled runs, \(tasks) task(s); kernel thread-time \(String(format: "%.2f", kernelSeconds * 1e3)) ms, wall \(String(format: "%.2f", walls.sorted()[walls.count / 2] * 1e3)) ms median)")
        print("  per-core references: sgemm \(String(format: "%.1f", perCoreSGEMM)) GFLOPS, copy bandwidth \(String(format: "%.1f", copyGBs)) GB/s (64 MiB memcpy)")
        var kernels: [String: Any] = [:]
        for kernel in FusedMultiLeNetKernel.allCases {
            guard let entry = total.entries[kernel] else { continue }
            let milliseconds = entry.seconds * 1e3
            let share = entry.seconds / total.totalSeconds
            var rate = "", fraction = ""
            var row: [String: Any] = ["ms": rounded(milliseconds), "share": rounded(share), "calls": entry.calls]
            if kernel.isArithmetic, entry.flop > 0 {
                let gflops = entry.flop / entry.seconds / 1e9
                rate = String(format: "%7.1f GFLOPS", gflops)
                fraction = String(format: "%4.0f %% of sgemm", 100 * gflops / perCoreSGEMM)
                row["gflops"] = rounded(gflops, 1)
            } else if entry.bytes > 0 {
                let gbs = entry.bytes / entry.seconds / 1e9
                rate = String(format: "%7.1f GB/s  ", gbs)
                fraction = String(format: "%4.0f %% of copy", 100 * gbs / copyGBs)
                row["gb_per_s"] = rounded(gbs, 1)
            }
            kernels[kernel.rawValue] = row
            print("  \(kernel.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0))\(String(format: "%7.2f", milliseconds)) ms \(String(format: "%5.1f", 100 * share)) %  \(rate)  \(fraction)")
        }
        return ["kernels": kernels, "copy_gb_per_s": rounded(copyGBs, 1), "kernel_thread_ms": rounded(kernelSeconds * 1e3)]
    }
}

/// The memory-bandwidth reference: one 64 MiB `memcpy` (bytes read + written) per ``run()``.
final class CopyBandwidthReference {
    let count = 16 << 20
    var bytes: Double { 2 * Double(count * MemoryLayout<Float>.stride) }
    private let source: [Float]
    private var target: [Float]

    init() {
        source = [Float](repeating: 1, count: count)
        target = [Float](repeating: 0, count: count)
    }

    func run() {
        let count = self.count
        source.withUnsafeBufferPointer { s in target.withUnsafeMutableBufferPointer { t in
            t.baseAddress!.update(from: s.baseAddress!, count: count)
        } }
    }
}

/// The sgemm reference: one 1024 × 1024 × 1024 product (2·1024³ FLOPs) per ``run()``.
final class SGEMMReference {
    let n = 1024
    var flop: Double { 2 * Double(n * n * n) }
    private let a: [Float], b: [Float]
    private var c: [Float]

    init() {
        a = [Float](repeating: 0.5, count: n * n)
        b = [Float](repeating: 0.25, count: n * n)
        c = [Float](repeating: 0, count: n * n)
    }

    func run() {
        let n = self.n
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            Float.gemm(transposeA: .none, transposeB: .none, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                       b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
        } } }
    }
}

/// GEMM floating-point operations of the MultiLeNet, counted from the layer shapes.
///
/// A layer's product costs `F = 2·M·N·K`. Loss+gradient: forward `F`, weight adjoint `F`,
/// input adjoint `F` (none for conv1, whose input is data). Forward-over-reverse HVP: forward
/// `F`, forward tangent `2F` (`W·ẋ + Ẇ·x`; `F` for conv1), adjoints `F + F`, adjoint tangents
/// `2F + 2F` (conv1: weight `F`, no input). A prepared-point HVP runs only the tangent
/// sweeps: forward tangent `2F` (conv1 `F`) and adjoint tangents `2F + 2F` (conv1 `F`), so
/// `2·conv1 + 6·others`. Elementwise work (bias, ReLU, pooling, softmax, im2col) is not counted.
/// These are dense-equivalent counts: the fused kernel does less arithmetic for conv1's tangent
/// and adjoints (only at the positions max-pooling and ReLU keep), so its GFLOPS are those of
/// the dense computation it replaces.
struct LeNetFLOPs {
    let gradient: Double
    let hessianVectorProduct: Double
    let preparedHessianVectorProduct: Double

    init(batch: Int) {
        let b = Double(batch)
        let conv1 = 2 * b * 576 * 10 * 25
        let others = 2 * b * 64 * 20 * 250 + 2 * b * 320 * 50 + 2 * (2 * b * 50 * 10)
        gradient = 2 * conv1 + 3 * others
        hessianVectorProduct = 4 * conv1 + 9 * others
        preparedHessianVectorProduct = 2 * conv1 + 6 * others
    }
}

/// SplitMix64, so the benchmark's inputs are the same on every run.
struct SeededBenchmarkGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
