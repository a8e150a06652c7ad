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

    @Option(parsing: .unconditional, help: "Training composites to build (default: one per training digit).")
    var trainSize: Int?

    @Option(parsing: .unconditional, help: "Test composites to build (default: one per test digit).")
    var testSize: Int?

    @Option(help: "Directory of MNIST / Fashion-MNIST IDX files (default: see docs/training.md).")
    var data: String?

    func validate() throws {
        if let trainSize, trainSize < 1 { throw ValidationError("--train-size must be at least 1") }
        if let testSize, testSize < 1 { throw ValidationError("--test-size must be at least 1") }
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
            selection = try locator.select(dataset.kind)
        } catch DatasetError.directoryNotFound(let path, DataLocator.explicitDirectoryOrigin) {
            throw ValidationError("--data \(path): no such directory")
        }
        FileHandle.standardError.write(Data("data: \(selection.description)\n".utf8))
        return selection
    }
}

/// The command line's reading of the network-run errors: the same facts, in terms of its options.
func commandLineError(_ error: NetworkRunError) -> ValidationError {
    switch error {
    case .existingRun(let path):
        return ValidationError("--out \(path) already holds a run (state.json): add --resume to continue it, or choose another --out")
    case .noRun(let path):
        return ValidationError("--resume: \(path) holds no run to continue (no state.json)")
    case .incompatibleResume(let key, let saved, let requested):
        let irregular = ["train_images": "--train-size", "test_images": "--test-size", "hvp_images": "--hvp-batch",
                         "architecture": "--from (architecture)"]
        let option = irregular[key] ?? "--" + key.replacingOccurrences(of: "_", with: "-")
        return ValidationError("cannot --resume: the run was started with \(option) \(saved), this command gives \(requested)")
    case .unsupported, .noChain, .corruptState:
        return ValidationError(error.description)
    }
}
