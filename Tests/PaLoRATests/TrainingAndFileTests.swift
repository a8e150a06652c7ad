import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import PaLoRA
import Safetensors
import Training
import XCTest

private func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
private func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    norm(zip(a, b).map { $0 - $1 }) / max(norm(b), 1e-300)
}

/// Counts base-loss gradient evaluations (the M forward/backward passes of a step).
final class CountingLoss<Scalar: BLASScalar>: DifferentiableVectorFunction {
    let inner: FusedMultiLeNetLoss<Scalar>
    var gradientCalls = 0
    var weightsSeen: [[Scalar]] = []
    init(_ inner: FusedMultiLeNetLoss<Scalar>) { self.inner = inner }
    var parameterCount: Int { inner.parameterCount }
    var objectiveCount: Int { inner.objectiveCount }
    func values(at x: [Scalar]) throws -> [Scalar] { try inner.values(at: x) }
    func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) { try inner.valuesAndJacobian(at: x) }
    func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        gradientCalls += 1
        weightsSeen.append(weights)
        return try inner.valuesAndWeightedGradient(at: x, weights: weights)
    }
    func hessianVectorProduct(at x: [Scalar], along v: [Scalar], weights: [Scalar]) throws -> HessianVectorProduct<Scalar> {
        try inner.hessianVectorProduct(at: x, along: v, weights: weights)
    }
}

final class TrainingAndFileTests: XCTestCase {
    /// λ_o ∇R_o against central differences of R_o, at random factors (r = 2, all layers).
    func testRegularizerGradientAgainstFiniteDifferences() throws {
        let adapters = try PaLoRAAdapters(configuration: AdapterConfiguration(rank: 2, placement: .all))
        let p = uniformValues(adapters.parameterCount, scale: 0.5, seed: 3)
        let regularizer = OrthogonalityRegularizer(weight: 0.7)
        let (value, gradient) = try regularizer.valueAndGradient(adapters: adapters, parameters: p)
        XCTAssertGreaterThan(value, 0)
        let v = uniformValues(p.count, scale: 1, seed: 4)
        let h = 1e-6
        let plus = try regularizer.valueAndGradient(adapters: adapters, parameters: zip(p, v).map { $0 + h * $1 }).value
        let minus = try regularizer.valueAndGradient(adapters: adapters, parameters: zip(p, v).map { $0 - h * $1 }).value
        let fd = 0.7 * (plus - minus) / (2 * h)
        let analytic = zip(gradient, v).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertLessThan(abs(fd - analytic) / abs(analytic), 1e-6)
        var coordinates: [Double] = [], differences: [Double] = []
        for entry in adapters.layout.entries {
            var up = p, down = p
            up[entry.offset] += h
            down[entry.offset] -= h
            let d = try regularizer.valueAndGradient(adapters: adapters, parameters: up).value
                - regularizer.valueAndGradient(adapters: adapters, parameters: down).value
            differences.append(0.7 * d / (2 * h))
            coordinates.append(gradient[entry.offset])
        }
        XCTAssertLessThan(relativeError(coordinates, differences), 1e-6)
    }

    /// Hand value: one layer's factors with orthonormal columns give R_o = (zero-column terms);
    /// two parallel unit columns give the off-diagonal cosines 1: R = 2 for that pair.
    func testRegularizerHandValues() throws {
        let adapters = try PaLoRAAdapters(configuration: AdapterConfiguration(placement: .encoder))
        var p = [Double](repeating: 0, count: adapters.parameterCount)
        let fc1 = adapters.layers.firstIndex { $0.name == "fc1" }!
        // fc1: A₀ = A₁ = e₁ (parallel), B₀ = e₁, B₁ = e₂ (orthogonal); every other factor zero.
        p[try adapters.layout.entry("fc1.lora_A.0").offset] = 1
        p[try adapters.layout.entry("fc1.lora_A.1").offset] = 1
        p[try adapters.layout.entry("fc1.lora_B.0").offset] = 1
        p[try adapters.layout.entry("fc1.lora_B.1").offset + 1] = 1
        let (value, _) = try OrthogonalityRegularizer(weight: 1, epsilon: 1e-12).valueAndGradient(adapters: adapters, parameters: p)
        // conv1, conv2: 2·5 zero columns in each of A and B: 4 × 10 = 40 diagonal terms of 1.
        // fc1 A: [[1,1],[1,1]] − I → 2; fc1 B: I − I → 0.
        XCTAssertEqual(value, 40 + 2, accuracy: 1e-9)
        XCTAssertEqual(fc1, 2)
    }

    private func smallData() throws -> (MultiDigitDataset, MultiDigitDataset) {
        (try generatedDataset(count: 24, seed: 5), try generatedDataset(count: 16, seed: 6))
    }

    /// One SGD step (no momentum) equals −η·T·Σ_m ∇_p(λ_mᵀL(θ(λ_m))) for the adapters and
    /// −η·Σ_m ∇_θ for the base, with the gradients of PaLoRAObjective computed independently;
    /// the M rays each run one gradient pass with weights λ_m.
    func testStepSumsRayGradientsAndScalesAdapterRate() throws {
        let (train, _) = try smallData()
        let batch: MultiDigitBatch<Double> = try train.batch(0..<12, as: Double.self)
        let schedule = PreferenceSchedule.deterministic(EvenRays(count: 3))
        let configuration = PaLoRATrainingConfiguration(schedule: schedule, optimizer: .sgd(momentum: 0), learningRate: 0.01)
        let trainer = try PaLoRATrainer(configuration: configuration) { (b: MultiDigitBatch<Double>) in
            CountingLoss(try FusedMultiLeNetLoss(images: b.images, labels: b.labels))
        }
        var parameters = try trainer.initialParameters()
        let noise = uniformValues(parameters.adapters.count, scale: 0.1, seed: 8)
        for i in noise.indices { parameters.adapters[i] += noise[i] }
        let before = parameters
        var optimizers = PaLoRAOptimizers(kind: configuration.optimizer, parameters: parameters)
        let counting = CountingLoss(try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels))
        let rays = try EvenRays(count: 3).rays()
        let result = try trainer.step(&parameters, optimizers: &optimizers, objective: counting, rays: rays, learningRate: 0.01, trainsBase: true)
        XCTAssertEqual(counting.gradientCalls, 3)
        XCTAssertEqual(counting.weightsSeen, rays)
        var expectedBase = before.base, expectedAdapters = before.adapters
        var total = 0.0
        for ray in rays {
            let objective = try PaLoRAObjective(inner: try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels), adapters: trainer.adapters, preference: ray)
            let (values, g) = try objective.valuesAndWeightedGradient(at: before.base + before.adapters, weights: ray)
            total += ray[0] * values[0] + ray[1] * values[1]
            for i in 0..<before.base.count { expectedBase[i] -= 0.01 * g[i] }
            for i in 0..<before.adapters.count { expectedAdapters[i] -= 0.01 * 2 * g[before.base.count + i] }
        }
        XCTAssertEqual(result.totalLoss, total, accuracy: 1e-12 * abs(total))
        XCTAssertLessThan(relativeError(parameters.base, expectedBase), 1e-14)
        XCTAssertLessThan(relativeError(parameters.adapters, expectedAdapters), 1e-14)
    }

    /// Expansion keeps θ₀ bit for bit; two-phase training freezes it after E epochs; from
    /// scratch both move and the step loss falls.
    func testModesFreezeTheBaseAsConfigured() throws {
        let (train, test) = try smallData()
        let factory: (MultiDigitBatch<Float>) throws -> FusedMultiLeNetLoss<Float> = { try FusedMultiLeNetLoss(images: $0.images, labels: $0.labels) }
        let base: [Float] = ParameterInitialization.pytorchDefault(layout: MultiLeNet.parameterLayout, seed: 2)

        let expansion = try PaLoRATrainer(configuration: PaLoRATrainingConfiguration(epochs: 2, batchSize: 8, trainsBase: false), objective: factory)
        XCTAssertThrowsError(try expansion.initialParameters())
        let expanded = try expansion.train(on: train, testingOn: test, from: try expansion.initialParameters(base: base))
        XCTAssertTrue(expanded.parameters.base == base, "expansion moved the base")
        XCTAssertNotEqual(expanded.parameters.adapters, try expansion.initialParameters(base: base).adapters)

        var baseAfterEpoch: [[Float]] = []
        let twoPhase = try PaLoRATrainer(
            configuration: PaLoRATrainingConfiguration(
                schedule: .deterministic(EvenRays(count: 3)), epochs: 3, batchSize: 8, freezeBaseAfter: 1,
                orthogonality: OrthogonalityRegularizer(weight: 0.1)),
            objective: factory)
        var current = try twoPhase.initialParameters(base: base)
        var records: [PaLoRAEpochRecord] = []
        _ = try twoPhase.train(on: train, from: current, onStep: { _ in }, onEpoch: { records.append($0) })
        XCTAssertEqual(records.map(\.trainedBase), [true, false, false])
        for epochs in 1...3 {
            var configuration = twoPhase.configuration
            configuration.epochs = epochs
            let partial = try PaLoRATrainer(configuration: configuration, objective: factory)
            current = try partial.train(on: train, from: try partial.initialParameters(base: base)).parameters
            baseAfterEpoch.append(current.base)
        }
        // The schedule does not depend on τ, so the runs of 1, 2, 3 epochs share their first epoch.
        XCTAssertNotEqual(baseAfterEpoch[0], base)
        XCTAssertTrue(baseAfterEpoch[1] == baseAfterEpoch[0], "base moved in the second phase")
        XCTAssertTrue(baseAfterEpoch[2] == baseAfterEpoch[0], "base moved in the second phase")

        var losses: [Double] = []
        let scratch = try PaLoRATrainer(configuration: PaLoRATrainingConfiguration(learningRate: 3e-3, epochs: 4, batchSize: 8), objective: factory)
        _ = try scratch.train(on: train, from: try scratch.initialParameters(), onEpoch: { losses.append($0.meanStepLoss) })
        XCTAssertLessThan(losses.last!, losses.first!)
    }

    /// The final learning rate of a Training checkpoint's metadata: cosine over 3 epochs from
    /// 0.02 ends at 0.02·(1 + cos(2π/3))/2 = 0.005.
    func testExpansionReadsTheFinalLearningRate() throws {
        let (train, _) = try smallData()
        let configuration = TrainingConfiguration(method: .linearScalarization(weights: [0.5, 0.5]), learningRate: 0.02, schedule: .cosine, epochs: 3, batchSize: 12)
        let trainer = try Trainer(model: MultiLeNet(), configuration: configuration) { (b: MultiDigitBatch<Float>) in
            try FusedMultiLeNetLoss(images: b.images, labels: b.labels)
        }
        let checkpoint = try trainer.train(on: train, testingOn: nil).checkpoint(model: MultiLeNet(), tasks: ["left", "right"])
        XCTAssertEqual(PaLoRATrainingConfiguration.finalLearningRate(of: checkpoint.metadata)!, 0.005, accuracy: 1e-15)
        let expansion = try PaLoRATrainingConfiguration.expansion(of: checkpoint.metadata)
        XCTAssertEqual(expansion.learningRate, 0.005, accuracy: 1e-15)
        XCTAssertFalse(expansion.trainsBase)
        XCTAssertEqual(expansion.epochs, 4)
        XCTAssertEqual(try PaLoRATrainingConfiguration.expansion(of: checkpoint.metadata, learningRate: 0.1).learningRate, 0.1)
        XCTAssertThrowsError(try PaLoRATrainingConfiguration.expansion(of: CheckpointMetadata()))
    }

    /// Spearman against hand values: a monotone pair is ±1; (1,2,3,4) vs (1,3,2,4) is 0.8.
    func testSpearman() {
        XCTAssertEqual(PaLoRAFamily.spearman([0, 0.1, 0.2, 0.3], [5, 4, 3, 1]), -1, accuracy: 1e-15)
        XCTAssertEqual(PaLoRAFamily.spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8, accuracy: 1e-15)
        // Ties: ranks (1.5, 1.5, 3) vs (1, 2, 3): r = 0.8660254 (√3/2).
        XCTAssertEqual(PaLoRAFamily.spearman([1, 1, 2], [1, 2, 3]), 3.0.squareRoot() / 2, accuracy: 1e-15)
    }

    /// Train briefly, evaluate the family, write one file, read it back; every θ(λ) written as
    /// a plain MultiLeNet checkpoint and re-evaluated reproduces the stored test losses.
    func testFileRoundTripAndMaterializedCheckpointsReproduceStoredLosses() throws {
        let (train, test) = try smallData()
        let configuration = PaLoRATrainingConfiguration(adapters: AdapterConfiguration(scale: 2, placement: .all), learningRate: 3e-3, epochs: 2, batchSize: 8)
        let trainer = try PaLoRATrainer(configuration: configuration) { (b: MultiDigitBatch<Float>) in
            try FusedMultiLeNetLoss(images: b.images, labels: b.labels)
        }
        let result = try trainer.train(on: train, from: try trainer.initialParameters())
        let family = try PaLoRAFamily.evaluate(adapters: trainer.adapters, parameters: result.parameters, test: test, train: train)
        XCTAssertEqual(family.points.map { $0.preference[0] }, (0...10).map { Double($0) / 10 })
        XCTAssertEqual(family.points.first!.preference, [0, 1])
        XCTAssertEqual(family.pseudoPreferences.map(\.preference), [[0, 0], [1, -1], [-1, 1], [-1, -1]])
        let baseOnly = try Evaluation.evaluate(model: MultiLeNet(), parameters: result.parameters.base, on: test)
        XCTAssertEqual(family.pseudoPreferences[0].test, baseOnly)
        XCTAssertTrue((1...11).contains(family.nonDominatedByLoss))

        let file = try PaLoRACheckpoint(
            adapters: trainer.adapters, parameters: result.parameters, options: PaLoRAFileOptions(configuration), family: family,
            metadata: CheckpointMetadata(tasks: ["left", "right"], seed: 1))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("palora-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("palora.safetensors")
        try file.write(to: url)
        let raw = try SafetensorsFile.read(from: url)
        XCTAssertTrue(raw.names.contains("conv1.lora_A.0") && raw.names.contains("fc3_2.lora_B.1") && raw.names.contains("conv1.weight"))
        XCTAssertEqual(raw.metadata["method"], "palora")
        XCTAssertThrowsError(try Checkpoint.load(from: url, model: MultiLeNet()))
        let loaded = try PaLoRACheckpoint.load(from: url)
        XCTAssertTrue(loaded == file, "the file does not read back equal")
        XCTAssertTrue(loaded.parameters(as: Float.self) == result.parameters, "parameters changed on the round trip")
        XCTAssertEqual(loaded.options.schedule, configuration.schedule)
        XCTAssertEqual(loaded.options.adapterParameterCount, 3_030)

        for point in loaded.family!.points + loaded.family!.pseudoPreferences {
            let plainURL = directory.appendingPathComponent("theta.safetensors")
            try loaded.materialized(preference: point.preference).write(to: plainURL)
            let plain = try Checkpoint.load(from: plainURL, model: MultiLeNet())
            XCTAssertEqual(plain.metadata.weights, point.preference)
            let again = try Evaluation.evaluate(model: MultiLeNet(), parameters: plain.parameters(as: Float.self), on: test)
            XCTAssertEqual(again.loss, point.test.loss, "\(point.preference)")
            XCTAssertEqual(again.accuracy, point.test.accuracy, "\(point.preference)")
        }
    }

    /// A NaN in the parameters stops a step with Training's divergence error.
    func testNonFiniteLossThrowsDivergence() throws {
        let (train, _) = try smallData()
        let batch: MultiDigitBatch<Float> = try train.batch(0..<8)
        let trainer = try PaLoRATrainer(configuration: PaLoRATrainingConfiguration()) { (b: MultiDigitBatch<Float>) in
            try FusedMultiLeNetLoss(images: b.images, labels: b.labels)
        }
        var parameters = try trainer.initialParameters()
        parameters.base[3] = .nan
        var optimizers = PaLoRAOptimizers(kind: .adamDefault, parameters: parameters)
        let objective = try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
        XCTAssertThrowsError(
            try trainer.step(&parameters, optimizers: &optimizers, objective: objective, rays: [[0.5, 0.5]], learningRate: 1e-3, trainsBase: true, position: (2, 7))
        ) { error in
            guard case TrainingError.nonFiniteLoss(let epoch, let batch, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual([epoch, batch], [2, 7])
        }
    }

    func testBadFilesThrow() throws {
        let adapters = try PaLoRAAdapters()
        let parameters = PaLoRAParameters<Float>(base: ParameterInitialization.pytorchDefault(layout: MultiLeNet.parameterLayout, seed: 1), adapters: adapters.initialAdapters(seed: 1))
        let file = try PaLoRACheckpoint(adapters: adapters, parameters: parameters).safetensorsFile()
        let dropped = try SafetensorsFile(tensors: file.tensors.filter { $0.name != "fc1.lora_B.1" }, metadata: file.metadata)
        XCTAssertThrowsError(try PaLoRACheckpoint.decode(dropped)) { XCTAssertTrue("\($0)".contains("fc1.lora_B.1")) }
        var metadata = file.metadata
        metadata["palora"] = nil
        XCTAssertThrowsError(try PaLoRACheckpoint.decode(try SafetensorsFile(tensors: file.tensors, metadata: metadata)))
        XCTAssertThrowsError(try PaLoRACheckpoint(adapters: adapters, parameters: PaLoRAParameters<Float>(base: [1], adapters: [])))
    }
}
