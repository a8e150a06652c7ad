import ArgumentParser
import Foundation
import ParetoKit

/// `--method`.
enum MethodName: String, ExpressibleByArgument, CaseIterable {
    case ls, mgda, rlw, chebyshev, gradnorm, uncertainty, paretomtl, ldc
    case mgdaUB = "mgda-ub"
    /// PaLoRA from scratch: base and per-task low-rank adapters trained with preference rays.
    case palora
}

/// `--ldc-tau`.
extension LDCSettings.UpperWeights: ExpressibleByArgument {}
/// `--ldc-normalization`.
extension LDCSettings.Normalization: ExpressibleByArgument {}

/// `--optimizer`.
enum OptimizerName: String, ExpressibleByArgument, CaseIterable {
    case sgd, adam
}

/// `--schedule`.
enum ScheduleName: String, ExpressibleByArgument, CaseIterable {
    case constant, cosine, step
}

/// `--precision`.
enum PrecisionName: String, ExpressibleByArgument, CaseIterable {
    case float32, float64
}

/// `pareto train`: trains the multi-task LeNet on MultiMNIST / MultiFashion by a
/// scalarization method and writes a safetensors checkpoint.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the multi-task LeNet on MultiMNIST or MultiFashion and write a safetensors checkpoint.",
        discussion: """
            Example: pareto train --dataset multimnist --method ls --weights 0.5,0.5 --epochs 10 --out ls.safetensors
            Methods: ls (linear scalarization, --weights), mgda (min-norm common descent), rlw (random Dirichlet weights per batch), chebyshev (online mirror descent on the dual weights; --weights is the preference, --dual-learning-rate its step).
            Seed producers (docs/training.md): gradnorm (Chen et al. 2018; --gradnorm-alpha, --gradnorm-learning-rate), uncertainty (Kendall et al. 2018, learned log-variances), mgda-ub (MGDA on the shared representation, Sener & Koltun 2018), paretomtl (Lin et al. 2019; subproblem --preference-index k of --preference-count evenly spread preferences), ldc (LDC-MTL; --ldc-penalty, --ldc-tau, --ldc-normalization, --ldc-smoothing; Table 5's classification defaults).

            The checkpoint is written atomically at the end; a non-finite loss stops the run with an error and writes nothing.
            """)

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @Option(help: "Method: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: MethodName

    @Option(parsing: .unconditional, help: "Task weights w1,w2 (ls: the scalarization weights; chebyshev: the preference). Default 0.5,0.5.")
    var weights: RealList?

    @Option(parsing: .unconditional, help: "Chebyshev: step η_λ of the multiplicative dual-weight update.")
    var dualLearningRate = 0.1

    @Option(parsing: .unconditional, help: "gradnorm: the asymmetry α of the target Ḡ rᵢ^α (must be positive).")
    var gradnormAlpha = 1.5

    @Option(parsing: .unconditional, help: "gradnorm: step size of the task-weight update.")
    var gradnormLearningRate = 0.025

    @Option(parsing: .unconditional, help: "paretomtl: the subproblem k, 0 ≤ k < --preference-count (required for paretomtl).")
    var preferenceIndex: Int?

    @Option(parsing: .unconditional, help: "paretomtl: the number of evenly spread preference vectors.")
    var preferenceCount = 5

    @Option(parsing: .unconditional, help: "paretomtl: at most this many steps of phase 1 (finding a feasible point).")
    var feasibilitySteps = 200

    @Option(parsing: .unconditional, help: "ldc: penalty λ of the loss-discrepancy term.")
    var ldcPenalty = 0.01

    @Option(help: "ldc: upper-level weights τ: router (τ = σ(W)) or ones (τ = 1).")
    var ldcTau: LDCSettings.UpperWeights = .router

    @Option(help: "ldc: loss normalisation: none, rescale (by the first step's losses) or log.")
    var ldcNormalization: LDCSettings.Normalization = .none

    @Option(parsing: .unconditional, help: "ldc: γ of the smoothed absolute value √(x² + γ); 0 for |x|.")
    var ldcSmoothing = 0.0

    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs = 10

    @Option(parsing: .unconditional, help: "Seed of the composites, the initial parameters, the batch order and random weights (default: the --from checkpoint's seed, so it trains on the same composites; else 1).")
    var seed: UInt64?

    @Option(help: "Start from this MultiLeNet checkpoint's parameters instead of a fresh initialisation: fine-tuning, e.g. a few epochs of mgda from an ls checkpoint (ParetoOptimize of the seed by SGD, before pareto expand).")
    var from: String?

    @Option(help: "Checkpoint file to write (.safetensors).")
    var out: String

    @Option(parsing: .unconditional, help: "Images per mini-batch.")
    var batchSize = 256

    @Option(help: "Optimizer: sgd (with momentum) or adam.")
    var optimizer: OptimizerName = .adam

    @Option(parsing: .unconditional, help: "Base learning rate (default: 0.001 for adam, 0.01 for sgd).")
    var learningRate: Double?

    @Option(parsing: .unconditional, help: "SGD momentum.")
    var momentum = 0.9

    @Option(help: "Learning-rate schedule: constant, cosine (annealed to 0 over the epochs) or step.")
    var schedule: ScheduleName = .constant

    @Option(parsing: .unconditional, help: "Step schedule: epochs between decays.")
    var stepEvery = 5

    @Option(parsing: .unconditional, help: "Step schedule: decay factor.")
    var stepFactor = 0.1

    @Option(help: "Arithmetic: float32 or float64.")
    var precision: PrecisionName = .float32

    @Option(help: "Differentiation engine: fused (the hand-fused MultiLeNet kernel) or tape (the general autodiff tape; same results to rounding).")
    var engine: LossEngine = .fused

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Option(parsing: .unconditional, help: "After the last epoch, polish the parameters to relative Pareto stationarity ‖Σα*ᵢ∇fᵢ‖/maxᵢ‖∇fᵢ‖ ≤ this on all the training composites (the measure and default tolerance of pareto expand: 0.05), by full-batch L-BFGS on the fixed weighted sum Σwᵢfᵢ; its evaluations are reported (summary, --json \"polish\", checkpoint metadata). Default: no polish.")
    var polishTolerance: Double?

    @Option(parsing: .unconditional, help: "Polish: at most this many full-set evaluations (values + Jacobian, line-search trials included). Default 1000.")
    var polishEvaluations: Int?

    @Option(parsing: .unconditional, help: "Polish: the fixed weights w1,w2 of the minimised sum (default: ls's --weights, otherwise the min-norm weights α* at the trained parameters).")
    var polishWeights: RealList?

    @Option(parsing: .unconditional, help: "Polish: composites per chunk of the full-set objectives (memory; the order of the sums).")
    var polishChunkSize: Int?

    @OptionGroup(title: "PaLoRA (--method palora)")
    var palora: PaLoRAOptions

    @Option(parsing: .unconditional, help: "PaLoRA: train base and adapters for this many epochs, then adapters only (LORPMAN's two phases).")
    var freezeAfter: Int?

    func validate() throws {
        if let weights, ![.ls, .chebyshev].contains(method) {
            throw ValidationError("--weights \(weights) has no meaning for --method \(method.rawValue)")
        }
        try Check.count(epochs, "--epochs", atLeast: 1, atMost: 100_000)
        try Check.count(batchSize, "--batch-size", atLeast: 1)
        try Check.positive(dualLearningRate, "--dual-learning-rate")
        if let learningRate { try Check.positive(learningRate, "--learning-rate") }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must lie in [0, 1), got \(momentum)") }
        try Check.count(stepEvery, "--step-every", atLeast: 1)
        try Check.positive(stepFactor, "--step-factor")
        if let weights, weights.values.contains(where: { $0 < 0 }) || weights.values.allSatisfy({ $0 == 0 }) {
            throw ValidationError("--weights must be non-negative and not all zero, got \(weights)")
        }
        if method == .paretomtl {
            guard let preferenceIndex else { throw ValidationError("--method paretomtl needs --preference-index k (0 ≤ k < \(preferenceCount))") }
            guard preferenceCount >= 2 else { throw ValidationError("--preference-count must be at least 2, got \(preferenceCount)") }
            guard (0..<preferenceCount).contains(preferenceIndex) else {
                throw ValidationError("--preference-index \(preferenceIndex) is out of range 0..<\(preferenceCount)")
            }
            guard feasibilitySteps >= 0 else { throw ValidationError("--feasibility-steps must be non-negative") }
        } else if preferenceIndex != nil {
            throw ValidationError("--preference-index has no meaning for --method \(method.rawValue)")
        }
        if method == .gradnorm {
            guard gradnormAlpha.isFinite, gradnormAlpha > 0 else { throw ValidationError("--gradnorm-alpha must be positive, got \(gradnormAlpha)") }
            guard gradnormLearningRate.isFinite, gradnormLearningRate > 0 else {
                throw ValidationError("--gradnorm-learning-rate must be positive, got \(gradnormLearningRate)")
            }
        }
        if method == .ldc {
            guard ldcPenalty.isFinite, ldcPenalty > 0 else { throw ValidationError("--ldc-penalty must be positive, got \(ldcPenalty)") }
            guard ldcSmoothing.isFinite, ldcSmoothing >= 0 else { throw ValidationError("--ldc-smoothing must be non-negative, got \(ldcSmoothing)") }
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a file, got an empty path") }
        if let polishTolerance {
            guard polishTolerance.isFinite, polishTolerance >= 0 else {
                throw ValidationError("--polish-tolerance must be non-negative, got \(polishTolerance)")
            }
            if let polishEvaluations { try Check.count(polishEvaluations, "--polish-evaluations", atLeast: 1) }
            if let polishChunkSize { try Check.count(polishChunkSize, "--polish-chunk-size", atLeast: 1) }
            if let polishWeights, polishWeights.values.count != 2 || polishWeights.values.contains(where: { !($0 >= 0) }) || polishWeights.values.allSatisfy({ $0 == 0 }) {
                throw ValidationError("--polish-weights must be two non-negative numbers, not both zero, got \(polishWeights)")
            }
            if method == .palora { throw ValidationError("--polish-tolerance does not apply to --method palora") }
        } else if polishEvaluations != nil || polishWeights != nil || polishChunkSize != nil {
            throw ValidationError("--polish-evaluations, --polish-weights and --polish-chunk-size go with --polish-tolerance")
        }
        if method != .palora {
            guard palora.isDefault, freezeAfter == nil else {
                throw ValidationError("the PaLoRA options (--rank, --scale, --rays, --adapt, --schedule, --freeze-after, …) go with --method palora")
            }
        } else if let freezeAfter {
            try Check.count(freezeAfter, "--freeze-after", atLeast: 0, atMost: epochs)
        }
    }

    func trainingConfiguration(seed: UInt64) throws -> TrainingConfiguration {
        let taskWeights = weights?.values ?? [0.5, 0.5]
        let trainingMethod: TrainingMethod
        switch method {
        case .ls: trainingMethod = .linearScalarization(weights: taskWeights)
        case .mgda: trainingMethod = .mgda
        case .rlw: trainingMethod = .randomLossWeighting
        case .chebyshev: trainingMethod = .chebyshev(preference: taskWeights, dualLearningRate: dualLearningRate)
        case .gradnorm: trainingMethod = .gradNorm(GradNormSettings(alpha: gradnormAlpha, weightLearningRate: gradnormLearningRate))
        case .uncertainty: trainingMethod = .uncertainty(UncertaintySettings())
        case .mgdaUB: trainingMethod = .mgdaUpperBound
        case .paretomtl:
            trainingMethod = .paretoMTL(
                ParetoMTLSettings(preferenceIndex: preferenceIndex ?? 0, preferenceCount: preferenceCount, feasibilitySteps: feasibilitySteps))
        case .ldc:
            trainingMethod = .lossDiscrepancyControl(
                LDCSettings(penalty: ldcPenalty, upperWeights: ldcTau, normalization: ldcNormalization, smoothing: ldcSmoothing))
        case .palora:
            throw ValidationError("--method palora is trained by PaLoRATrainer, not by a scalarization trainer")
        }
        return TrainingConfiguration(
            method: trainingMethod, optimizer: optimizerKind, learningRate: resolvedLearningRate,
            schedule: rateSchedule, epochs: epochs, batchSize: batchSize, seed: seed)
    }

    /// `--optimizer` with `--momentum`.
    var optimizerKind: OptimizerKind { optimizer == .adam ? .adamDefault : .sgd(momentum: momentum) }

    /// `--learning-rate`, by default 1e-3 for Adam and 1e-2 for SGD.
    var resolvedLearningRate: Double { learningRate ?? (optimizer == .adam ? 1e-3 : 1e-2) }

    /// `--schedule` with `--step-every` and `--step-factor`.
    var rateSchedule: LearningRateSchedule {
        switch schedule {
        case .constant: return .constant
        case .cosine: return .cosine
        case .step: return .step(every: stepEvery, factor: stepFactor)
        }
    }

    func run() throws {
        // Paths first: a bad one fails now, not after the training.
        if let from { try Check.inputFile(from, "--from") }
        try Check.outputFile(out, "--out")
        if method == .palora { return try trainPaLoRA() }
        switch precision {
        case .float32: try run(Float.self)
        case .float64: try run(Double.self)
        }
    }

    struct Summary: Encodable {
        let loss: [Double]
        let accuracy: [Double]
        let images: Int
        let trainImages: Int
        let imagesPerSecond: Double
        let secondsPerEpoch: Double
        let history: [EpochRecord]
        let out: String
        let polish: PolishSummary?

        enum CodingKeys: String, CodingKey {
            case loss, accuracy, images, history, out, polish
            case trainImages = "train_images", imagesPerSecond = "images_per_second", secondsPerEpoch = "seconds_per_epoch"
        }
    }

    /// `"polish"` of the `--json` summary: the polish's report with its cost.
    struct PolishSummary: Encodable {
        let report: StationarityPolishReport
        /// Full-set composites and the cost in mini-batches of `--batch-size` (docs/tables.md's TRAIN unit).
        let trainImages: Int
        let batchEvaluations: Int
        /// The epochs' cost in the same unit (batches × evaluations per step of the method), and the sum.
        let epochEvaluations: Int?
        let totalEvaluations: Int?
        let test: EvaluationResult?

        enum CodingKeys: String, CodingKey {
            case before, after, tolerance, converged, iterations, evaluations, weights, trajectory, test
            case stopReason = "stop_reason", trainImages = "train_images", batchEvaluations = "batch_evaluations"
            case epochEvaluations = "epoch_evaluations", totalEvaluations = "total_evaluations"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.before, forKey: .before)
            try c.encode(report.after, forKey: .after)
            try c.encode(report.tolerance, forKey: .tolerance)
            try c.encode(report.converged, forKey: .converged)
            try c.encode(report.iterations, forKey: .iterations)
            try c.encode(report.evaluations, forKey: .evaluations)
            try c.encode(report.weights, forKey: .weights)
            try c.encode(report.stopReason, forKey: .stopReason)
            try c.encode(report.trajectory, forKey: .trajectory)
            try c.encode(trainImages, forKey: .trainImages)
            try c.encode(batchEvaluations, forKey: .batchEvaluations)
            try c.encodeIfPresent(epochEvaluations, forKey: .epochEvaluations)
            try c.encodeIfPresent(totalEvaluations, forKey: .totalEvaluations)
            try c.encodeIfPresent(test, forKey: .test)
        }
    }

    /// Evaluations per training step in docs/tables.md's convention (forward 1 + each backward
    /// sweep 1), or `nil` for a method without a fixed count.
    static func evaluationsPerStep(_ method: MethodName) -> Int? {
        switch method {
        case .ls, .uncertainty, .rlw, .chebyshev: return 2
        case .mgda, .gradnorm, .paretomtl, .mgdaUB: return 3
        case .ldc: return 4
        case .palora: return nil
        }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let model = MultiLeNet()
        let start = try from.map { try Checkpoint.load(from: URL(fileURLWithPath: $0), model: model) }
        let seed = self.seed ?? start?.metadata.seed ?? 1
        let initial = start.map { $0.parameters.map { S($0) } }
        let configuration = try trainingConfiguration(seed: seed)
        switch engine {
        case .fused:
            // The fused kernel parallelises over shards of the batch itself (see `pareto expand`).
            BLASThreads.set(1)
            let trainer = try Trainer<MultiLeNet, FusedMultiLeNetLoss<S>>(model: model, configuration: configuration) { batch in
                try FusedMultiLeNetLoss(images: batch.images, labels: batch.labels)
            }
            try train(trainer, model: model, configuration: configuration, from: initial, recorded: start?.metadata)
        case .tape:
            try train(Trainer<MultiLeNet, MultiTaskLoss<MultiLeNet, S>>(model: model, configuration: configuration),
                      model: model, configuration: configuration, from: initial, recorded: start?.metadata)
        }
    }

    private func train<S: BLASScalar, Objective: DifferentiableVectorFunction>(
        _ trainer: Trainer<MultiLeNet, Objective>, model: MultiLeNet, configuration: TrainingConfiguration, from initial: [S]?,
        recorded: CheckpointMetadata?
    ) throws where Objective.Scalar == S {
        let resolvedSeed = configuration.seed
        let dataset = dataOptions.resolvedDataset(recordedIn: recorded)
        let selection = try dataOptions.selection(dataset)
        let (train, test) = try selection.multiDigitSplits(
            trainCount: dataOptions.trainSize, testCount: dataOptions.testSize, seed: resolvedSeed)
        FileHandle.standardError.write(
            Data("training \(model.architecture) by \(configuration.method.name) on \(train.count) composites, testing on \(test.count)\n".utf8))

        let progress = ProgressLine()
        let batchesPerEpoch = (train.count + batchSize - 1) / batchSize
        let totalBatches = batchesPerEpoch * epochs
        let trained = try trainer.train(
            on: train, testingOn: test, from: initial,
            onStep: { step in
                let losses = step.losses.map { String(format: "%.4f", $0) }.joined(separator: " ")
                progress.update(
                    done: (step.epoch - 1) * step.batchCount + step.batch, total: totalBatches, unit: "batches",
                    detail: "epoch \(step.epoch)/\(epochs) batch \(step.batch)/\(step.batchCount) loss \(losses)")
            },
            onEpoch: { record in
                progress.finish()
                var line = String(
                    format: "epoch %d/%d  lr %.3g  train loss %@  %.0f images/s  %.1f s", record.epoch, epochs, record.learningRate,
                    formatted(record.trainLoss, digits: 4), record.imagesPerSecond, record.trainingSeconds)
                if let test = record.test {
                    line += "  test loss \(formatted(test.loss, digits: 4)) accuracy \(formatted(test.accuracy, digits: 4))"
                }
                FileHandle.standardError.write(Data((line + "\n").utf8))
            })
        var result = trained
        if let polishTolerance {
            var options = StationarityPolishOptions(tolerance: polishTolerance)
            if let polishEvaluations { options.maxEvaluations = polishEvaluations }
            options.weights = polishWeights?.values ?? (method == .ls ? configuration.method.recordedWeights : nil)
            FileHandle.standardError.write(Data(
                "polishing to relative stationarity ≤ \(polishTolerance) on \(train.count) composites (full-batch L-BFGS, at most \(options.maxEvaluations) evaluations)\n".utf8))
            result = try trainer.polish(
                result, on: train, testingOn: test, options: options, chunkSize: polishChunkSize ?? 1024,
                onStep: { r in
                    FileHandle.standardError.write(Data(String(
                        format: "polish step %d  evaluations %d  stationarity %.4f  train loss %@\n", r.iteration, r.evaluations,
                        r.stationarity, formatted(r.losses, digits: 4)).utf8))
                })
        }
        var extra = [
            "dataset": dataset.rawValue, "data": selection.description, "train_size": String(train.count),
            "test_size": String(test.count),
        ]
        if let from { extra["initialized_from"] = from }
        if let polish = result.report.polish {
            let r = polish.report
            extra["polish"] = "{\"after\":\(r.after),\"before\":\(r.before),\"evaluations\":\(r.evaluations),\"iterations\":\(r.iterations),"
                + "\"method\":\"lbfgs\",\"tolerance\":\(r.tolerance),\"weights\":[\(r.weights.map { "\($0)" }.joined(separator: ","))]}"
        }
        let checkpoint = try result.checkpoint(model: model, tasks: dataset.tasks, extra: extra)
        try checkpoint.write(to: URL(fileURLWithPath: out))

        let report = result.report
        let final = report.finalTest ?? EvaluationResult(loss: [], accuracy: [], images: 0)
        let polishSummary = report.polish.map { p -> PolishSummary in
            let epochCost = Self.evaluationsPerStep(method).map { $0 * self.epochs * batchesPerEpoch }
            let batches = p.batchEvaluations(batchSize: batchSize, tasks: model.taskCount)
            return PolishSummary(
                report: p.report, trainImages: p.trainImages, batchEvaluations: batches, epochEvaluations: epochCost,
                totalEvaluations: epochCost.map { $0 + batches }, test: p.test)
        }
        if json {
            try printJSON(
                Summary(
                    loss: final.loss, accuracy: final.accuracy, images: final.images, trainImages: report.trainImages,
                    imagesPerSecond: report.imagesPerSecond, secondsPerEpoch: report.secondsPerEpoch, history: report.history,
                    out: out, polish: polishSummary))
        } else {
            print("method:        \(configuration.method.name)\(configuration.method.recordedWeights.map { " weights \(formatted($0, digits: 4))" } ?? "")")
            print("data:          \(selection.description)")
            print("composites:    \(report.trainImages) train, \(final.images) test (seed \(resolvedSeed))")
            print("test loss:     \(formatted(final.loss, digits: 4))")
            print("test accuracy: \(formatted(final.accuracy, digits: 4))")
            if let p = polishSummary {
                let r = p.report
                print(String(
                    format: "polish:        relative stationarity %.4f → %.4f (tolerance %g, %@), %d L-BFGS steps, %d full-set evaluations = %d batch evaluations%@",
                    r.before, r.after, r.tolerance, r.converged ? "reached" : "NOT reached (\(r.stopReason))", r.iterations, r.evaluations,
                    p.batchEvaluations, p.epochEvaluations.map { " (epochs: \($0))" } ?? ""))
            }
            print(String(format: "speed:         %.0f training images/s, %.1f s per epoch", report.imagesPerSecond, report.secondsPerEpoch))
            print("checkpoint:    \(out)")
        }
    }
}
