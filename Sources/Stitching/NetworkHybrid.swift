import Datasets
import Expansion
import Foundation
import Models
import NetworkExpansion
import PaLoRA
import Training

/// What ``NetworkHybrid`` runs.
public struct NetworkHybridConfiguration: Sendable {
    /// The PaLoRA part (Dimitriadis et al. §5.4: adapters trained around the checkpoint).
    public var palora: PaLoRATrainingConfiguration
    /// The PaLoRA part's hypervolume reference; every part and the stitch use the one it gives.
    public var reference: PaLoRAReference = .scaled(2)
    /// The tangent parts (Ma et al. 2020, Algorithm 1); their `reference` is replaced by the
    /// PaLoRA part's.
    public var expansion: NetworkExpansionOptions
    /// The stitch.
    public var stitch = StitchOptions()
    /// Metadata of the PaLoRA file and of the segment's end models (data set, data seed), so a
    /// tangent part built from an end model reads the same training split.
    public var metadata: CheckpointMetadata

    public init(palora: PaLoRATrainingConfiguration, expansion: NetworkExpansionOptions, metadata: CheckpointMetadata) {
        self.palora = palora
        self.expansion = expansion
        self.metadata = metadata
    }
}

/// The result of ``NetworkHybrid/run(input:train:test:configuration:directory:objectiveData:prepare:onPart:)``.
public struct NetworkHybridResult: Sendable {
    /// The part directories' names, in the order they run.
    public var parts: [String]
    /// The parts run by this call (the others were finished and kept).
    public var ran: [String]
    /// The stitched front.
    public var stitched: StitchedRunResult
}

/// The hybrid method on a MultiLeNet checkpoint: the PaLoRA segment `θ(λ)` around it
/// (`palora/`), its end models `θ(e₁)`, `θ(e₂)` (`segment-ends/`), a tangent chain from the
/// checkpoint and from each end (`tangent-seed/`, `tangent-lambda1/`, `tangent-lambda2/`,
/// each seed first driven towards Pareto stationarity by the expansion's seed rule), all
/// measured against the PaLoRA part's reference and named by the training split's data set as
/// a tangent run names it, and their stitch (``StitchedRun``, the run
/// directory's `front.json`). A finished part is kept and an interrupted tangent part resumed,
/// so calling it again continues the run; the PaLoRA part is retrained if it did not finish.
public enum NetworkHybrid {
    /// The part directories.
    public static let partNames = ["palora", "tangent-seed", "tangent-lambda1", "tangent-lambda2"]

    /// Runs (or continues) the hybrid method in `directory`.
    /// - Parameters:
    ///   - input: the checkpoint's parameters (MultiLeNet).
    ///   - objectiveData: the objectives of a tangent part over the training split (the caller
    ///     chooses the HVP batch, chunking and engine); called once per tangent part.
    ///   - prepare: called with each tangent part's expansion before it runs (progress and
    ///     interrupt hooks).
    ///   - onPart: called with each part's name before it runs.
    /// - Throws: errors of the parts and of the stitch.
    public static func run(
        input: [Float], train: MultiDigitDataset, test: MultiDigitDataset, configuration: NetworkHybridConfiguration, directory: URL,
        objectiveData: () throws -> NetworkObjectiveData<MultiLeNet>,
        prepare: (NetworkExpansion<MultiLeNet>) -> Void = { _ in }, onPart: (String) -> Void = { _ in }
    ) throws -> NetworkHybridResult {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func url(_ part: String) -> URL { directory.appendingPathComponent(part, isDirectory: true) }
        func finished(_ part: String) -> Bool { FileManager.default.fileExists(atPath: url(part).appendingPathComponent("front.json").path) }
        var ran: [String] = []

        if !finished("palora") {
            onPart("palora")
            let result = try PaLoRARun.run(
                configuration: configuration.palora, base: input, train: train, test: test, reference: configuration.reference,
                dataset: train.composite?.name(side: train.side) ?? "multidigit-\(train.side)", metadata: configuration.metadata)
            try PaLoRARun.write(result, to: url("palora"))
            ran.append("palora")
        }
        let segment = try PaLoRARun.segment(in: url("palora"))
        let reference = try FrontFile.read(from: url("palora").appendingPathComponent("front.json")).reference
        let ends = url("segment-ends")
        try FileManager.default.createDirectory(at: ends, withIntermediateDirectories: true)
        var seeds: [(part: String, parameters: [Double])] = [("tangent-seed", input.map(Double.init))]
        for task in 0..<2 {
            let lambda = (0..<2).map { $0 == task ? 1.0 : 0.0 }
            let file = ends.appendingPathComponent("lambda\(task + 1).safetensors")
            if !FileManager.default.fileExists(atPath: file.path) {
                var checkpoint = try segment.checkpoint(at: lambda)
                checkpoint.metadata.seed = configuration.metadata.seed ?? checkpoint.metadata.seed
                checkpoint.metadata.other.merge(configuration.metadata.other) { _, new in new }
                try checkpoint.write(to: file)
            }
            // Read back, so a resumed part starts from the very weights it started from.
            seeds.append(("tangent-lambda\(task + 1)", try Checkpoint.load(from: file).checkpoint.parameters))
        }
        var options = configuration.expansion
        options.reference = reference
        for (part, parameters) in seeds where !finished(part) {
            onPart(part)
            let expansion = try NetworkExpansion(data: try objectiveData(), options: options, directory: url(part))
            prepare(expansion)
            let resumable = FileManager.default.fileExists(atPath: url(part).appendingPathComponent("state.json").path)
            _ = resumable ? try expansion.resume(input: parameters) : try expansion.run(from: parameters)
            ran.append(part)
        }
        let families = try RunFamilies.load(from: partNames.map(url))
        let evaluator = StitchedRun.networkEvaluator(test: test)
        let stitched = try StitchedRun.stitch(
            families, reference: reference, options: configuration.stitch, method: "hybrid", directory: directory, evaluate: evaluator)
        try stitched.front.write(to: directory)
        return NetworkHybridResult(parts: partNames, ran: ran, stitched: stitched)
    }
}

extension StitchedRun {
    /// `f` at a coordinate of a family: analytic families through their problem, network
    /// families by their test loss per task on `test` (the space of their curves; Training's
    /// ``Evaluation``, on the model's `Float` weights).
    public static func networkEvaluator(test: MultiDigitDataset) -> (RunFamily, FamilyCoordinate) throws -> [Double] {
        { family, coordinate in
            guard let model = family.model else { return try family.analyticObjectives(at: coordinate) }
            let parameters = try family.parameters(at: coordinate).map { Float($0) }
            return try Evaluation.evaluate(model: model, parameters: parameters, on: test).loss
        }
    }
}
