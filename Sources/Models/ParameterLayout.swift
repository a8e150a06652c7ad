import Autodiff
import LinearAlgebra

/// The flat parameter-vector view of a model: an ordered list of named tensors packed one
/// after another (row-major) into `x ∈ Rⁿ`, the space MINRES and the expansion work in.
public struct ParameterLayout: Sendable, Equatable {
    /// One named parameter tensor and its place in the flat vector.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name (PyTorch `state_dict` key, e.g. `conv1.weight`).
        public let name: String
        /// The tensor's shape (PyTorch layout).
        public let shape: [Int]
        /// The first index of the tensor in the flat vector.
        public let offset: Int
        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The entries in packing order.
    public let entries: [Entry]
    /// `n`, the total number of parameters.
    public let parameterCount: Int

    /// A layout packing `tensors` in the given order.
    public init(_ tensors: [(name: String, shape: [Int])]) {
        var offset = 0
        var entries: [Entry] = []
        for (name, shape) in tensors {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        self.parameterCount = offset
    }

    /// The entry named `name`.
    /// - Throws: ``ModelError/unknownParameter(_:)``.
    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else { throw ModelError.unknownParameter(name) }
        return entry
    }

    /// Packs named tensors into a flat vector.
    /// - Throws: ``ModelError`` if a tensor is missing, unexpected or of the wrong shape.
    public func pack<S: BLASScalar>(_ tensors: [String: Tensor<S>]) throws -> [S] {
        if let extra = tensors.keys.sorted().first(where: { name in !entries.contains { $0.name == name } }) {
            throw ModelError.unknownParameter(extra)
        }
        var flat = [S]()
        flat.reserveCapacity(parameterCount)
        for entry in entries {
            guard let tensor = tensors[entry.name] else { throw ModelError.missingParameter(entry.name) }
            guard tensor.shape == entry.shape else {
                throw ModelError.parameterShape(name: entry.name, expected: entry.shape, actual: tensor.shape)
            }
            flat.append(contentsOf: tensor.scalars)
        }
        return flat
    }

    /// Unpacks a flat vector into named tensors.
    /// - Throws: ``ModelError/parameterCount(expected:actual:)`` on a wrong length.
    public func unpack<S: BLASScalar>(_ flat: [S]) throws -> [String: Tensor<S>] {
        guard flat.count == parameterCount else {
            throw ModelError.parameterCount(expected: parameterCount, actual: flat.count)
        }
        var result: [String: Tensor<S>] = [:]
        for entry in entries {
            result[entry.name] = try Tensor(shape: entry.shape, scalars: Array(flat[entry.offset ..< entry.offset + entry.count]))
        }
        return result
    }

    /// Slices a flat parameter variable into named parameter variables (differentiably).
    public func variables<S>(_ x: Variable<S>) throws -> [String: Variable<S>] {
        guard x.value.count == parameterCount else {
            throw ModelError.parameterCount(expected: parameterCount, actual: x.value.count)
        }
        var result: [String: Variable<S>] = [:]
        for entry in entries { result[entry.name] = try slice(x, offset: entry.offset, shape: entry.shape) }
        return result
    }
}

extension ParameterLayout {
    /// PyTorch's default initialisation of `Conv2d` and `Linear` layers (`kaiming_uniform_(a=√5)`
    /// for weights, uniform in `±1/√fan_in`; biases uniform in `±1/√fan_in` of their layer's
    /// weight): every entry of rank ≥ 2 sets `fan_in` = product of its shape without the first
    /// dimension, and each value is `(2u − 1)/√fan_in` with `u = nextUnit()` in `[0, 1)`.
    public func pytorchDefaultParameters<S: BLASScalar>(_ nextUnit: () -> Double) -> [S] {
        var flat = [S]()
        flat.reserveCapacity(parameterCount)
        var fanIn = 1
        for entry in entries {
            if entry.shape.count >= 2 { fanIn = entry.shape.dropFirst().reduce(1, *) }
            let bound = 1 / Double(fanIn).squareRoot()
            for _ in 0..<entry.count { flat.append(S((2 * nextUnit() - 1) * bound)) }
        }
        return flat
    }
}

/// Errors about model parameters, inputs and checkpoints.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unknownParameter(String)
    case missingParameter(String)
    case parameterShape(name: String, expected: [Int], actual: [Int])
    case parameterCount(expected: Int, actual: Int)
    case inputShape(expected: [Int], actual: [Int])
    case labelCount(task: Int, expected: Int, actual: Int)
    case taskCount(expected: Int, actual: Int)
    case notPreparable(String)

    public var description: String {
        switch self {
        case .unknownParameter(let name): return "unknown parameter '\(name)'"
        case .missingParameter(let name): return "missing parameter '\(name)'"
        case .parameterShape(let name, let expected, let actual):
            return "parameter '\(name)' has shape \(actual), expected \(expected)"
        case .parameterCount(let expected, let actual):
            return "parameter vector has \(actual) values, the model has \(expected)"
        case .inputShape(let expected, let actual):
            return "input batch has shape \(actual), expected [N] + \(expected)"
        case .labelCount(let task, let expected, let actual):
            return "task \(task) has \(actual) labels for \(expected) images"
        case .notPreparable(let what):
            return "\(what) cannot prepare points for Hessian-vector products"
        case .taskCount(let expected, let actual):
            return "got labels for \(actual) tasks, the model has \(expected)"
        }
    }
}
