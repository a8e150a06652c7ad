import Autodiff
import Datasets
import LinearAlgebra
import Models
import PaLoRA
import XCTest

private func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
private func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return norm(zip(a, b).map { $0 - $1 }) / max(norm(b), 1e-300)
}

/// Adapter layouts, eq. 2 and the exact derivatives through the adapters, checked against
/// hand counts, the tape engine (which forms `W(λ)` with its own operations) and central
/// finite differences, in Float64.
final class AdapterDerivativeTests: XCTestCase {
    /// Hand counts (r = 1): conv1 A [5, 5] + B [50, 5] = 275; conv2 A [5, 50] + B [100, 5] = 750;
    /// fc1 A [1, 320] + B [50, 1] = 370; per task 1,395; heads A [1, 50] + B [10, 1] = 60 each.
    func testParameterCountsAndNames() throws {
        let encoder = try PaLoRAAdapters()
        XCTAssertEqual(encoder.parameterCount, 2 * (275 + 750 + 370))
        XCTAssertEqual(encoder.parameterCount, 2_790)
        let all = try PaLoRAAdapters(configuration: AdapterConfiguration(placement: .all))
        XCTAssertEqual(all.parameterCount, 2_790 + 2 * 2 * 60)
        XCTAssertEqual(all.parameterCount, 3_030)
        let rank2 = try PaLoRAAdapters(configuration: AdapterConfiguration(rank: 2))
        XCTAssertEqual(rank2.parameterCount, 2 * 2 * 1_395)
        XCTAssertEqual(try encoder.layout.entry("conv1.lora_A.0").shape, [5, 5])
        XCTAssertEqual(try encoder.layout.entry("conv1.lora_B.1").shape, [50, 5])
        XCTAssertEqual(try encoder.layout.entry("conv2.lora_A.1").shape, [5, 50])
        XCTAssertEqual(try encoder.layout.entry("conv2.lora_B.0").shape, [100, 5])
        XCTAssertEqual(try encoder.layout.entry("fc1.lora_A.0").shape, [1, 320])
        XCTAssertEqual(try encoder.layout.entry("fc1.lora_B.0").shape, [50, 1])
        XCTAssertEqual(try all.layout.entry("fc3_2.lora_B.1").shape, [10, 1])
        XCTAssertThrowsError(try encoder.layout.entry("fc3_1.lora_A.0"))
        XCTAssertThrowsError(try PaLoRAAdapters(configuration: AdapterConfiguration(rank: 0)))
    }

    /// Kaiming-uniform A (|a| ≤ 1/√fan_in, fan_in = shape[1], spread over the range), zero B.
    func testInitialisation() throws {
        let adapters = try PaLoRAAdapters()
        let p: [Double] = adapters.initialAdapters(seed: 3)
        for entry in adapters.layout.entries {
            let values = p[entry.offset..<(entry.offset + entry.count)]
            if entry.name.contains("lora_B") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, entry.name)
            } else {
                let bound = 1 / Double(entry.shape[1]).squareRoot()
                XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, entry.name)
                XCTAssertGreaterThan(values.map(abs).max()!, 0.8 * bound, entry.name)
            }
        }
    }

    /// θ(λ) of eq. 2 against an explicit sum of outer products (r = 1: (BA)ᵢⱼ = Σ_k Bᵢₖ Aₖⱼ)
    /// written out element by element, including the conv kernel view [C_out·k, C_in·k].
    func testMaterializationAgainstExplicitSums() throws {
        let configuration = AdapterConfiguration(rank: 2, scale: 3, placement: .all)
        let adapters = try PaLoRAAdapters(configuration: configuration)
        let base = uniformValues(MultiLeNet.parameterLayout.parameterCount, scale: 0.1, seed: 5)
        let p = uniformValues(adapters.parameterCount, scale: 0.3, seed: 6)
        let lambda = [0.3, -1.2]
        let theta = try adapters.materialize(base: base, adapters: p, preference: lambda)
        var expected = base
        let tensors = try adapters.layout.unpack(p)
        for layer in adapters.layers {
            let offset = try MultiLeNet.parameterLayout.entry(layer.weightName).offset
            for t in 0..<2 {
                let a = tensors[layer.aName(task: t)]!.scalars, b = tensors[layer.bName(task: t)]!.scalars
                for i in 0..<layer.rows {
                    for j in 0..<layer.columns {
                        var sum = 0.0
                        for k in 0..<layer.innerRank { sum += b[i * layer.innerRank + k] * a[k * layer.columns + j] }
                        expected[offset + i * layer.columns + j] += 1.5 * lambda[t] * sum
                    }
                }
            }
        }
        XCTAssertLessThan(relativeError(theta, expected), 1e-14)
        let biases = MultiLeNet.parameterLayout.entries.filter { $0.name.hasSuffix(".bias") }
        for entry in biases {
            XCTAssertEqual(Array(theta[entry.offset..<(entry.offset + entry.count)]), Array(base[entry.offset..<(entry.offset + entry.count)]))
        }
    }

    /// Before training (B = 0) the adapted model is the checkpoint at every λ, bit for bit.
    func testOutputsBitIdenticalBeforeTraining() throws {
        let dataset = try generatedDataset(count: 12, seed: 7)
        let batch: MultiDigitBatch<Float> = try dataset.batch(0..<12)
        var generator = SplitMix64(state: 9)
        let base: [Float] = MultiLeNet().initialParameters(using: &generator)
        for placement in AdapterPlacement.allCases {
            let adapters = try PaLoRAAdapters(configuration: AdapterConfiguration(scale: 5, placement: placement))
            let p: [Float] = adapters.initialAdapters(seed: 1)
            let fused = try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
            let reference = try fused.valuesAndJacobian(at: base)
            for lambda in (0...10).map({ [Double($0) / 10, 1 - Double($0) / 10] }) + [[0, 0], [1, -1], [-1, 1], [-1, -1]] {
                let theta = try adapters.materialize(base: base, adapters: p, preference: lambda)
                XCTAssertEqual(theta.map(\.bitPattern), base.map(\.bitPattern), "\(lambda)")
                let objective = try PaLoRAObjective(inner: fused, adapters: adapters, preference: lambda, frozenBase: base)
                XCTAssertEqual(try objective.values(at: p), reference.values, "\(lambda)")
                let tape = Tape<Float>()
                let logits = try MultiLeNet().logits(parameters: tape.constant(Tensor(vector: theta)), images: tape.constant(batch.images))
                let referenceLogits = try MultiLeNet().logits(parameters: tape.constant(Tensor(vector: base)), images: tape.constant(batch.images))
                for (l, r) in zip(logits, referenceLogits) { XCTAssertEqual(l.value.scalars, r.value.scalars) }
            }
        }
    }

    private struct Problem {
        let adapters: PaLoRAAdapters
        let base: [Double]
        let factors: [Double]
        let images: Tensor<Double>
        let labels: [[Int]]
    }

    /// A point away from initialisation: larger base weights (varied ReLU/pool states) and
    /// non-zero B, so every term of the chain rule and the bilinear term are exercised.
    private func makeProblem(placement: AdapterPlacement, batch: Int = 6, seed: UInt64) throws -> Problem {
        let adapters = try PaLoRAAdapters(configuration: AdapterConfiguration(rank: 1, scale: 2, placement: placement))
        let dataset = try generatedDataset(count: batch, seed: seed)
        let b: MultiDigitBatch<Double> = try dataset.batch(0..<batch, as: Double.self)
        var generator = SplitMix64(state: seed)
        let base = (MultiLeNet().initialParameters(using: &generator) as [Double]).map { 2 * $0 }
        var factors: [Double] = adapters.initialAdapters(seed: seed)
        let noise = uniformValues(adapters.parameterCount, scale: 0.2, seed: seed + 100)
        for i in factors.indices { factors[i] += noise[i] }
        return Problem(adapters: adapters, base: base, factors: factors, images: b.images, labels: b.labels)
    }

    func testGradientAndHessianVectorProductMatchTapeAndFiniteDifferences() throws {
        for (placement, frozen, seed) in [(AdapterPlacement.encoder, true, 31), (.all, true, 32), (.encoder, false, 33)] as [(AdapterPlacement, Bool, UInt64)] {
            let problem = try makeProblem(placement: placement, seed: seed)
            for lambda in [[0.3, 0.7], [1.0, 0.0], [1.0, -1.0]] {
                let fused = try FusedMultiLeNetLoss(images: problem.images, labels: problem.labels)
                let fast = try PaLoRAObjective(inner: fused, adapters: problem.adapters, preference: lambda, frozenBase: frozen ? problem.base : nil)
                let tape = try PaLoRATapeObjective(
                    model: MultiLeNet(), adapters: problem.adapters, preference: lambda, frozenBase: frozen ? problem.base : nil,
                    images: problem.images, labels: problem.labels)
                let x = frozen ? problem.factors : problem.base + problem.factors
                XCTAssertEqual(fast.parameterCount, x.count)
                let v = uniformValues(x.count, scale: 1, seed: seed + 7)
                let weights = [0.6, 0.4]
                let expected = try tape.hessianVectorProduct(at: x, along: v, weights: weights)
                let actual = try fast.hessianVectorProduct(at: x, along: v, weights: weights)
                let context = "\(placement), frozen \(frozen), λ \(lambda)"
                XCTAssertLessThan(relativeError(actual.values, expected.values), 1e-12, context)
                XCTAssertLessThan(relativeError(actual.weightedGradient, expected.weightedGradient), 1e-10, context)
                XCTAssertLessThan(relativeError(actual.product, expected.product), 1e-10, context)
                let gradient = try fast.valuesAndWeightedGradient(at: x, weights: weights).gradient
                XCTAssertEqual(gradient, actual.weightedGradient, context)
                let jacobian = try fast.valuesAndJacobian(at: x).jacobian
                let combined = zip(jacobian[0], jacobian[1]).map { weights[0] * $0 + weights[1] * $1 }
                XCTAssertLessThan(relativeError(combined, gradient), 1e-12, context)

                // Central differences along v: the directional derivative and H v. The loss is
                // piecewise smooth (ReLU, max-pool); h = 1e-6 keeps x ± hv within one piece
                // (at 1e-5 some segments cross a kink) while rounding stays near 1e-10.
                let h = 1e-6
                let plus = zip(x, v).map { $0 + h * $1 }, minus = zip(x, v).map { $0 - h * $1 }
                let fPlus = try fast.values(at: plus), fMinus = try fast.values(at: minus)
                let directional = zip(weights, zip(fPlus, fMinus)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) / (2 * h) }
                let analytic = zip(gradient, v).reduce(0) { $0 + $1.0 * $1.1 }
                XCTAssertLessThan(abs(directional - analytic) / abs(analytic), 1e-6, context)
                let gPlus = try fast.valuesAndWeightedGradient(at: plus, weights: weights).gradient
                let gMinus = try fast.valuesAndWeightedGradient(at: minus, weights: weights).gradient
                let fdProduct = zip(gPlus, gMinus).map { ($0 - $1) / (2 * h) }
                XCTAssertLessThan(relativeError(actual.product, fdProduct), 1e-5, context)
            }
        }
    }

    /// The gradient coordinate by coordinate against central differences (adapters only, a
    /// few coordinates of every tensor).
    func testGradientCoordinatesAgainstFiniteDifferences() throws {
        let problem = try makeProblem(placement: .all, seed: 41)
        let lambda = [0.25, 0.75]
        let fused = try FusedMultiLeNetLoss(images: problem.images, labels: problem.labels)
        let objective = try PaLoRAObjective(inner: fused, adapters: problem.adapters, preference: lambda, frozenBase: problem.base)
        let weights = lambda
        let gradient = try objective.valuesAndWeightedGradient(at: problem.factors, weights: weights).gradient
        var fd: [Double] = [], analytic: [Double] = []
        let h = 1e-5
        for entry in problem.adapters.layout.entries {
            for index in [0, entry.count / 2, entry.count - 1] {
                var plus = problem.factors, minus = problem.factors
                plus[entry.offset + index] += h
                minus[entry.offset + index] -= h
                let fPlus = try objective.values(at: plus), fMinus = try objective.values(at: minus)
                fd.append((0..<2).reduce(0) { $0 + weights[$1] * (fPlus[$1] - fMinus[$1]) / (2 * h) })
                analytic.append(gradient[entry.offset + index])
            }
        }
        XCTAssertGreaterThan(norm(analytic), 1e-4)
        XCTAssertLessThan(relativeError(analytic, fd), 1e-6)
    }

    /// prepare + hessianVectorProduct(along:) is bit-identical to the one-shot product.
    func testPreparedProductsEqualOneShotProducts() throws {
        let problem = try makeProblem(placement: .encoder, seed: 51)
        let fused = try FusedMultiLeNetLoss(images: problem.images, labels: problem.labels)
        let objective = try PaLoRAObjective(inner: fused, adapters: problem.adapters, preference: [0.4, 0.6], frozenBase: problem.base)
        XCTAssertThrowsError(try objective.hessianVectorProduct(along: problem.factors))
        let v = uniformValues(problem.factors.count, scale: 1, seed: 52)
        let oneShot = try objective.hessianVectorProduct(at: problem.factors, along: v, weights: [0.5, 0.5])
        try objective.prepare(at: problem.factors, weights: [0.5, 0.5])
        XCTAssertEqual(try objective.hessianVectorProduct(along: v), oneShot.product)
    }

    func testBadInputsThrow() throws {
        let adapters = try PaLoRAAdapters()
        let base = [Double](repeating: 0, count: 22_350)
        XCTAssertThrowsError(try adapters.materialize(base: base, adapters: [1, 2], preference: [0.5, 0.5]))
        XCTAssertThrowsError(try adapters.materialize(base: base, adapters: adapters.initialAdapters(seed: 1), preference: [0.5]))
        XCTAssertThrowsError(try adapters.materialize(base: base, adapters: adapters.initialAdapters(seed: 1), preference: [.nan, 0.5]))
        let dataset = try generatedDataset(count: 4, seed: 1)
        let batch: MultiDigitBatch<Double> = try dataset.batch(0..<4, as: Double.self)
        let fused = try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
        XCTAssertThrowsError(try PaLoRAObjective(inner: fused, adapters: adapters, preference: [0.5, 0.5], frozenBase: [1, 2]))
        let objective = try PaLoRAObjective(inner: fused, adapters: adapters, preference: [0.5, 0.5], frozenBase: base)
        XCTAssertThrowsError(try objective.values(at: [1, 2, 3]))
    }
}
