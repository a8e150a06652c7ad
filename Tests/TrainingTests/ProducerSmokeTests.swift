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
}
