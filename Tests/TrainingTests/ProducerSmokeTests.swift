import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import Training
import XCTest

/// Every seed producer on a real network: MiniLeNet (fused kernel) on 14×14 synthetic
/// composites. The summed training loss of the last epoch is below the first epoch's, and the
/// checkpoint records the method and its settings.
final class ProducerSmokeTests: XCTestCase {
    static let methods: [TrainingMethod] = [
        .gradNorm(GradNormSettings()), .uncertainty(UncertaintySettings()), .mgdaUpperBound,
        .paretoMTL(ParetoMTLSettings(preferenceIndex: 1, feasibilitySteps: 4)), .lossDiscrepancyControl(LDCSettings()),
    ]

    func testEveryProducerLowersTheLossAndIsRecorded() throws {
        let (train, test) = try SyntheticDigits.splits(train: 96, test: 32, side: 14)
        let model = MiniLeNet()
        for method in Self.methods {
            let configuration = TrainingConfiguration(
                method: method, learningRate: 1e-2, epochs: 4, batchSize: 16, seed: 5, evaluatesEveryEpoch: false)
            let trainer = try Trainer<MiniLeNet, MiniLeNetLoss<Float>>(model: model, configuration: configuration) { batch in
                try MiniLeNetLoss(images: batch.images, labels: batch.labels)
            }
            let result = try trainer.train(on: train, testingOn: test)
            let history = result.report.history
            let first = history.first!.trainLoss.reduce(0, +), last = history.last!.trainLoss.reduce(0, +)
            XCTAssertLessThan(last, first, "\(method.name): \(history.map(\.trainLoss))")
            let checkpoint = try result.checkpoint(model: model, tasks: ["left", "right"])
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-producer-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try checkpoint.write(to: url)
            let loaded = try Checkpoint.load(from: url, model: model)
            XCTAssertEqual(loaded.metadata.method, method.name)
            XCTAssertEqual(loaded.metadata.metrics?.epochs, 4)
            let training = loaded.metadata.other["training"] ?? ""
            switch method {
            case .gradNorm: XCTAssertTrue(training.contains("\"gradnorm_alpha\":1.5"), training)
            case .paretoMTL:
                XCTAssertTrue(training.contains("\"preference_index\":1"), training)
                XCTAssertEqual(loaded.metadata.weights, ParetoMTLSettings.preferenceVectors(count: 5)[1])
            case .lossDiscrepancyControl: XCTAssertTrue(training.contains("\"ldc_penalty\":0.01"), training)
            default: break
            }
        }
        XCTAssertEqual(Self.methods.map(\.name), ["gradnorm", "uncertainty", "mgda-ub", "paretomtl", "ldc"])
    }

    /// Bad producer options are rejected when the trainer is made, naming the option.
    func testBadOptionsAreRejected() {
        let bad: [TrainingMethod] = [
            .gradNorm(GradNormSettings(alpha: -1)), .paretoMTL(ParetoMTLSettings(preferenceIndex: 7)),
            .lossDiscrepancyControl(LDCSettings(penalty: .infinity)), .uncertainty(UncertaintySettings(initialLogVariances: [.nan, 0])),
        ]
        for method in bad {
            XCTAssertThrowsError(
                try Trainer<MiniLeNet, MultiTaskLoss<MiniLeNet, Float>>(model: MiniLeNet(), configuration: TrainingConfiguration(method: method))
            ) { error in
                guard case TrainingError.invalidConfiguration = error else { return XCTFail("\(error)") }
            }
        }
    }

    /// An objective whose first loss is NaN (returned, not thrown) stops every producer's run
    /// with ``TrainingError/nonFiniteLoss(epoch:batch:detail:)`` at the first batch.
    func testNonFiniteLossStopsTheRun() throws {
        let (train, _) = try SyntheticDigits.splits(train: 4, test: 2)
        for method in [TrainingMethod.gradNorm(GradNormSettings()), .uncertainty(UncertaintySettings()),
                       .paretoMTL(ParetoMTLSettings(preferenceIndex: 0)), .lossDiscrepancyControl(LDCSettings())] {
            let trainer = try Trainer<HookedAnalyticModel, NaNObjective>(
                model: HookedAnalyticModel(), configuration: TrainingConfiguration(method: method, epochs: 1, batchSize: 4)) { _ in NaNObjective() }
            XCTAssertThrowsError(try trainer.train(on: train, testingOn: nil)) { error in
                guard case TrainingError.nonFiniteLoss(1, 1, _) = error else { return XCTFail("\(method.name): \(error)") }
            }
        }
    }
}

/// `f(x) = (NaN, x₁)`, `x ∈ R²`, with finite gradients.
struct NaNObjective: DifferentiableVectorFunction {
    var parameterCount: Int { 2 }
    var objectiveCount: Int { 2 }
    func values(at x: [Double]) throws -> [Double] { [.nan, x[0]] }
    func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) { ([.nan, x[0]], [[1, 0], [1, 0]]) }
    func valuesAndWeightedGradient(at x: [Double], weights: [Double]) throws -> (values: [Double], gradient: [Double]) {
        ([.nan, x[0]], [weights[0] + weights[1], 0])
    }
    func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> HessianVectorProduct<Double> {
        HessianVectorProduct(values: [.nan, x[0]], weightedGradient: [weights[0] + weights[1], 0], product: [0, 0])
    }
}
