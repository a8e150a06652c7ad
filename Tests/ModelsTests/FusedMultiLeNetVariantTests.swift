import Autodiff
import LinearAlgebra
import Models
import XCTest

private func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
private func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return norm(zip(a, b).map { $0 - $1 }) / max(norm(b), 1e-300)
}

/// The C kernel variants (portable, AVX2+FMA, AVX-512) of the fused MultiLeNet against the tape,
/// against each other, across task counts; and the kernel profile against the layer shapes.
final class FusedMultiLeNetVariantTests: XCTestCase {
    override func tearDown() {
        FusedMultiLeNetVectorKernels.select(atMost: .avx512)
        super.tearDown()
    }

    private func problem<S: BLASScalar>(batch: Int, seed: UInt64, as _: S.Type) throws -> (images: Tensor<S>, labels: [[Int]], x: [S], v: [S]) {
        var random = SplitMix64(state: seed)
        let images = try Tensor<S>(shape: [batch, 1, 28, 28], scalars: random.uniform(batch * 784, in: -0.5...2.5).map { S($0) })
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &random) } }
        let x = (MultiLeNet().initialParameters(using: &random) as [Double]).map { S(3 * $0) }
        let v = random.uniform(x.count).map { S($0) }
        return (images, labels, x, v)
    }

    private var variants: [FusedMultiLeNetVectorKernels.Variant] {
        FusedMultiLeNetVectorKernels.Variant.allCases.filter { $0.rawValue <= FusedMultiLeNetVectorKernels.best.rawValue }
    }

    /// Every variant the processor supports matches the tape to 1e-12 in Float64, over a batch
    /// of two shards, and is bit-identical for one and three tasks.
    func testEveryVariantMatchesTapeAndIsIndependentOfTasks() throws {
        let p = try problem(batch: 70, seed: 91, as: Double.self)
        let weights = [0.35, 0.65]
        let tape = try MultiTaskLoss(model: MultiLeNet(), images: p.images, labels: p.labels)
        let expected = try tape.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
        XCTAssertGreaterThan(norm(expected.product), 1e-3)
        for variant in variants {
            XCTAssertEqual(FusedMultiLeNetVectorKernels.select(atMost: variant), variant)
            let fused = try FusedMultiLeNetLoss(images: p.images, labels: p.labels)
            fused.parallelism = 1
            let one = try fused.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
            XCTAssertLessThan(relativeError(one.values, expected.values), 1e-12, "\(variant)")
            XCTAssertLessThan(relativeError(one.weightedGradient, expected.weightedGradient), 1e-12, "\(variant)")
            XCTAssertLessThan(relativeError(one.product, expected.product), 1e-12, "\(variant)")
            fused.parallelism = 3
            let three = try fused.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
            XCTAssertEqual(three.values, one.values, "\(variant)")
            XCTAssertEqual(three.weightedGradient, one.weightedGradient, "\(variant)")
            XCTAssertEqual(three.product, one.product, "\(variant)")
        }
    }

    /// In Float32 the variants agree to single-precision rounding (they differ only in FMA and,
    /// with AVX-512, in conv2's summation order).
    func testVariantsAgreeInSinglePrecision() throws {
        guard FusedMultiLeNetVectorKernels.best.rawValue >= FusedMultiLeNetVectorKernels.Variant.avx2FMA.rawValue else {
            throw XCTSkip("no AVX2+FMA on this processor")
        }
        let p = try problem(batch: 9, seed: 92, as: Float.self)
        var results: [HessianVectorProduct<Float>] = []
        for variant in variants {
            FusedMultiLeNetVectorKernels.select(atMost: variant)
            let fused = try FusedMultiLeNetLoss(images: p.images, labels: p.labels)
            results.append(try fused.hessianVectorProduct(at: p.x, along: p.v, weights: [0.5, 0.5]))
        }
        func double(_ x: [Float]) -> [Double] { x.map(Double.init) }
        for index in 1..<results.count {
            XCTAssertLessThan(relativeError(double(results[index].weightedGradient), double(results[0].weightedGradient)), 1e-4, "\(variants[index])")
            XCTAssertLessThan(relativeError(double(results[index].product), double(results[0].product)), 1e-4, "\(variants[index])")
            // Fused multiply-adds and other summation orders round differently: identical bits
            // would mean the switch did nothing.
            XCTAssertNotEqual(results[index].product, results[index - 1].product, "\(variants[index])")
        }
    }

    /// The AVX-512 conv2 GEMMs are used for every block size: a batch whose last conv2 block and
    /// last shard are partial (and a one-image batch) matches the tape in Float64, prepared
    /// HVPs are bit-identical to full ones, and one and two tasks agree bit for bit.
    func testAVX512KernelsOnPartialBlocksMatchTape() throws {
        guard FusedMultiLeNetVectorKernels.best == .avx512 else { throw XCTSkip("no AVX-512 on this processor") }
        XCTAssertEqual(FusedMultiLeNetVectorKernels.select(atMost: .avx512), .avx512)
        for batch in [1, 67] {
            let p = try problem(batch: batch, seed: 94 + UInt64(batch), as: Double.self)
            let weights = [0.8, 0.2]
            let tape = try MultiTaskLoss(model: MultiLeNet(), images: p.images, labels: p.labels)
            let expected = try tape.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
            let (tapeValues, tapeJacobian) = try tape.valuesAndJacobian(at: p.x)
            let fused = try FusedMultiLeNetLoss(images: p.images, labels: p.labels)
            fused.parallelism = 1
            let one = try fused.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
            XCTAssertLessThan(relativeError(one.weightedGradient, expected.weightedGradient), 1e-12, "batch \(batch)")
            XCTAssertLessThan(relativeError(one.product, expected.product), 1e-12, "batch \(batch)")
            let (values, jacobian) = try fused.valuesAndJacobian(at: p.x)
            XCTAssertLessThan(relativeError(values, tapeValues), 1e-12, "batch \(batch)")
            for row in 0..<2 { XCTAssertLessThan(relativeError(jacobian[row], tapeJacobian[row]), 1e-12, "batch \(batch)") }
            try fused.prepare(at: p.x, weights: weights)
            XCTAssertEqual(try fused.hessianVectorProduct(along: p.v), one.product, "batch \(batch)")
            fused.parallelism = 2
            let two = try fused.hessianVectorProduct(at: p.x, along: p.v, weights: weights)
            XCTAssertEqual(two.product, one.product, "batch \(batch)")
            XCTAssertEqual(two.weightedGradient, one.weightedGradient, "batch \(batch)")
        }
    }

    /// The profiled HVP returns the same bits as the plain one, and its GEMM FLOPs are those of
    /// the layer shapes: conv2 `9F` with `F = 2·N·64·20·250` (forward F, adjoints 2F, tangent
    /// forward 2F + F, tangent adjoints F + 2F), fc1 `9F` with `F = 2·N·320·50`, each head
    /// `9F` with `F = 2·N·50·10` (forward F, adjoints 2F, tangents 2F, adjoint tangents 4F).
    func testProfileKeepsResultsAndCountsGEMMWork() throws {
        let batch = 70
        let p = try problem(batch: batch, seed: 93, as: Double.self)
        let fused = try FusedMultiLeNetLoss(images: p.images, labels: p.labels)
        let plain = try fused.hessianVectorProduct(at: p.x, along: p.v, weights: [0.2, 0.8])
        let (profiled, profile) = try fused.profiledHessianVectorProduct(at: p.x, along: p.v, weights: [0.2, 0.8])
        XCTAssertEqual(profiled.product, plain.product)
        XCTAssertEqual(profiled.weightedGradient, plain.weightedGradient)
        let n = Double(batch)
        XCTAssertEqual(profile.entries[.conv2GEMM]?.flop, 9 * 2 * n * 64 * 20 * 250)
        XCTAssertEqual(profile.entries[.denseGEMM]?.flop, 9 * 2 * n * 320 * 50 + 2 * 9 * 2 * n * 50 * 10)
        for kernel in FusedMultiLeNetKernel.allCases {
            XCTAssertGreaterThan(profile.entries[kernel]?.calls ?? 0, 0, kernel.rawValue)
        }
        XCTAssertGreaterThan(profile.wallSeconds, 0)
    }
}
