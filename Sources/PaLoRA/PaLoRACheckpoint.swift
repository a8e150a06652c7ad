import Foundation
import LinearAlgebra
import Models
import Safetensors

/// The options of a PaLoRA run recorded in its file (JSON under the metadata key `palora`).
public struct PaLoRAFileOptions: Sendable, Equatable, Codable {
    /// Rank, scale, placement, tasks.
    public var adapters: AdapterConfiguration
    /// The training schedule.
    public var schedule: PreferenceSchedule?
    /// Whether `θ₀` was trained.
    public var trainsBase: Bool?
    /// LORPMAN two-phase `E`.
    public var freezeBaseAfter: Int?
    /// LORPMAN regulariser.
    public var orthogonality: OrthogonalityRegularizer?
    /// The number of adapter parameters (the overhead over the base), set by ``PaLoRACheckpoint``.
    public var adapterParameterCount: Int?
    /// Base and adapter learning rates, epochs, batch size, seed.
    public var learningRate: Double?, adapterLearningRate: Double?, epochs: Int?, batchSize: Int?, seed: UInt64?

    /// Options of adapters alone.
    public init(adapters: AdapterConfiguration) { self.adapters = adapters }

    /// The options of a training configuration.
    public init(_ configuration: PaLoRATrainingConfiguration) {
        adapters = configuration.adapters
        schedule = configuration.schedule
        trainsBase = configuration.trainsBase
        freezeBaseAfter = configuration.freezeBaseAfter
        orthogonality = configuration.orthogonality
        learningRate = configuration.learningRate
        adapterLearningRate = configuration.adapterLearningRate
        epochs = configuration.epochs
        batchSize = configuration.batchSize
        seed = configuration.seed
    }
}

/// One safetensors file with the base (`conv1.weight`, … as the plain MultiLeNet checkpoint)
/// and the adapters (`conv1.lora_A.0`, `conv1.lora_B.0`, …), all of one dtype, and metadata:
/// `method = palora`, `architecture = MultiLeNet`, `palora` (``PaLoRAFileOptions`` JSON) and,
/// if evaluated, `palora_family` (``PaLoRAFamilyEvaluation`` JSON). ``materialized(preference:)``
/// gives `θ(λ)` as a plain ``Checkpoint`` that every MultiLeNet tool reads.
public struct PaLoRACheckpoint: Sendable, Equatable {
    /// The adapters' structure.
    public let adapters: PaLoRAAdapters
    /// `θ₀` and `p`, exact for both precisions.
    public let parameters: PaLoRAParameters<Double>
    /// The stored dtype.
    public let precision: Checkpoint.Precision
    /// The run's options.
    public var options: PaLoRAFileOptions
    /// The family's evaluation, if made.
    public var family: PaLoRAFamilyEvaluation?
    /// Further metadata (tasks, seed, …); `method` is `palora` and `architecture` `MultiLeNet`.
    public var metadata: CheckpointMetadata

    /// The metadata keys of the options and the family.
    public static let optionsKey = "palora", familyKey = "palora_family"

    /// A file of `parameters` in the precision of `S`.
    /// - Throws: ``PaLoRAError`` on wrong sizes; ``CheckpointError`` for non-finite values.
    public init<S: BLASScalar>(
        adapters: PaLoRAAdapters, parameters: PaLoRAParameters<S>, options: PaLoRAFileOptions? = nil,
        family: PaLoRAFamilyEvaluation? = nil, metadata: CheckpointMetadata = CheckpointMetadata()
    ) throws {
        try adapters.check(parameters.base, "base parameters", adapters.baseLayout.parameterCount)
        try adapters.check(parameters.adapters, "adapter parameters", adapters.parameterCount)
        if let bad = parameters.adapters.firstIndex(where: { !$0.isFinite }) {
            throw CheckpointError.nonFiniteParameter(tensor: "adapters", index: bad)
        }
        self.adapters = adapters
        self.parameters = PaLoRAParameters(base: parameters.base.map { Double($0) }, adapters: parameters.adapters.map { Double($0) })
        precision = S.self == Float.self ? .float32 : .float64
        self.options = options ?? PaLoRAFileOptions(adapters: adapters.configuration)
        guard self.options.adapters == adapters.configuration else {
            throw PaLoRAError.invalidConfiguration("options describe \(self.options.adapters), the adapters are \(adapters.configuration)")
        }
        self.options.adapterParameterCount = adapters.parameterCount
        self.family = family
        self.metadata = metadata
        self.metadata.method = "palora"
        self.metadata.architecture = MultiLeNet().architecture
        _ = try baseCheckpoint()
    }

    /// The parameters converted to `S`.
    public func parameters<S: BLASScalar>(as _: S.Type) -> PaLoRAParameters<S> {
        PaLoRAParameters(base: parameters.base.map { S($0) }, adapters: parameters.adapters.map { S($0) })
    }

    private func baseCheckpoint() throws -> Checkpoint {
        var base = metadata
        base.other[Self.optionsKey] = try Self.json(options)
        base.other[Self.familyKey] = try family.map(Self.json)
        return try Checkpoint(layout: adapters.baseLayout, parameters: parameters.base, precision: precision, metadata: base)
    }

    /// The safetensors file (base tensors, then adapter tensors).
    public func safetensorsFile() throws -> SafetensorsFile {
        let baseFile = try baseCheckpoint().safetensorsFile()
        let adapterTensors = try adapters.layout.entries.map { entry -> SafetensorsTensor in
            let values = Array(parameters.adapters[entry.offset..<(entry.offset + entry.count)])
            switch precision {
            case .float32: return try SafetensorsTensor(name: entry.name, shape: entry.shape, floats: values.map { Float($0) })
            case .float64: return try SafetensorsTensor(name: entry.name, shape: entry.shape, doubles: values)
            }
        }
        return try SafetensorsFile(tensors: baseFile.tensors + adapterTensors, metadata: baseFile.metadata)
    }

    /// Writes the file atomically.
    /// - Throws: ``CheckpointError/unwritable(path:reason:)``.
    public func write(to url: URL) throws {
        do { try safetensorsFile().write(to: url) } catch let error as SafetensorsError {
            throw CheckpointError.unwritable(path: url.path, reason: error.description)
        }
    }

    /// Reads a PaLoRA file.
    /// - Throws: ``CheckpointError`` for an unreadable file or a bad base; ``PaLoRAError/invalidFile(_:)``
    ///   for missing options, missing, unexpected or misshapen adapter tensors, or mixed dtypes.
    public static func load(from url: URL) throws -> PaLoRACheckpoint {
        let file: SafetensorsFile
        do { file = try SafetensorsFile.read(from: url) } catch let error as SafetensorsError {
            throw CheckpointError.unreadable(path: url.path, reason: error.description)
        }
        return try decode(file)
    }

    /// Decodes a parsed file (see ``load(from:)``).
    public static func decode(_ file: SafetensorsFile) throws -> PaLoRACheckpoint {
        guard let optionsText = file.metadata[optionsKey] else {
            throw PaLoRAError.invalidFile("no '\(optionsKey)' metadata: not a PaLoRA file")
        }
        let options = try decodeJSON(PaLoRAFileOptions.self, optionsText, key: optionsKey)
        let family = try file.metadata[familyKey].map { try decodeJSON(PaLoRAFamilyEvaluation.self, $0, key: familyKey) }
        let adapters = try PaLoRAAdapters(configuration: options.adapters)
        let baseNames = Set(adapters.baseLayout.entries.map(\.name))
        let adapterNames = Set(adapters.layout.entries.map(\.name))
        let unexpected = file.names.filter { !baseNames.contains($0) && !adapterNames.contains($0) }
        let missing = adapters.layout.entries.map(\.name).filter { file[$0] == nil }
        guard unexpected.isEmpty, missing.isEmpty else {
            throw PaLoRAError.invalidFile("adapter tensors missing \(missing), unexpected tensors \(unexpected) for \(options.adapters)")
        }
        var baseMetadata = file.metadata
        baseMetadata[optionsKey] = nil
        baseMetadata[familyKey] = nil
        let baseFile = try SafetensorsFile(tensors: file.tensors.filter { baseNames.contains($0.name) }, metadata: baseMetadata)
        let base = try Checkpoint.decode(baseFile, model: MultiLeNet())
        var factors: [Double] = []
        for entry in adapters.layout.entries {
            let tensor = file[entry.name]!
            guard tensor.shape == entry.shape else {
                throw PaLoRAError.invalidFile("\(entry.name) has shape \(tensor.shape), expected \(entry.shape)")
            }
            guard tensor.dtype == base.precision.dtype else {
                throw PaLoRAError.invalidFile("\(entry.name) is \(tensor.dtype.rawValue), the base \(base.precision.dtype.rawValue)")
            }
            let values = try tensor.doubles()
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw CheckpointError.nonFiniteParameter(tensor: entry.name, index: bad) }
            factors += values
        }
        let parameters = PaLoRAParameters(base: base.parameters, adapters: factors)
        var metadata = base.metadata
        metadata.other[optionsKey] = nil
        metadata.other[familyKey] = nil
        if base.precision == .float32 {
            return try PaLoRACheckpoint(
                adapters: adapters, parameters: PaLoRAParameters(base: parameters.base.map { Float($0) }, adapters: factors.map { Float($0) }),
                options: options, family: family, metadata: metadata)
        }
        return try PaLoRACheckpoint(adapters: adapters, parameters: parameters, options: options, family: family, metadata: metadata)
    }

    /// `θ(λ)` (eq. 2, computed in the file's precision) as a plain MultiLeNet checkpoint:
    /// method `palora`, `weights = λ`, the family's test metrics when `λ` is one of its points,
    /// and the key `palora_preference`.
    /// - Throws: ``PaLoRAError`` for a bad preference; ``CheckpointError``.
    public func materialized(preference: [Double]) throws -> Checkpoint {
        let theta: [Double]
        switch precision {
        case .float32:
            let p = parameters(as: Float.self)
            theta = try adapters.materialize(base: p.base, adapters: p.adapters, preference: preference).map { Double($0) }
        case .float64:
            theta = try adapters.materialize(base: parameters.base, adapters: parameters.adapters, preference: preference)
        }
        var plain = metadata
        plain.method = "palora"
        plain.architecture = MultiLeNet().architecture
        plain.weights = preference
        plain.other["palora_preference"] = try Self.json(preference)
        if let point = family?.points.first(where: { $0.preference == preference }) {
            plain.metrics = CheckpointMetrics(testLoss: point.test.loss, testAccuracy: point.test.accuracy, testImages: point.test.images)
        }
        return try Checkpoint(layout: adapters.baseLayout, parameters: theta, precision: precision, metadata: plain)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, key: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw PaLoRAError.invalidFile("metadata '\(key)' does not decode: \(error)")
        }
    }
}
