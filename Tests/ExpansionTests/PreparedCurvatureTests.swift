import Autodiff
import Expansion
import LinearAlgebra
import Models
import XCTest

/// A curvature function that prepares points (the fused MultiLeNet kernel) gives exactly the
/// products of full HVPs through `ParetoObjective`, also when the prepared point is discarded
/// by evaluations of the same instance.
final class PreparedCurvatureTests: XCTestCase {
    /// Hides the kernel's preparation, so `ParetoObjective` takes full HVPs.
    private struct FullProducts: DifferentiableVectorFunction {
        let base: FusedMultiLeNetLoss<Double>
        var parameterCount: Int { base.parameterCount }
        var objectiveCount: Int { base.objectiveCount }
        func values(at x: [Double]) throws -> [Double] { try base.values(at: x) }
        func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) { try base.valuesAndJacobian(at: x) }
        func valuesAndWeightedGradient(at x: [Double], weights: [Double]) throws -> (values: [Double], gradient: [Double]) {
            try base.valuesAndWeightedGradient(at: x, weights: weights)
        }
        func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> HessianVectorProduct<Double> {
            try base.hessianVectorProduct(at: x, along: v, weights: weights)
        }
    }

    func testPreparedProductsEqualFullProducts() throws {
        var generator = SeededGenerator(seed: 77)
        let n = 5
        let images = try Tensor<Double>(shape: [n, 1, 28, 28], scalars: (0..<(n * 784)).map { _ in generator.unitDouble() * 2 - 0.4 })
        let labels = (0..<2).map { _ in (0..<n).map { _ in generator.uniformIndex(below: 10) } }
        let kernel = try FusedMultiLeNetLoss(images: images, labels: labels)
        let prepared = try ParetoObjective(values: kernel, curvature: kernel)
        let full = try ParetoObjective(values: FullProducts(base: kernel), curvature: FullProducts(base: kernel))
        let x0: [Double] = MultiLeNet().initialParameters(using: &generator)
        let x1 = x0.map { $0 * 1.01 }
        for (x, weights) in [(x0, [0.5, 0.5]), (x0, [0.5, 0.5]), (x0, [0.2, 0.8]), (x1, [0.2, 0.8])] {
            for _ in 0..<2 {
                let v = (0..<x.count).map { _ in generator.unitDouble() - 0.5 }
                XCTAssertEqual(try prepared.hessianVectorProduct(at: x, along: v, weights: weights),
                               try full.hessianVectorProduct(at: x, along: v, weights: weights))
            }
            // Evaluating the same kernel discards its prepared point; the next product re-prepares.
            _ = try prepared.valuesAndJacobian(at: x)
        }
    }
}
