import Datasets
import Krylov
import LinearAlgebra
import Models
import PaLoRA
import Training
import XCTest

/// The adapter space as a space for second-order analysis: the exact adapter Hessian is
/// symmetric (the bilinear term included) and MINRES solves a damped tangent-type system in it.
final class AdapterSpaceTests: XCTestCase {
    func testAdapterHessianIsSymmetricAndMINRESSolvesInAdapterSpace() throws {
        let adapters = try PaLoRAAdapters(configuration: AdapterConfiguration(scale: 2, placement: .all))
        let dataset = try generatedDataset(count: 8, seed: 61)
        let batch: MultiDigitBatch<Double> = try dataset.batch(0..<8, as: Double.self)
        let base: [Double] = ParameterInitialization.pytorchDefault(layout: MultiLeNet.parameterLayout, seed: 62)
        var factors: [Double] = adapters.initialAdapters(seed: 63)
        let noise = uniformValues(factors.count, scale: 0.1, seed: 64)
        for i in factors.indices { factors[i] += noise[i] }
        let fused = try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
        let objective = try PaLoRAObjective(inner: fused, adapters: adapters, preference: [0.5, 0.5], frozenBase: base)
        let gradient = try objective.prepare(at: factors, weights: [0.5, 0.5]).gradient

        let u = uniformValues(factors.count, scale: 1, seed: 65), v = uniformValues(factors.count, scale: 1, seed: 66)
        let hu = try objective.hessianVectorProduct(along: u), hv = try objective.hessianVectorProduct(along: v)
        let uHv = zip(u, hv).reduce(0) { $0 + $1.0 * $1.1 }, vHu = zip(v, hu).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertLessThan(abs(uHv - vHu) / abs(uHv), 1e-10)

        // The adapter Hessian is indefinite (the bilinear A–B term has eigenvalues of both signs);
        // δ = 1 keeps H + δI well away from singular at this point, so the solve converges.
        let damping = 1.0
        let operator_ = ClosureOperator(dimension: factors.count) { x, y in
            let product = try objective.hessianVectorProduct(along: x)
            for i in 0..<x.count { y[i] = product[i] + damping * x[i] }
        }
        let solved = try minres(operator_, gradient, relativeTolerance: 1e-8, maxIterations: 500, checkSymmetry: true)
        XCTAssertTrue(solved.stopReason.isSolved, "\(solved.stopReason)")
        let check = try objective.hessianVectorProduct(along: solved.solution)
        let residual = zip(zip(check, solved.solution), gradient).map { $0.0 + damping * $0.1 - $1 }
        let norm = { (x: [Double]) in x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        XCTAssertLessThan(norm(residual) / norm(gradient), 1e-6)
    }
}
