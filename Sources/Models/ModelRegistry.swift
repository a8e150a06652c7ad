import Autodiff
import Foundation
import LinearAlgebra
import Safetensors

/// How a network's multi-task loss is differentiated.
public enum LossEngine: String, Sendable, Codable, CaseIterable {
    /// The architecture's hand-fused kernel (``MultiTaskModel/fusedLoss(images:labels:)``):
    /// no tape, a preallocated workspace, the same values, gradients and HVPs as the tape up
    /// to rounding.
    case fused
    /// The autodiff tape (``MultiTaskLoss``): any architecture, the reference engine.
    case tape
}

/// Errors of the architecture registry.
public enum ModelRegistryError: Error, Equatable, CustomStringConvertible {
    /// No registered architecture has this name.
    case unknownArchitecture(String, known: [String])
    /// The fused engine was asked for an architecture without a fused kernel.
    case noFusedKernel(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let name, let known):
            return "architecture '\(name)' is not supported (known: \(known.joined(separator: ", ")))"
        case .noFusedKernel(let name):
            return "\(name) has no fused kernel; use the tape engine"
        }
    }
}

extension MultiTaskModel {
    /// The engine used when none is asked for: the fused kernel where the architecture has
    /// one, else the tape. The library and the command line both default to it.
    public var defaultEngine: LossEngine { hasFusedLoss ? .fused : .tape }

    /// The mean per-task cross-entropy on one batch, differentiated by `engine`
    /// (``defaultEngine`` when `nil`).
    /// - Throws: ``ModelRegistryError/noFusedKernel(_:)``, or the shape errors of the loss.
    public func loss<S: BLASScalar>(
        images: Tensor<S>, labels: [[Int]], engine: LossEngine? = nil
    ) throws -> any DifferentiableVectorFunction<S> {
        switch engine ?? defaultEngine {
        case .tape:
            return try MultiTaskLoss<Self, S>(model: self, images: images, labels: labels)
        case .fused:
            guard let fused = try fusedLoss(images: images, labels: labels) else {
                throw ModelRegistryError.noFusedKernel(architecture)
            }
            return fused
        }
    }
}

/// The one place that knows the architectures: the name recorded in a checkpoint's metadata
/// (``CheckpointMetadata/architecture``) → the model (and through it, its parameter layout and
/// its default loss engine, ``MultiTaskModel/defaultEngine``).
public enum ModelRegistry {
    /// Every architecture ParetoKit can read, train and expand.
    public static let models: [any MultiTaskModel] = [MultiLeNet(), MiniLeNet()]

    /// The architecture of a checkpoint that records none (files written by PyTorch scripts).
    public static let defaultModel: any MultiTaskModel = MultiLeNet()

    /// The registered architecture names.
    public static var names: [String] { models.map(\.architecture) }

    /// The model called `name` (exact, as recorded in checkpoints).
    /// - Throws: ``ModelRegistryError/unknownArchitecture(_:known:)``.
    public static func model(named name: String) throws -> any MultiTaskModel {
        guard let model = models.first(where: { $0.architecture == name }) else {
            throw ModelRegistryError.unknownArchitecture(name, known: names)
        }
        return model
    }

    /// The model a checkpoint's metadata names (``defaultModel`` when it names none).
    /// - Throws: ``ModelRegistryError/unknownArchitecture(_:known:)``.
    public static func model(for metadata: [String: String]) throws -> any MultiTaskModel {
        try metadata["architecture"].map(model(named:)) ?? defaultModel
    }
}

/// A checkpoint together with the model its metadata names.
public struct LoadedCheckpoint: Sendable {
    /// The architecture (from the registry).
    public let model: any MultiTaskModel
    /// The validated parameters and metadata.
    public let checkpoint: Checkpoint
}

extension Checkpoint {
    /// Reads the checkpoint at `url` once, finds its architecture in ``ModelRegistry`` and
    /// decodes it for that model.
    /// - Throws: ``CheckpointError`` (unreadable or invalid file, naming it) or
    ///   ``CheckpointError/invalidMetadata(key:reason:)`` for an unknown architecture.
    public static func load(from url: URL) throws -> LoadedCheckpoint {
        let file = try readContainer(at: url)
        let model: any MultiTaskModel
        do {
            model = try ModelRegistry.model(for: file.metadata)
        } catch let error as ModelRegistryError {
            throw CheckpointError.invalidFile(path: url.path, problem: .invalidMetadata(key: "architecture", reason: error.description))
        }
        return LoadedCheckpoint(model: model, checkpoint: try decode(file, model: model, path: url.path))
    }
}
