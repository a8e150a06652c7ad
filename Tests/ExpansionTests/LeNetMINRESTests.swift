import Autodiff
import Krylov
import LinearAlgebra
import Models
import XCTest

/// MINRES on the weighted Hessian of the MultiLeNet loss, applied matrix-free through the
/// forward-over-reverse HVP: residual norms never increase and fall substantially.
final class LeNetMINRESTests: XCTestCase {
    func testMINRESOnLeNetHessianReducesTheResidualMonotonically() throws {
        var generator = SeededGenerator(seed: 31)
        let n = 6
        let images = try Tensor<Double>(shape: [n, 1, 28, 28], scalars: (0..<(n * 784)).map { _ in generator.unitDouble() * 2.5 - 0.4 })
        let labels = (0..<2).map { _ in (0..<n).map { _ in generator.uniformIndex(below: 10) } }
        let model = MultiLeNet()
        let loss = try MultiTaskLoss(model: model, images: images, labels: labels)
        let x: [Double] = model.initialParameters(using: &generator)
        let (_, jacobian) = try loss.valuesAndJacobian(at: x)
        let weights = [0.5, 0.5]
        var hvps = 0
        let hessian = ClosureOperator(dimension: x.count) { v, y in
            hvps += 1
            y = try loss.hessianVectorProduct(at: x, along: v, weights: weights).product
        }
        // The tangent system's right-hand side for β = (1, 0): ∇f₁ − c, c = Σ αᵢ∇fᵢ.
        let rhs = zip(jacobian[0], jacobian[1]).map { $0 - (weights[0] * $0 + weights[1] * $1) }
        let result = try minres(hessian, rhs, shift: -0.1, relativeTolerance: 1e-12, maxIterations: 25)
        XCTAssertEqual(result.residualNorms.count, result.iterations + 1)
        for (a, b) in zip(result.residualNorms, result.residualNorms.dropFirst()) {
            XCTAssertLessThanOrEqual(b, a * (1 + 1e-12))
        }
        XCTAssertLessThan(result.residualNorms.last!, 0.5 * result.residualNorms[0])
        // The reported residual is the true one: ‖rhs − (H + 0.1 I) v‖.
        var product = try loss.hessianVectorProduct(at: x, along: result.solution, weights: weights).product
        for i in product.indices { product[i] += 0.1 * result.solution[i] }
        let trueResidual = zip(rhs, product).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        XCTAssertEqual(trueResidual, result.residualNorms.last!, accuracy: 1e-6 * result.residualNorms[0])
        XCTAssertEqual(hvps, result.iterations)
    }
}
