import ArgumentParser
import Foundation
import ParetoKit

extension AdapterPlacement: ExpressibleByArgument {}

/// `--schedule` of PaLoRA's preference rays.
enum PaLoRASchedule: String, ExpressibleByArgument, CaseIterable {
    /// Annealed evenly spaced rays with exponent Q·τ (the public code; the default).
    case annealed
    /// Annealed with the paper's exponent τ/Q (eq. 3).
    case paper
    /// Evenly spaced rays, not annealed.
    case fixed
    /// Dirichlet(p·1) rays drawn every step.
    case dirichlet
}

/// The PaLoRA options shared by `pareto train --method palora` and `pareto expand --method palora`
/// (Dimitriadis et al.: adapters W(λ) = W₀ + (a/r) Σₜ λₜ Bₜ Aₜ, eq. 2; rays and annealing, eq. 3).
struct PaLoRAOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "PaLoRA: adapter rank r.")
    var rank = 1

    @Option(parsing: .unconditional, help: "PaLoRA: adapter scale a (the update is (a/r) Σ λₜ Bₜ Aₜ).")
    var scale = 1.0

    @Option(parsing: .unconditional, help: "PaLoRA: preference rays M per batch.")
    var rays = 5

    @Option(help: "PaLoRA: adapted layers: encoder (conv1, conv2, fc1) or all (with the heads).")
    var adapt: AdapterPlacement = .encoder

    @Option(help: "PaLoRA: rays: annealed (exponent Q·τ, public code), paper (τ/Q, eq. 3), fixed, dirichlet.")
    var schedule: PaLoRASchedule = .annealed

    @Option(parsing: .unconditional, help: "PaLoRA: annealing temperature Q.")
    var temperature = 5.0

    @Option(parsing: .unconditional, help: "PaLoRA: Dirichlet concentration p (with --schedule dirichlet).")
    var concentration = 1.0

    @Option(parsing: .unconditional, help: "PaLoRA (LORPMAN): weight λ_o of the orthogonality regulariser between the tasks' adapters.")
    var orthogonality: Double?

    func validate() throws {
        try Check.count(rank, "--rank", atLeast: 1, atMost: 1_000)
        try Check.positive(scale, "--scale")
        try Check.count(rays, "--rays", atLeast: 1, atMost: 1_000)
        try Check.positive(temperature, "--temperature")
        try Check.positive(concentration, "--concentration")
        if let orthogonality { try Check.nonNegative(orthogonality, "--orthogonality") }
    }

    /// Whether every option has its default (so a non-PaLoRA method can refuse them).
    var isDefault: Bool {
        rank == 1 && scale == 1 && rays == 5 && adapt == .encoder && schedule == .annealed && temperature == 5 && concentration == 1
            && orthogonality == nil
    }

    /// The adapter configuration.
    var adapters: AdapterConfiguration { AdapterConfiguration(rank: rank, scale: scale, placement: adapt) }

    /// The preference schedule.
    var preferenceSchedule: PreferenceSchedule {
        let base = EvenRays(count: rays)
        switch schedule {
        case .annealed: return .annealed(AnnealedRays(base: base, temperature: temperature, convention: .publicCode))
        case .paper: return .annealed(AnnealedRays(base: base, temperature: temperature, convention: .paper))
        case .fixed: return .deterministic(base)
        case .dirichlet: return .dirichlet(DirichletRays(count: rays, concentration: concentration))
        }
    }

    /// Applies the regulariser to `configuration`.
    func configure(_ configuration: inout PaLoRATrainingConfiguration) {
        if let orthogonality { configuration.orthogonality = OrthogonalityRegularizer(weight: orthogonality) }
    }

    /// Prints the paper's measures of a trained family.
    static func printSummary(_ result: PaLoRARunResult) {
        let family = result.family
        for point in family.points + family.pseudoPreferences {
            print(String(format: "λ = (%5.2f, %5.2f)  test loss %.4f %.4f  accuracy %.4f %.4f", point.preference[0], point.preference[1],
                         point.test.loss[0], point.test.loss[1], point.test.accuracy[0], point.test.accuracy[1]))
        }
        if let input = result.inputTestLoss {
            print(String(format: "input network:      test loss %.4f %.4f", input[0], input[1]))
        }
        print(String(format: "test hypervolume:   %.6f (reference %@, %@)%@", result.front.hypervolume, formatted(result.front.reference),
                     result.front.referenceRule ?? "given",
                     result.front.hypervolumeBefore.map { String(format: "; input network alone %.6f", $0) } ?? ""))
        print(String(format: "paper's measures:   HV(loss; (1,1)) %.5f, HV(accuracy; (0,0)) %.5f, non-dominated %d/11 (loss), %d/11 (accuracy)",
                     family.lossHypervolume, family.accuracyHypervolume, family.nonDominatedByLoss, family.nonDominatedByAccuracy))
        print(String(format: "Spearman:           (λ₁, loss₁) %.3f, (λ₁, loss₂) %.3f", family.spearmanLoss[0], family.spearmanLoss[1]))
        let adapters = result.file.adapters
        print(String(format: "adapters:           %d parameters (%.1f %% of %d)", adapters.parameterCount,
                     100 * Double(adapters.parameterCount) / Double(adapters.baseLayout.parameterCount), adapters.baseLayout.parameterCount))
        if !result.history.isEmpty {
            print(String(format: "time:               %.1f s per epoch", result.history.map(\.trainingSeconds).reduce(0, +) / Double(result.history.count)))
        }
    }
}

/// The training options of `pareto expand --method palora` (`pareto train` has its own).
struct PaLoRATrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "PaLoRA: epochs of adapter training (default 4, the paper's §5.4).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "PaLoRA: base learning rate (default: the checkpoint's final learning rate, from its metadata); adapters use it × --adapter-rate-factor.")
    var learningRate: Double?

    @Option(parsing: .unconditional, help: "PaLoRA: adapter learning rate ÷ base rate (default 1 for expansion; the public code's × tasks applies from scratch).")
    var adapterRateFactor: Double?

    @Option(parsing: .unconditional, help: "PaLoRA: images per mini-batch.")
    var batchSize: Int?

    func validate() throws {
        if let epochs { try Check.count(epochs, "--epochs", atLeast: 1, atMost: 100_000) }
        if let learningRate { try Check.positive(learningRate, "--learning-rate") }
        if let adapterRateFactor { try Check.positive(adapterRateFactor, "--adapter-rate-factor") }
        if let batchSize { try Check.count(batchSize, "--batch-size", atLeast: 1) }
    }

    var isDefault: Bool { epochs == nil && learningRate == nil && adapterRateFactor == nil && batchSize == nil }
}
