import Foundation

/// The `__metadata__` of a ParetoKit checkpoint. Safetensors metadata values are strings;
/// structured values are JSON text in those strings:
///
/// | key            | value                                   | example                          |
/// |----------------|-----------------------------------------|----------------------------------|
/// | `format`       | plain string (PyTorch writes `"pt"`)     | `pt`                             |
/// | `architecture` | plain string                            | `MultiLeNet`                     |
/// | `method`       | plain string                            | `ls`                             |
/// | `tasks`        | JSON array of strings                   | `["left digit","right digit"]`   |
/// | `weights`      | JSON array of numbers                   | `[0.5,0.5]`                      |
/// | `seed`         | decimal unsigned 64-bit integer         | `1`                              |
/// | `metrics`      | JSON object (``CheckpointMetrics``)      | `{"test_accuracy":[0.9,0.88],…}` |
///
/// Every key is optional (a PyTorch `save_file` checkpoint has only `format`); other keys are
/// kept verbatim in ``other``.
public struct CheckpointMetadata: Sendable, Equatable {
    /// Container convention; `"pt"` (PyTorch's `save_file` writes it) by default.
    public var format: String?
    /// The model architecture (``MultiTaskModel/architecture``).
    public var architecture: String?
    /// Names of the tasks, one per head.
    public var tasks: [String]?
    /// The training method (`ls`, `mgda`, `rlw`, `chebyshev`, …).
    public var method: String?
    /// The method's task weights (for example the linear-scalarization weights).
    public var weights: [Double]?
    /// The random seed of the run.
    public var seed: UInt64?
    /// Final metrics.
    public var metrics: CheckpointMetrics?
    /// Every other key, verbatim.
    public var other: [String: String]

    /// The metadata's known keys.
    public static let knownKeys: Set<String> = ["format", "architecture", "tasks", "method", "weights", "seed", "metrics"]

    /// Metadata from its fields.
    public init(
        format: String? = "pt", architecture: String? = nil, tasks: [String]? = nil, method: String? = nil,
        weights: [Double]? = nil, seed: UInt64? = nil, metrics: CheckpointMetrics? = nil, other: [String: String] = [:]
    ) {
        self.format = format
        self.architecture = architecture
        self.tasks = tasks
        self.method = method
        self.weights = weights
        self.seed = seed
        self.metrics = metrics
        self.other = other
    }

    /// Decodes the known keys of a safetensors metadata map (see the type's table).
    /// - Throws: ``CheckpointError/invalidMetadata(key:reason:)`` naming a key whose value does
    ///   not decode.
    public init(decoding map: [String: String]) throws {
        self.init(format: map["format"], architecture: map["architecture"], method: map["method"])
        tasks = try map["tasks"].map { try Self.decodeJSON([String].self, $0, key: "tasks") }
        weights = try map["weights"].map { text in
            let values = try Self.decodeJSON([Double].self, text, key: "weights")
            guard values.allSatisfy({ $0.isFinite }) else {
                throw CheckpointError.invalidMetadata(key: "weights", reason: "non-finite weight in \(text)")
            }
            return values
        }
        seed = try map["seed"].map { text in
            guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw CheckpointError.invalidMetadata(key: "seed", reason: "'\(text)' is not an unsigned 64-bit integer")
            }
            return value
        }
        metrics = try map["metrics"].map { try Self.decodeJSON(CheckpointMetrics.self, $0, key: "metrics") }
        other = map.filter { !Self.knownKeys.contains($0.key) }
    }

    /// The safetensors metadata map (absent fields are omitted).
    public func encoded() throws -> [String: String] {
        var map = other
        map["format"] = format
        map["architecture"] = architecture
        map["method"] = method
        map["tasks"] = try tasks.map(Self.encodeJSON)
        map["weights"] = try weights.map(Self.encodeJSON)
        map["seed"] = seed.map { String($0) }
        map["metrics"] = try metrics.map(Self.encodeJSON)
        return map
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, key: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw CheckpointError.invalidMetadata(key: key, reason: "'\(text)' is not valid JSON of the expected form (\(error))")
        }
    }

    private static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Final metrics of a training run, stored as the JSON object under the `metrics` key.
/// JSON keys are snake_case (`test_loss`, …); all fields are optional.
public struct CheckpointMetrics: Codable, Sendable, Equatable {
    /// Mean cross-entropy per task on the test split.
    public var testLoss: [Double]?
    /// Top-1 accuracy per task on the test split.
    public var testAccuracy: [Double]?
    /// Mean per-task training loss over the last epoch's batches.
    public var trainLoss: [Double]?
    /// Number of test images.
    public var testImages: Int?
    /// Number of training images.
    public var trainImages: Int?
    /// Number of epochs trained.
    public var epochs: Int?

    /// Metrics from their fields.
    public init(
        testLoss: [Double]? = nil, testAccuracy: [Double]? = nil, trainLoss: [Double]? = nil, testImages: Int? = nil,
        trainImages: Int? = nil, epochs: Int? = nil
    ) {
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.trainLoss = trainLoss
        self.testImages = testImages
        self.trainImages = trainImages
        self.epochs = epochs
    }

    enum CodingKeys: String, CodingKey {
        case testLoss = "test_loss", testAccuracy = "test_accuracy", trainLoss = "train_loss"
        case testImages = "test_images", trainImages = "train_images", epochs
    }
}

/// Errors of reading, validating and writing checkpoints. Each names the file, tensor,
/// element or metadata key at fault.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor whose shape differs from the architecture's.
    public struct ShapeMismatch: Equatable, Sendable {
        /// Tensor name.
        public let tensor: String
        /// The architecture's shape.
        public let expected: [Int]
        /// The file's shape.
        public let actual: [Int]

        /// A mismatch record.
        public init(tensor: String, expected: [Int], actual: [Int]) {
            self.tensor = tensor
            self.expected = expected
            self.actual = actual
        }
    }

    /// The file cannot be read or is not a valid safetensors container.
    case unreadable(path: String, reason: String)
    /// The file cannot be written.
    case unwritable(path: String, reason: String)
    /// The tensors do not match the architecture's parameter layout.
    case layoutMismatch(architecture: String, missing: [String], unexpected: [String], shapes: [ShapeMismatch])
    /// A parameter tensor has a dtype other than `F32` or `F64`.
    case unsupportedDType(tensor: String, dtype: String)
    /// The parameter tensors do not share one dtype.
    case mixedDTypes([String])
    /// A parameter is NaN or infinite.
    case nonFiniteParameter(tensor: String, index: Int)
    /// A parameter of a `float32` checkpoint is not a `Float` value.
    case notRepresentableInFloat32(tensor: String, index: Int)
    /// A flat parameter vector of the wrong length.
    case parameterCount(expected: Int, actual: Int)
    /// A metadata value does not decode.
    case invalidMetadata(key: String, reason: String)
    /// The metadata names another architecture.
    case architectureMismatch(expected: String, found: String)
    /// The metadata lists a different number of tasks.
    case taskCountMismatch(expected: Int, found: [String])
    /// The file at `path` is a valid container but not a valid checkpoint: `problem` says why.
    indirect case invalidFile(path: String, problem: CheckpointError)

    /// The error without the file it was found in (``invalidFile(path:problem:)``'s problem).
    public var underlying: CheckpointError {
        if case .invalidFile(_, let problem) = self { return problem.underlying }
        return self
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): not a readable checkpoint: \(reason)"
        case .unwritable(let path, let reason):
            return "\(path): cannot write checkpoint: \(reason)"
        case .layoutMismatch(let architecture, let missing, let unexpected, let shapes):
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing tensors \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { problems.append("unexpected tensors \(unexpected.joined(separator: ", "))") }
            for shape in shapes {
                problems.append("tensor \(shape.tensor) has shape \(shape.actual), \(architecture) needs \(shape.expected)")
            }
            return "checkpoint does not match \(architecture): \(problems.joined(separator: "; "))"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor \(tensor) has dtype \(dtype); checkpoints must be F32 or F64"
        case .mixedDTypes(let list):
            return "parameter tensors mix dtypes (\(list.joined(separator: ", "))); use one of F32 or F64 throughout"
        case .nonFiniteParameter(let tensor, let index):
            return "tensor \(tensor) holds a non-finite value (NaN or infinity) at element \(index)"
        case .notRepresentableInFloat32(let tensor, let index):
            return "tensor \(tensor), element \(index): value is not exactly representable as Float32"
        case .parameterCount(let expected, let actual):
            return "parameter vector has \(actual) values, the architecture has \(expected)"
        case .invalidMetadata(let key, let reason):
            return "metadata key '\(key)': \(reason)"
        case .architectureMismatch(let expected, let found):
            return "checkpoint is for architecture \(found), not \(expected)"
        case .taskCountMismatch(let expected, let found):
            return "checkpoint lists \(found.count) tasks \(found), the model has \(expected)"
        case .invalidFile(let path, let problem):
            return "\(path): \(problem.description)"
        }
    }
}
