import Autodiff
import LinearAlgebra
import Models
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64; `uniform` in TestSupport.swift).
private typealias Random = SplitMix64

private func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
private func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    norm(zip(a, b).map { $0 - $1 }) / max(norm(b), 1e-300)
}

final class MultiLeNetTests: XCTestCase {
    private func makeLoss(batch: Int, seed: UInt64) throws -> (MultiTaskLoss<MultiLeNet, Double>, [Double]) {
        var random = Random(state: seed)
        let model = MultiLeNet()
        let images = try Tensor<Double>(shape: [batch, 1, 28, 28], scalars: random.uniform(batch * 784, in: -0.5...2.5))
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &random) } }
        let loss = try MultiTaskLoss(model: model, images: images, labels: labels)
        let x: [Double] = model.initialParameters(using: &random)
        return (loss, x)
    }

    func testLayoutMatchesPyTorchReference() throws {
        let layout = MultiLeNet.parameterLayout
        XCTAssertEqual(layout.parameterCount, 22_350)
        XCTAssertEqual(layout.entries.map(\.name), [
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
            "fc3_1.weight", "fc3_1.bias", "fc3_2.weight", "fc3_2.bias",
        ])
        XCTAssertEqual(try layout.entry("fc1.weight").shape, [50, 320])
        XCTAssertEqual(try layout.entry("conv2.weight").shape, [20, 10, 5, 5])
        var random = Random(state: 1)
        let flat: [Double] = MultiLeNet().initialParameters(using: &random)
        let tensors: [String: Tensor<Double>] = try layout.unpack(flat)
        XCTAssertEqual(try layout.pack(tensors), flat)
        XCTAssertThrowsError(try layout.unpack([Double](repeating: 0, count: 10)))
        var wrong = tensors
        wrong["fc1.bias"] = try Tensor(shape: [49], repeating: 0)
        XCTAssertThrowsError(try layout.pack(wrong)) {
            XCTAssertEqual($0 as? ModelError, .parameterShape(name: "fc1.bias", expected: [50], actual: [49]))
        }
    }

    /// gradcheck of the whole LeNet loss: directional derivatives along random directions and
    /// a sample of coordinates against central differences, both objectives.
    func testGradientMatchesFiniteDifferences() throws {
        let (loss, x) = try makeLoss(batch: 3, seed: 7)
        let (_, jacobian) = try loss.valuesAndJacobian(at: x)
        var random = Random(state: 99)
        let h = 1e-6
        var directions = (0..<3).map { _ in random.uniform(x.count) }
        for _ in 0..<20 {
            var e = [Double](repeating: 0, count: x.count)
            e[Int.random(in: 0..<x.count, using: &random)] = 1
            directions.append(e)
        }
        for task in 0..<2 {
            var analytic: [Double] = [], numeric: [Double] = []
            for u in directions {
                let plus = zip(x, u).map { $0 + h * $1 }, minus = zip(x, u).map { $0 - h * $1 }
                numeric.append((try loss.values(at: plus)[task] - loss.values(at: minus)[task]) / (2 * h))
                analytic.append(dot(jacobian[task], u))
            }
            XCTAssertLessThan(relativeError(analytic, numeric), 1e-6, "task \(task)")
        }
    }

    /// gradgradcheck: H(α)v against differences of weighted gradients along v.
    func testHessianVectorProductMatchesFiniteDifferences() throws {
        let (loss, x) = try makeLoss(batch: 3, seed: 8)
        var random = Random(state: 5)
        let v = random.uniform(x.count)
        let alpha = [0.3, 0.7]
        let hvp = try loss.hessianVectorProduct(at: x, along: v, weights: alpha)
        let h = 1e-5
        func weightedGradient(_ point: [Double]) throws -> [Double] {
            let rows = try loss.valuesAndJacobian(at: point).jacobian
            return zip(rows[0], rows[1]).map { alpha[0] * $0 + alpha[1] * $1 }
        }
        let plus = try weightedGradient(zip(x, v).map { $0 + h * $1 })
        let minus = try weightedGradient(zip(x, v).map { $0 - h * $1 })
        let numeric = zip(plus, minus).map { ($0 - $1) / (2 * h) }
        XCTAssertLessThan(relativeError(hvp.product, numeric), 1e-5)
        XCTAssertLessThan(relativeError(hvp.weightedGradient, try weightedGradient(x)), 1e-12)
    }

    /// The Hessian is symmetric: uᵀ(Hv) = vᵀ(Hu).
    func testHessianVectorProductIsSymmetric() throws {
        let (loss, x) = try makeLoss(batch: 4, seed: 9)
        var random = Random(state: 6)
        let u = random.uniform(x.count), v = random.uniform(x.count)
        let hv = try loss.hessianVectorProduct(at: x, along: v, weights: [0.5, 0.5]).product
        let hu = try loss.hessianVectorProduct(at: x, along: u, weights: [0.5, 0.5]).product
        let (left, right) = (dot(u, hv), dot(v, hu))
        XCTAssertLessThan(abs(left - right) / max(abs(left), abs(right)), 1e-10)
        XCTAssertGreaterThan(abs(left), 1e-6)
    }

    /// Float32 and Float64 computations of the same loss agree to single precision.
    func testSinglePrecisionAgreesWithDouble() throws {
        let (loss, x) = try makeLoss(batch: 2, seed: 10)
        let loss32 = try MultiTaskLoss(model: loss.model, images: loss.images.converted(to: Float.self), labels: loss.labels)
        let x32 = x.map { Float($0) }
        let (values, jacobian) = try loss.valuesAndJacobian(at: x)
        let (values32, jacobian32) = try loss32.valuesAndJacobian(at: x32)
        XCTAssertLessThan(relativeError(values32.map(Double.init), values), 1e-5)
        XCTAssertLessThan(relativeError(jacobian32[0].map(Double.init), jacobian[0]), 1e-4)
        var random = Random(state: 3)
        let v = random.uniform(x.count)
        let hvp = try loss.hessianVectorProduct(at: x, along: v, weights: [1, 1]).product
        let hvp32 = try loss32.hessianVectorProduct(at: x32, along: v.map { Float($0) }, weights: [1, 1]).product
        XCTAssertLessThan(relativeError(hvp32.map(Double.init), hvp), 1e-4)
    }

    func testBadInputsThrow() throws {
        let model = MultiLeNet()
        XCTAssertThrowsError(try MultiTaskLoss(model: model, images: try Tensor<Double>(shape: [2, 1, 27, 28], repeating: 0), labels: [[0, 0], [0, 0]]))
        XCTAssertThrowsError(try MultiTaskLoss(model: model, images: try Tensor<Double>(shape: [2, 1, 28, 28], repeating: 0), labels: [[0, 0], [0]]))
        XCTAssertThrowsError(try MultiTaskLoss(model: model, images: try Tensor<Double>(shape: [2, 1, 28, 28], repeating: 0), labels: [[0, 0]]))
        let loss = try MultiTaskLoss(model: model, images: try Tensor<Double>(shape: [1, 1, 28, 28], repeating: 0), labels: [[0], [12]])
        XCTAssertThrowsError(try loss.values(at: [Double](repeating: 0, count: 22_350)))
    }
}
