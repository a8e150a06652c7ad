import ArgumentParser
import Foundation
import ParetoKit

/// `pareto-bench hvp`: loss+gradient and Hessian-vector product of the multi-task LeNet in
/// Float32, against the sgemm rate the same process measures.
struct HVPBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvp",
        abstract: "Time loss+gradient and HVP of the MultiLeNet (Float32) and compare with sgemm.")

    @Option(help: "Images per batch.") var batch = 256
    @Option(help: "Timed repetitions (median reported).") var repeats = 15
    @Option(help: "OpenBLAS threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "End with one JSON line.") var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        BLASThreads.set(threads)
        let sgemmGFLOPS = measureSGEMM()
        var generator = SeededBenchmarkGenerator(seed: 1)
        let model = MultiLeNet()
        let images = try Tensor<Float>(shape: [batch, 1, 28, 28], scalars: (0..<(batch * 784)).map { _ in Float.random(in: -0.4...2.8, using: &generator) })
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &generator) } }
        let loss = try MultiTaskLoss(model: model, images: images, labels: labels)
        let x: [Float] = model.initialParameters(using: &generator)
        let v = (0..<x.count).map { _ in Float.random(in: -1...1, using: &generator) }
        let weights: [Float] = [0.5, 0.5]

        let gradientSeconds = try medianSeconds(repeats: repeats) {
            _ = try loss.valuesAndWeightedGradient(at: x, weights: weights)
        }
        let hvpSeconds = try medianSeconds(repeats: repeats) {
            _ = try loss.hessianVectorProduct(at: x, along: v, weights: weights)
        }
        let flops = LeNetFLOPs(batch: batch)
        let gradientGFLOPS = flops.gradient / gradientSeconds / 1e9
        let hvpGFLOPS = flops.hessianVectorProduct / hvpSeconds / 1e9
        print("MultiLeNet, batch \(batch), Float32, \(threads) BLAS thread(s)")
        print("sgemm (1024³):      \(String(format: "%7.1f", sgemmGFLOPS)) GFLOPS")
        print("loss + gradient:    \(String(format: "%7.2f", gradientSeconds * 1e3)) ms  \(String(format: "%6.1f", gradientGFLOPS)) GFLOPS (\(String(format: "%.0f", 100 * gradientGFLOPS / sgemmGFLOPS)) % of sgemm)")
        print("HVP:                \(String(format: "%7.2f", hvpSeconds * 1e3)) ms  \(String(format: "%6.1f", hvpGFLOPS)) GFLOPS (\(String(format: "%.0f", 100 * hvpGFLOPS / sgemmGFLOPS)) % of sgemm)")
        print("HVP ÷ gradient:     \(String(format: "%7.2f", hvpSeconds / gradientSeconds))  (GEMM FLOP ratio \(String(format: "%.2f", flops.hessianVectorProduct / flops.gradient)))")
        if json {
            print(jsonLine([
                "batch": batch, "threads": threads,
                "grad_ms": rounded(gradientSeconds * 1e3), "hvp_ms": rounded(hvpSeconds * 1e3),
                "hvp_over_grad": rounded(hvpSeconds / gradientSeconds),
                "sgemm_gflops": rounded(sgemmGFLOPS, 1), "grad_gflops": rounded(gradientGFLOPS, 1),
                "hvp_gflops": rounded(hvpGFLOPS, 1), "hvp_fraction_of_sgemm": rounded(hvpGFLOPS / sgemmGFLOPS),
                "grad_gflop": rounded(flops.gradient / 1e9, 4), "hvp_gflop": rounded(flops.hessianVectorProduct / 1e9, 4),
            ]))
        }
    }

    /// Median sgemm rate on 1024 × 1024 × 1024 (2·1024³ FLOPs per call).
    private func measureSGEMM() -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let time = medianSeconds(repeats: 9) {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                Float.gemm(transposeA: .none, transposeB: .none, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                           b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
            } } }
        }
        return 2 * Double(n * n * n) / time / 1e9
    }
}

/// GEMM floating-point operations of the MultiLeNet, counted from the layer shapes.
///
/// A layer's product costs `F = 2·M·N·K`. Loss+gradient: forward `F`, weight adjoint `F`,
/// input adjoint `F` (none for conv1, whose input is data). Forward-over-reverse HVP: forward
/// `F`, forward tangent `2F` (`W·ẋ + Ẇ·x`; `F` for conv1), adjoints `F + F`, adjoint tangents
/// `2F + 2F` (conv1: weight `F`, no input). Elementwise work (bias, ReLU, pooling, softmax,
/// im2col) is not counted.
struct LeNetFLOPs {
    let gradient: Double
    let hessianVectorProduct: Double

    init(batch: Int) {
        let b = Double(batch)
        let conv1 = 2 * b * 576 * 10 * 25
        let others = 2 * b * 64 * 20 * 250 + 2 * b * 320 * 50 + 2 * (2 * b * 50 * 10)
        gradient = 2 * conv1 + 3 * others
        hessianVectorProduct = 4 * conv1 + 9 * others
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
