import Autodiff
import LinearAlgebra
import Models
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64; `uniform` in TestSupport.swift).
private typealias MiniRandom = SplitMix64

final class MiniLeNetTests: XCTestCase {
    /// 1,500 parameters, counted by hand from the architecture of Ma et al. §6.2.2:
    /// conv 10·1·5·5 + 10, fc 20·40 + 20, two heads 10·20 + 10.
    func testLayoutHasFifteenHundredParameters() throws {
        let layout = MiniLeNet.parameterLayout
        XCTAssertEqual(layout.parameterCount, (10 * 25 + 10) + (20 * 40 + 20) + 2 * (10 * 20 + 10))
        XCTAssertEqual(layout.parameterCount, 1_500)
        XCTAssertEqual(layout.entries.map(\.name), [
            "conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "fc3_1.weight", "fc3_1.bias", "fc3_2.weight", "fc3_2.bias",
        ])
        XCTAssertEqual(MiniLeNet().inputShape, [1, 14, 14])
    }

    /// The forward pass against a plain-loop implementation written from the architecture:
    /// conv 5×5 stride 2 (14 → 5), ReLU, 2×2 max-pool floor mode (5 → 2), flatten in
    /// channel-row-column order, fc 40→20, ReLU, two heads 20→10.
    func testLogitsMatchAPlainLoopForwardPass() throws {
        var random = MiniRandom(state: 3)
        let model = MiniLeNet()
        let batch = 3
        let images = random.uniform(batch * 196, in: -0.5...2.5)
        let x: [Double] = model.initialParameters(using: &random)
        let p = try model.layout.unpack(x) as [String: Tensor<Double>]
        let tape = Tape<Double>()
        let logits = try model.logits(
            parameters: tape.constant(Tensor(vector: x)), images: tape.constant(Tensor(shape: [batch, 1, 14, 14], scalars: images)))
        XCTAssertEqual(logits.map(\.shape), [[batch, 10], [batch, 10]])
        let cw = p["conv1.weight"]!.scalars, cb = p["conv1.bias"]!.scalars
        let fw = p["fc1.weight"]!.scalars, fb = p["fc1.bias"]!.scalars
        for b in 0..<batch {
            var conv = [Double](repeating: 0, count: 10 * 5 * 5)
            for o in 0..<10 {
                for i in 0..<5 {
                    for j in 0..<5 {
                        var sum = cb[o]
                        for ki in 0..<5 { for kj in 0..<5 { sum += cw[o * 25 + ki * 5 + kj] * images[b * 196 + (2 * i + ki) * 14 + 2 * j + kj] } }
                        conv[o * 25 + i * 5 + j] = max(sum, 0)
                    }
                }
            }
            var pooled = [Double](repeating: 0, count: 40)
            for o in 0..<10 {
                for i in 0..<2 {
                    for j in 0..<2 {
                        let top = o * 25 + 2 * i * 5 + 2 * j
                        let window: [Double] = [conv[top], conv[top + 1], conv[top + 5], conv[top + 6]]
                        pooled[o * 4 + i * 2 + j] = window.max()!
                    }
                }
            }
            var hidden = [Double](repeating: 0, count: 20)
            for r in 0..<20 {
                var sum = fb[r]
                for k in 0..<40 { sum += fw[r * 40 + k] * pooled[k] }
                hidden[r] = max(sum, 0)
            }
            for (task, head) in ["fc3_1", "fc3_2"].enumerated() {
                let w = p["\(head).weight"]!.scalars, bias = p["\(head).bias"]!.scalars
                for c in 0..<10 {
                    var expected = bias[c]
                    for k in 0..<20 { expected += w[c * 20 + k] * hidden[k] }
                    XCTAssertEqual(logits[task].value.scalars[b * 10 + c], expected, accuracy: 1e-12, "image \(b), task \(task), class \(c)")
                }
            }
        }
    }

    /// H(α)v against central differences of weighted gradients along v.
    func testHessianVectorProductMatchesFiniteDifferences() throws {
        var random = MiniRandom(state: 8)
        let model = MiniLeNet()
        let images = try Tensor<Double>(shape: [5, 1, 14, 14], scalars: random.uniform(5 * 196, in: -0.5...2.5))
        let labels = (0..<2).map { _ in (0..<5).map { _ in Int.random(in: 0..<10, using: &random) } }
        let loss = try MultiTaskLoss(model: model, images: images, labels: labels)
        let x: [Double] = model.initialParameters(using: &random)
        let v = random.uniform(x.count)
        let alpha = [0.4, 0.6]
        let hvp = try loss.hessianVectorProduct(at: x, along: v, weights: alpha).product
        let h = 1e-5
        func weightedGradient(_ point: [Double]) throws -> [Double] {
            try loss.valuesAndWeightedGradient(at: point, weights: alpha).gradient
        }
        let plus = try weightedGradient(zip(x, v).map { $0 + h * $1 }), minus = try weightedGradient(zip(x, v).map { $0 - h * $1 })
        let numeric = zip(plus, minus).map { ($0 - $1) / (2 * h) }
        let error = zip(hvp, numeric).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let scale = numeric.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertLessThan(error / scale, 1e-5)
    }

    /// The hand-differentiated MiniLeNetLoss equals the tape's MultiTaskLoss: values,
    /// Jacobian, weighted gradient and HVP.
    func testHandDifferentiatedLossMatchesTheTape() throws {
        var random = MiniRandom(state: 12)
        let model = MiniLeNet()
        let batch = 7
        let images = try Tensor<Double>(shape: [batch, 1, 14, 14], scalars: random.uniform(batch * 196, in: -0.5...2.5))
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &random) } }
        let tape = try MultiTaskLoss(model: model, images: images, labels: labels)
        let hand = try MiniLeNetLoss(images: images, labels: labels)
        let x: [Double] = model.initialParameters(using: &random)
        let v = random.uniform(x.count)
        func close(_ a: [Double], _ b: [Double], _ name: String) {
            let error = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let scale = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(a.count, b.count, name)
            XCTAssertLessThanOrEqual(error, 1e-12 * max(scale, 1), name)
        }
        close(try hand.values(at: x), try tape.values(at: x), "values")
        let (handJacobian, tapeJacobian) = (try hand.valuesAndJacobian(at: x).jacobian, try tape.valuesAndJacobian(at: x).jacobian)
        close(handJacobian[0], tapeJacobian[0], "gradient 1")
        close(handJacobian[1], tapeJacobian[1], "gradient 2")
        let (handHVP, tapeHVP) = (
            try hand.hessianVectorProduct(at: x, along: v, weights: [0.3, 0.7]),
            try tape.hessianVectorProduct(at: x, along: v, weights: [0.3, 0.7]))
        close(handHVP.weightedGradient, tapeHVP.weightedGradient, "weighted gradient")
        close(handHVP.product, tapeHVP.product, "HVP")
        XCTAssertThrowsError(try MiniLeNetLoss(images: images, labels: [labels[0]]))
        XCTAssertThrowsError(try hand.values(at: [Double](repeating: 0, count: 10)))
    }
}
