import Foundation
import LinearAlgebra
import Training
import XCTest

final class ComponentTests: XCTestCase {
    /// Accuracy against a hand count: predictions are the first index of each row's maximum.
    ///   row 0: max at 2, label 2 → right;  row 1: max at 0, label 1 → wrong;
    ///   row 2: tie between 1 and 3 → 1 (first), label 1 → right; row 3: tie, label 3 → wrong;
    ///   row 4: contains NaN → wrong; row 5: max at 3 (all negative), label 3 → right.
    /// Hand count: 3 of 6.
    func testAccuracyMatchesHandCount() throws {
        let logits = try Tensor<Float>(shape: [6, 4], scalars: [
            0.1, 0.2, 0.9, 0.3,
            5, 1, 2, 3,
            0, 7, 1, 7,
            0, 7, 1, 7,
            .nan, 9, 0, 0,
            -4, -3, -2, -1,
        ])
        XCTAssertEqual(try Evaluation.correctCount(logits: logits, labels: [2, 1, 1, 3, 1, 3]), 3)
        XCTAssertThrowsError(try Evaluation.correctCount(logits: logits, labels: [0, 1, 2]))
        XCTAssertThrowsError(try Evaluation.correctCount(logits: logits, labels: [0, 1, 2, 3, 4, 0]))
    }

    /// Cross-entropy by hand: logits (0, ln 3) with label 0 → −log(1/4) = ln 4; label 1 → ln(4/3);
    /// equal logits over 10 classes → ln 10; a shift by 1000 changes nothing (stable log-sum-exp).
    func testCrossEntropyMatchesHandValues() throws {
        let two = try Tensor<Double>(shape: [2, 2], scalars: [0, Foundation.log(3), 1000, 1000 + Foundation.log(3)])
        XCTAssertEqual(try Evaluation.crossEntropySum(logits: two, labels: [0, 1]), Foundation.log(4) + Foundation.log(4.0 / 3), accuracy: 1e-12)
        let flat = try Tensor<Float>(shape: [3, 10], repeating: 0.5)
        XCTAssertEqual(try Evaluation.crossEntropySum(logits: flat, labels: [0, 4, 9]), 3 * Foundation.log(10), accuracy: 1e-6)
    }

    /// SGD with momentum μ = 0.9, η = 0.1 and constant gradient 1 from x = 0:
    /// b = 1, 1.9, 2.71 → x = −0.1, −0.29, −0.561 (PyTorch's convention b₁ = g₁).
    func testSGDMomentumHandValues() {
        var state = OptimizerState<Double>(kind: .sgd(momentum: 0.9), count: 1)
        var x = [0.0]
        var path: [Double] = []
        for _ in 0..<3 {
            state.step(&x, gradient: [1], learningRate: 0.1)
            path.append(x[0])
        }
        XCTAssertEqual(path[0], -0.1, accuracy: 1e-15)
        XCTAssertEqual(path[1], -0.29, accuracy: 1e-15)
        XCTAssertEqual(path[2], -0.561, accuracy: 1e-15)
    }

    /// Adam, hand values: gradients g₁ = 2, g₂ = −1, β = (0.9, 0.999), ε = 10⁻⁸, η = 0.01.
    /// Step 1: m = 0.2, v = 0.004, m̂ = 2, v̂ = 4 → x = −0.01·2/(2 + ε).
    /// Step 2: m = 0.08, v = 0.004996, m̂ = 0.08/0.19, v̂ = 0.004996/0.001999
    /// → x −= 0.01·m̂/(√v̂ + ε).
    func testAdamHandValues() {
        var state = OptimizerState<Double>(kind: .adamDefault, count: 1)
        var x = [0.0]
        state.step(&x, gradient: [2], learningRate: 0.01)
        let x1 = -0.01 * 2 / (2 + 1e-8)
        XCTAssertEqual(x[0], x1, accuracy: 1e-15)
        state.step(&x, gradient: [-1], learningRate: 0.01)
        let mHat = 0.08 / 0.19, vHat = 0.004996 / 0.001999
        XCTAssertEqual(x[0], x1 - 0.01 * mHat / (vHat.squareRoot() + 1e-8), accuracy: 1e-14)
        XCTAssertEqual(state.stepCount, 2)
    }

    /// Cosine: η at e = 0, η/2 at e = E/2, η(1 + cos(π/4))/2 at e = E/4; step: η γ^⌊e/s⌋.
    func testScheduleHandValues() {
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(base: 0.1, epoch: 7, epochs: 10), 0.1)
        XCTAssertEqual(LearningRateSchedule.cosine.learningRate(base: 0.1, epoch: 0, epochs: 8), 0.1, accuracy: 1e-17)
        XCTAssertEqual(LearningRateSchedule.cosine.learningRate(base: 0.1, epoch: 4, epochs: 8), 0.05, accuracy: 1e-17)
        XCTAssertEqual(
            LearningRateSchedule.cosine.learningRate(base: 0.1, epoch: 2, epochs: 8), 0.1 * (1 + 0.5.squareRoot()) / 2,
            accuracy: 1e-17)
        let step = LearningRateSchedule.step(every: 3, factor: 0.5)
        XCTAssertEqual((0..<7).map { step.learningRate(base: 1, epoch: $0, epochs: 7) }, [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    }
}
