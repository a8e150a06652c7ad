import ArgumentParser
import Foundation
import ParetoKit

extension CompositeDataset: ExpressibleByArgument {}
extension LossEngine: ExpressibleByArgument {}

/// The data options shared by `pareto train`, `pareto expand` (networks) and `pareto evaluate`
/// (checkpoints): which composite data set, how many composites, and where the digits are.
struct DataOptions: ParsableArguments {
    @Option(help: "Data set: \(CompositeDataset.allCases.map(\.rawValue).joined(separator: ", ")) (default: the one recorded in the checkpoint, else multimnist).")
    var dataset: CompositeDataset?

    @Option(parsing: .unconditional, help: "Training composites to build (default: one per training digit; multifashion-mnist: per image of the smaller source).")
    var trainSize: Int?

    @Option(parsing: .unconditional, help: "Test composites to build (default: one per test digit; multifashion-mnist: per image of the smaller source).")
    var testSize: Int?

    @Option(help: "Directory of MNIST / Fashion-MNIST IDX files; for multifashion-mnist the MNIST files (default: see docs/training.md).")
    var data: String?

    func validate() throws {
        if let trainSize { try Check.count(trainSize, "--train-size", atLeast: 1) }
        if let testSize { try Check.count(testSize, "--test-size", atLeast: 1) }
    }

    /// `--dataset`, else the one recorded in `metadata` (`pareto train` records it), else MultiMNIST.
    func resolvedDataset(recordedIn metadata: CheckpointMetadata? = nil) -> CompositeDataset {
        dataset ?? metadata?.other["dataset"].flatMap(CompositeDataset.init(rawValue:)) ?? .multimnist
    }

    /// The digits of `dataset` (from `--data DIR` or the default locations); tells the user on
    /// standard error where they came from.
    func selection(_ dataset: CompositeDataset) throws -> DataSelection {
        let locator = DataLocator(dataDirectory: data.map { URL(fileURLWithPath: $0) })
        let selection: DataSelection
        do {
            selection = try locator.select(dataset)
        } catch DatasetError.directoryNotFound(let path, DataLocator.explicitDirectoryOrigin) {
            throw ValidationError("--data \(path): no such directory")
        }
        FileHandle.standardError.write(Data("data: \(selection.description)\n".utf8))
        return selection
    }
}

/// A library error restated in terms of the command line's options, keeping its exit status.
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    let status: ExitStatus
}

/// The command line's reading of the network-run errors: the same facts, in terms of its options.
func commandLineError(_ error: NetworkRunError) -> CommandLineError {
    let status = ExitStatus.classify(error) ?? .usage
    switch error {
    case .existingRun(let path):
        return CommandLineError(
            description: "--out \(path) already holds a run (state.json): add --resume to continue it, or choose another --out", status: status)
    case .noRun(let path):
        return CommandLineError(description: "--resume: \(path) holds no run to continue (no state.json)", status: status)
    case .incompatibleResume(let key, let saved, let requested):
        let irregular = ["train_images": "--train-size", "test_images": "--test-size", "hvp_images": "--hvp-batch",
                         "architecture": "--from (architecture)", "input": "--from (the input network)",
                         "train_data": "--dataset/--data/--data-seed (the training composites)",
                         "test_data": "--dataset/--data/--data-seed (the test composites)", "hvp_batch": "--seed (the HVP mini-batch)"]
        let option = irregular[key] ?? "--" + key.replacingOccurrences(of: "_", with: "-")
        return CommandLineError(
            description: "cannot --resume: the run was started with \(option) \(saved), this command gives \(requested)", status: status)
    case .unsupported, .noChain, .corruptState:
        return CommandLineError(description: error.description, status: status)
    case .nonStationarySeed(let before, let after, let tolerance, let steps):
        return CommandLineError(
            description: String(
                format: "the seed is not Pareto-stationary: relative stationarity %.3e (input) → %.3e after %d seed steps, above --stationarity-tolerance %.3e; raise --seed-steps (or --optimize-step-size), or add --force to expand it anyway",
                before, after, steps, tolerance),
            status: status)
    }
}
