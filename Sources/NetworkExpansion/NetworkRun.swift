import Expansion
import Foundation
import Models

/// The continuous chain of a finished network run, read from its directory: the front file,
/// the architecture (from ``ModelRegistry``) and the chain as a ``TangentChain`` whose nodes
/// are the chain points' checkpoints, loaded only when a `t` needs them.
public struct NetworkChain: Sendable {
    /// The run directory.
    public let directory: URL
    /// Its `front.json`.
    public let front: FrontFile
    /// The architecture the run expanded.
    public let model: any MultiTaskModel
    /// `x(t)`, `t ∈ [−1, 1]` (Ma et al. 2020, §5).
    public let family: TangentChain

    /// Reads the run in `directory`.
    /// - Throws: ``NetworkRunError/noRun(_:)`` without a front file, ``NetworkRunError/noChain(_:)``
    ///   when no point has `t`, ``FrontFileError`` or ``ModelRegistryError`` for an invalid file.
    public init(directory: URL) throws {
        let front = try NetworkRun.front(in: directory)
        let model = try ModelRegistry.model(named: front.architecture ?? ModelRegistry.defaultModel.architecture)
        let chain = front.points.compactMap { p -> (t: Double, id: Int, objectives: [Double], checkpoint: String)? in
            guard let t = p.t, let checkpoint = p.checkpoint else { return nil }
            return (t, p.id, p.objectives, checkpoint)
        }.sorted { $0.t < $1.t }
        guard !chain.isEmpty else { throw NetworkRunError.noChain(directory.path) }
        let files = Dictionary(uniqueKeysWithValues: chain.map { ($0.id, directory.appendingPathComponent($0.checkpoint)) })
        family = try TangentChain(
            nodes: chain.map { FamilyNode(id: $0.id, coordinate: .t($0.t), objectives: $0.objectives) },
            nodeParameters: { id in try Checkpoint.load(from: files[id]!, model: model).parameters })
        self.directory = directory
        self.front = front
        self.model = model
    }

    /// `x(t)`.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:domain:)`` outside `[−1, 1]`; checkpoint errors.
    public func parameters(at t: Double) throws -> [Double] { try family.parameters(at: t) }

    /// The model at `t` as a checkpoint: `x(t)` rounded to `Float` (networks compute in
    /// `Float`), metadata naming the run, its method and `t`.
    public func checkpoint(at t: Double) throws -> Checkpoint {
        let x = try parameters(at: t)
        let metadata = CheckpointMetadata(
            architecture: model.architecture, method: "expand-\(front.method)-at", seed: front.seed,
            other: ["t": "\(t)", "run": directory.path])
        return try Checkpoint(layout: model.layout, parameters: x.map { Double(Float($0)) }, precision: .float32, metadata: metadata)
    }
}

/// Reading finished network runs.
public enum NetworkRun {
    /// The front file of the run in `directory`.
    /// - Throws: ``NetworkRunError/noRun(_:)`` without one; ``FrontFileError`` for an invalid one.
    public static func front(in directory: URL) throws -> FrontFile {
        let url = directory.appendingPathComponent("front.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw NetworkRunError.noRun(directory.path) }
        return try FrontFile.read(from: url)
    }

    /// The parameters `x(t)` of the continuous chain of the run in `directory` (see
    /// ``NetworkChain``).
    public static func parameters(at t: Double, in directory: URL) throws -> [Double] {
        try NetworkChain(directory: directory).parameters(at: t)
    }
}
