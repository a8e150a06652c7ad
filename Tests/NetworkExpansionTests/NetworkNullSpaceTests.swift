import Autodiff
import Datasets
import Expansion
import NetworkExpansion
import LinearAlgebra
import Models
import XCTest

/// The null-space study on MiniLeNet with a few generated 14×14 composites.
final class NetworkNullSpaceTests: XCTestCase {
    /// The eigenvectors called null vectors are null vectors of H(α*) computed by an
    /// independent HVP; the spectrum has n = 1,500 values; the directions are unit vectors
    /// orthogonal to the tangent.
    func testNullVectorsAreAnnihilatedByTheHessian() throws {
        let data = try MultiDigitDataset(digits: SyntheticDigits.make(count: 40, seed: 21), seed: 3, side: 14)
        let model = MiniLeNet()
        var generator = SeededGenerator(seed: 2)
        let x0: [Double] = model.initialParameters(using: &generator)
        let study = try NetworkNullSpaceStudy(
            model: model, data: data, from: x0,
            training: ParetoOptimizeOptions(method: .weightedSum([0.5, 0.5]), stepSize: 1, maxIterations: 20, stationarityTolerance: 0),
            polishing: ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 10, stationarityTolerance: 0),
            relativeTolerance: 1e-7, minresIterations: 20, steps: [0, 0.1])
        XCTAssertEqual(study.analysis.eigenvalues.count, 1_500)
        XCTAssertEqual(zip(study.analysis.eigenvalues, study.analysis.eigenvalues.dropFirst()).allSatisfy { $0 <= $1 }, true)
        XCTAssertGreaterThan(study.analysis.nullity, 0, "dead ReLU units alone give null directions")
        let batch: MultiDigitBatch<Double> = try data.batch(0..<data.count, as: Double.self)
        let loss = try MultiTaskLoss(model: model, images: batch.images, labels: batch.labels)
        // The spectrum sums to the trace of H(α*), its diagonal read off tape HVPs along the unit
        // vectors (the study formed H with the MiniLeNet kernel, not the tape).
        var trace = 0.0
        for i in 0..<1_500 {
            var e = [Double](repeating: 0, count: 1_500)
            e[i] = 1
            trace += try loss.hessianVectorProduct(at: study.point.parameters, along: e, weights: study.point.weights).product[i]
        }
        let absoluteSum = study.analysis.eigenvalues.map(abs).reduce(0, +)
        XCTAssertEqual(study.analysis.eigenvalues.reduce(0, +), trace, accuracy: 1e-9 * absoluteSum)
        let scale = study.analysis.eigenvalues.map(abs).max()!
        for u in study.analysis.nullSpace.prefix(5) {
            XCTAssertEqual(u.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-10)
            let hu = try loss.hessianVectorProduct(at: study.point.parameters, along: u, weights: study.point.weights).product
            XCTAssertLessThanOrEqual(hu.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6 * scale)
        }
        let v = study.tangent
        XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-10)
        XCTAssertEqual(zip(v, study.randomVector).reduce(0) { $0 + $1.0 * $1.1 }, 0, accuracy: 1e-10)
        XCTAssertEqual(study.randomVector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-10)
        XCTAssertEqual(study.nullVector!.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-10)
        XCTAssertEqual(study.alongTangent[0], study.point.objectives)
        XCTAssertEqual(study.nullVectorCurvature, 0, accuracy: 1e-6 * scale)
    }
}
