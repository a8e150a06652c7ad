import Autodiff
import Datasets
import LinearAlgebra
import Models
import Training
import XCTest

/// The MultiLeNet through the tape only: the same network under another type, so that
/// `Evaluation.evaluate` takes its general (tape) path.
private struct TapeMultiLeNet: MultiTaskModel {
    let lenet = MultiLeNet()
    var architecture: String { lenet.architecture }
    var layout: ParameterLayout { lenet.layout }
    var inputShape: [Int] { lenet.inputShape }
    var taskCount: Int { lenet.taskCount }
    var classCount: Int { lenet.classCount }
    func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>] {
        try lenet.logits(parameters: parameters, images: images)
    }
}

/// `Evaluation.evaluate` of a MultiLeNet (fused forward pass) against the tape path.
final class FusedEvaluationTests: XCTestCase {
    private func parameters(seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        // Larger than the initialisation, so that the logits are far from uniform.
        return (MultiLeNet().initialParameters(using: &generator) as [Double]).map { 3 * $0 }
    }

    /// 150 composites in batches of 64 (a partial last batch; shards of the fused kernel).
    func testFusedEvaluationMatchesTapeInDoublePrecision() throws {
        let (_, test) = try SyntheticDigits.splits(train: 10, test: 150)
        let x = parameters(seed: 5)
        let fused = try Evaluation.evaluate(model: MultiLeNet(), parameters: x, on: test, batchSize: 64)
        let tape = try Evaluation.evaluate(model: TapeMultiLeNet(), parameters: x, on: test, batchSize: 64)
        XCTAssertEqual(fused.images, 150)
        XCTAssertEqual(fused.images, tape.images)
        for task in 0..<2 {
            XCTAssertGreaterThan(tape.loss[task], 0)
            XCTAssertEqual(fused.loss[task], tape.loss[task], accuracy: 1e-12 * tape.loss[task], "task \(task)")
            XCTAssertEqual(fused.accuracy[task], tape.accuracy[task], "task \(task)")
        }
    }

    func testFusedEvaluationMatchesTapeInSinglePrecision() throws {
        let (_, test) = try SyntheticDigits.splits(train: 10, test: 40)
        let x = parameters(seed: 6).map { Float($0) }
        let fused = try Evaluation.evaluate(model: MultiLeNet(), parameters: x, on: test, batchSize: 40)
        let tape = try Evaluation.evaluate(model: TapeMultiLeNet(), parameters: x, on: test, batchSize: 40)
        for task in 0..<2 {
            XCTAssertEqual(fused.loss[task], tape.loss[task], accuracy: 1e-4 * tape.loss[task], "task \(task)")
            // One image may flip only if its two largest logits tie to within Float rounding.
            XCTAssertEqual(fused.accuracy[task], tape.accuracy[task], accuracy: 1.0 / 40, "task \(task)")
        }
    }

    func testNonFiniteParametersAreReportedAsOnTheTapePath() throws {
        let (_, test) = try SyntheticDigits.splits(train: 10, test: 10)
        var x = parameters(seed: 7)
        x[3] = .nan
        for model in [MultiLeNet() as any MultiTaskModel, TapeMultiLeNet()] {
            XCTAssertThrowsError(try Evaluation.evaluate(model: model, parameters: x, on: test)) { error in
                guard case TrainingError.nonFiniteLoss(epoch: 0, batch: 0, _) = error else {
                    return XCTFail("\(model.architecture): \(error)")
                }
            }
        }
    }
}
