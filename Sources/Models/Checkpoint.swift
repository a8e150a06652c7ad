import Foundation
import LinearAlgebra
import Safetensors

/// A trained model's parameters as stored in a safetensors file (huggingface/safetensors
/// `README.md`, "Format"), with the tensor names and layouts of the PyTorch reference
/// implementation's `state_dict` (for ``MultiLeNet``: `conv1.weight [10,1,5,5]` …
/// `fc3_2.bias [10]`, `Linear.weight` as `[out, in]`).
///
/// A file written by `safetensors.torch.save_file(model.state_dict(), path)` for the
/// reference network loads unchanged, in `F32` or `F64`, with `{"format": "pt"}` or no
/// `__metadata__` at all. Files ParetoKit writes add the keys of ``CheckpointMetadata``.
///
/// The parameters are kept as `Double`s, which hold every `F32` and `F64` value exactly;
/// ``precision`` remembers the stored type, so writing back reproduces the file's values bit
/// for bit.
public struct Checkpoint: Sendable, Equatable {
    /// The stored floating-point type of the parameter tensors.
    public enum Precision: String, Sendable, CaseIterable {
        /// IEEE 754 binary32, safetensors dtype `F32` (PyTorch `torch.float32`).
        case float32
        /// IEEE 754 binary64, safetensors dtype `F64` (PyTorch `torch.float64`).
        case float64

        /// The safetensors dtype of this precision.
        public var dtype: SafetensorsDType { self == .float32 ? .f32 : .f64 }
    }

    /// The layout of the parameter tensors (names, shapes, packing order).
    public let layout: ParameterLayout
    /// The flat parameter vector in ``layout`` order, exact for both precisions.
    public let parameters: [Double]
    /// The stored type.
    public let precision: Precision
    /// What the file says about how the parameters were made.
    public var metadata: CheckpointMetadata

    /// A checkpoint of `parameters` (in the model's ``ParameterLayout`` order) stored in the
    /// precision of `S` (`Float` → `F32`, `Double` → `F64`).
    /// - Throws: ``CheckpointError/parameterCount(expected:actual:)`` on a wrong length,
    ///   ``CheckpointError/nonFiniteParameter(tensor:index:)`` for a NaN or infinity.
    public init<S: BLASScalar>(model: some MultiTaskModel, parameters: [S], metadata: CheckpointMetadata = CheckpointMetadata()) throws {
        let precision: Precision = S.self == Float.self ? .float32 : .float64
        try self.init(layout: model.layout, parameters: parameters.map { Double($0) }, precision: precision, metadata: metadata)
    }

    /// A checkpoint from its parts. With precision ``Precision/float32`` every parameter must
    /// be a `Float` value (it is stored as one).
    /// - Throws: ``CheckpointError`` on a wrong length, a non-finite value, or a value that
    ///   `F32` cannot hold exactly.
    public init(layout: ParameterLayout, parameters: [Double], precision: Precision, metadata: CheckpointMetadata = CheckpointMetadata()) throws {
        guard parameters.count == layout.parameterCount else {
            throw CheckpointError.parameterCount(expected: layout.parameterCount, actual: parameters.count)
        }
        for entry in layout.entries {
            for index in 0..<entry.count {
                let value = parameters[entry.offset + index]
                guard value.isFinite else { throw CheckpointError.nonFiniteParameter(tensor: entry.name, index: index) }
                if precision == .float32, Double(Float(value)) != value {
                    throw CheckpointError.notRepresentableInFloat32(tensor: entry.name, index: index)
                }
            }
        }
        self.layout = layout
        self.parameters = parameters
        self.precision = precision
        self.metadata = metadata
    }

    /// The parameters converted to `S` (exact unless a `F64` checkpoint is read as `Float`,
    /// which rounds to nearest).
    public func parameters<S: BLASScalar>(as _: S.Type) -> [S] {
        parameters.map { S($0) }
    }

    // MARK: Reading

    /// Reads, validates and decodes the checkpoint at `url` for `model`.
    /// - Throws: ``CheckpointError/unreadable(path:reason:)`` wrapping the container error
    ///   (corrupt header, truncated data, …) or ``CheckpointError/invalidFile(path:problem:)``
    ///   wrapping the errors of ``decode(_:model:)``; either names the file.
    public static func load(from url: URL, model: some MultiTaskModel) throws -> Checkpoint {
        try decode(readContainer(at: url), model: model, path: url.path)
    }

    /// ``decode(_:model:)`` with its errors naming the file (``CheckpointError/invalidFile(path:problem:)``).
    static func decode(_ file: SafetensorsFile, model: some MultiTaskModel, path: String) throws -> Checkpoint {
        do {
            return try decode(file, model: model)
        } catch let error as CheckpointError {
            throw CheckpointError.invalidFile(path: path, problem: error)
        }
    }

    /// The safetensors container at `url`, its errors wrapped as
    /// ``CheckpointError/unreadable(path:reason:)`` naming the file.
    static func readContainer(at url: URL) throws -> SafetensorsFile {
        do {
            return try SafetensorsFile.read(from: url)
        } catch SafetensorsError.io(_, let detail) {
            throw CheckpointError.unreadable(path: url.path, reason: detail)
        } catch let error as SafetensorsError {
            throw CheckpointError.unreadable(path: url.path, reason: error.description)
        }
    }

    /// Decodes a parsed safetensors file for `model`: the tensors must be exactly the model's
    /// (no missing, no extra tensor, each of the layout's shape), all of dtype `F32` or all of
    /// `F64`, every value finite; the known metadata keys must decode (see
    /// ``CheckpointMetadata``) and agree with the model's architecture and task count.
    /// - Throws: ``CheckpointError`` naming every missing, unexpected or misshapen tensor, or the
    ///   offending tensor, element or metadata key.
    public static func decode(_ file: SafetensorsFile, model: some MultiTaskModel) throws -> Checkpoint {
        let layout = model.layout
        let expected = Set(layout.entries.map(\.name))
        let missing = layout.entries.map(\.name).filter { file[$0] == nil }
        let unexpected = file.names.filter { !expected.contains($0) }
        let misshapen = layout.entries.compactMap { entry -> CheckpointError.ShapeMismatch? in
            guard let tensor = file[entry.name], tensor.shape != entry.shape else { return nil }
            return CheckpointError.ShapeMismatch(tensor: entry.name, expected: entry.shape, actual: tensor.shape)
        }
        guard missing.isEmpty, unexpected.isEmpty, misshapen.isEmpty else {
            throw CheckpointError.layoutMismatch(
                architecture: model.architecture, missing: missing, unexpected: unexpected, shapes: misshapen)
        }
        for entry in layout.entries {
            let dtype = file[entry.name]!.dtype
            guard dtype == .f32 || dtype == .f64 else {
                throw CheckpointError.unsupportedDType(tensor: entry.name, dtype: dtype.rawValue)
            }
        }
        let dtypes = Set(layout.entries.map { file[$0.name]!.dtype })
        guard dtypes.count == 1, let dtype = dtypes.first else {
            throw CheckpointError.mixedDTypes(layout.entries.map { "\($0.name): \(file[$0.name]!.dtype.rawValue)" })
        }
        var parameters: [Double] = []
        parameters.reserveCapacity(layout.parameterCount)
        for entry in layout.entries {
            let values = try file[entry.name]!.doubles()
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError.nonFiniteParameter(tensor: entry.name, index: index)
            }
            parameters.append(contentsOf: values)
        }
        let metadata = try CheckpointMetadata(decoding: file.metadata)
        if let architecture = metadata.architecture, architecture != model.architecture {
            throw CheckpointError.architectureMismatch(expected: model.architecture, found: architecture)
        }
        if let tasks = metadata.tasks, tasks.count != model.taskCount {
            throw CheckpointError.taskCountMismatch(expected: model.taskCount, found: tasks)
        }
        if let weights = metadata.weights, weights.count != model.taskCount {
            throw CheckpointError.invalidMetadata(
                key: "weights", reason: "\(weights.count) weights for a model with \(model.taskCount) tasks")
        }
        return try Checkpoint(
            layout: layout, parameters: parameters, precision: dtype == .f32 ? .float32 : .float64, metadata: metadata)
    }

    // MARK: Writing

    /// The safetensors file: one tensor per layout entry in ``precision``, and the encoded
    /// ``metadata`` as `__metadata__`.
    /// - Throws: the errors of `SafetensorsFile`'s initialisers (not expected for a valid layout).
    public func safetensorsFile() throws -> SafetensorsFile {
        let tensors = try layout.entries.map { entry -> SafetensorsTensor in
            let values = parameters[entry.offset..<(entry.offset + entry.count)]
            switch precision {
            case .float32: return try SafetensorsTensor(name: entry.name, shape: entry.shape, floats: values.map { Float($0) })
            case .float64: return try SafetensorsTensor(name: entry.name, shape: entry.shape, doubles: Array(values))
            }
        }
        return try SafetensorsFile(tensors: tensors, metadata: metadata.encoded())
    }

    /// Writes the checkpoint atomically (a temporary file renamed into place, see
    /// `SafetensorsFile.write(to:)`): a reader sees the old file or the whole new one.
    /// - Throws: ``CheckpointError/unwritable(path:reason:)``.
    public func write(to url: URL) throws {
        do {
            try safetensorsFile().write(to: url)
        } catch let error as SafetensorsError {
            throw CheckpointError.unwritable(path: url.path, reason: error.description)
        }
    }
}
