import Autodiff
import LinearAlgebra
import Models
import XCTest

/// A loss split into unequal chunks equals the loss on the whole batch.
final class ChunkedLossTests: XCTestCase {
    func testChunkedLossEqualsWholeBatchLoss() throws {
        var generator = SeededGenerator(seed: 12)
        let n = 7
        let images = (0..<(n * 784)).map { _ in generator.unitDouble() * 2 - 0.5 }
        let labels = (0..<2).map { _ in (0..<n).map { _ in generator.uniformIndex(below: 10) } }
        let model = MultiLeNet()
        let whole = try MultiTaskLoss(model: model, images: Tensor(shape: [n, 1, 28, 28], scalars: images), labels: labels)
        let bounds = [0, 3, 4, 7]
        let chunked = try ChunkedLoss<Double>(
            parameterCount: whole.parameterCount, objectiveCount: 2, chunkSizes: [3, 1, 3]
        ) { c in
            let (start, end) = (bounds[c], bounds[c + 1])
            return try MultiTaskLoss(
                model: model, images: Tensor(shape: [end - start, 1, 28, 28], scalars: Array(images[(start * 784)..<(end * 784)])),
                labels: labels.map { Array($0[start..<end]) })
        }
        let x: [Double] = model.initialParameters(using: &generator)
        let v = (0..<x.count).map { _ in generator.unitDouble() - 0.5 }
        func close(_ a: [Double], _ b: [Double], _ what: String) {
            let error = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let scale = b.map { $0 * $0 }.reduce(0, +).squareRoot()
            XCTAssertLessThan(error, 1e-12 * max(scale, 1), what)
        }
        close(try chunked.values(at: x), try whole.values(at: x), "values")
        let (a, b) = (try chunked.valuesAndJacobian(at: x), try whole.valuesAndJacobian(at: x))
        close(a.jacobian[0], b.jacobian[0], "∇f1")
        close(a.jacobian[1], b.jacobian[1], "∇f2")
        let (p, q) = (try chunked.hessianVectorProduct(at: x, along: v, weights: [0.4, 0.6]),
                      try whole.hessianVectorProduct(at: x, along: v, weights: [0.4, 0.6]))
        close(p.product, q.product, "HVP")
        close(p.weightedGradient, q.weightedGradient, "weighted gradient")
        XCTAssertThrowsError(try ChunkedLoss<Double>(parameterCount: 1, objectiveCount: 1, chunkSizes: []) { _ in whole })
    }

    /// Chunks that prepare points (the fused kernel, made once per chunk) give prepared products
    /// equal to the whole batch's HVP; chunks that cannot prepare are reported.
    func testPreparedChunksEqualWholeBatch() throws {
        var generator = SeededGenerator(seed: 13)
        let n = 6
        let images = (0..<(n * 784)).map { _ in generator.unitDouble() * 2 - 0.5 }
        let labels = (0..<2).map { _ in (0..<n).map { _ in generator.uniformIndex(below: 10) } }
        let whole = try MultiTaskLoss(model: MultiLeNet(), images: Tensor(shape: [n, 1, 28, 28], scalars: images), labels: labels)
        let bounds = [0, 2, 6]
        let chunks = try (0..<2).map { c in
            try FusedMultiLeNetLoss<Double>(
                images: Tensor(shape: [bounds[c + 1] - bounds[c], 1, 28, 28], scalars: Array(images[(bounds[c] * 784)..<(bounds[c + 1] * 784)])),
                labels: labels.map { Array($0[bounds[c]..<bounds[c + 1]]) })
        }
        let chunked = try ChunkedLoss<Double>(parameterCount: whole.parameterCount, objectiveCount: 2, chunkSizes: [2, 4]) { chunks[$0] }
        let x: [Double] = MultiLeNet().initialParameters(using: &generator)
        let v = (0..<x.count).map { _ in generator.unitDouble() - 0.5 }
        let (values, gradient) = try chunked.prepare(at: x, weights: [0.3, 0.7])
        let reference = try whole.hessianVectorProduct(at: x, along: v, weights: [0.3, 0.7])
        let product = try chunked.hessianVectorProduct(along: v)
        func relative(_ a: [Double], _ b: [Double]) -> Double {
            zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / b.map { $0 * $0 }.reduce(0, +).squareRoot()
        }
        XCTAssertLessThan(relative(product, reference.product), 1e-12)
        XCTAssertLessThan(relative(gradient, reference.weightedGradient), 1e-12)
        XCTAssertLessThan(relative(values, reference.values), 1e-12)
        let tapeChunks = try ChunkedLoss<Double>(parameterCount: whole.parameterCount, objectiveCount: 2, chunkSizes: [6]) { _ in whole }
        XCTAssertThrowsError(try tapeChunks.prepare(at: x, weights: [0.5, 0.5])) { XCTAssertTrue("\($0)".contains("cannot prepare")) }
    }
}
