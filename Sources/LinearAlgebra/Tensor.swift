/// A dense, contiguous, row-major n-dimensional array of `Scalar`.
///
/// `Tensor` is a value type (copy-on-write storage). Its shape is checked by every
/// operation; shape errors are thrown as ``TensorError``, never trapped.
public struct Tensor<Scalar: BLASScalar>: Equatable, Sendable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    public internal(set) var scalars: [Scalar]

    /// Calls `body` with mutable access to the elements (row-major). The count cannot change.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Calls `body` with read access to the elements (row-major).
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0) }
    }

    /// Creates a tensor from its scalars in row-major order.
    /// - Throws: ``TensorError/scalarCountMismatch(shape:expected:actual:)`` if the count is wrong,
    ///   ``TensorError/invalidShape(operation:shape:reason:)`` for a negative extent.
    public init(shape: [Int], scalars: [Scalar]) throws {
        try Self.validate(shape: shape)
        let expected = shape.reduce(1, *)
        guard expected == scalars.count else {
            throw TensorError.scalarCountMismatch(shape: shape, expected: expected, actual: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor without checking; `scalars.count` must equal the product of `shape`.
    public init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        assert(shape.reduce(1, *) == scalars.count)
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Scalar) throws {
        try Self.validate(shape: shape)
        self.shape = shape
        self.scalars = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of zeros of the given shape.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, repeating: 0) }

    /// A rank-0 tensor holding one scalar.
    public init(scalar: Scalar) {
        self.shape = []
        self.scalars = [scalar]
    }

    /// A rank-1 tensor holding `scalars`.
    public init(vector scalars: [Scalar]) {
        self.shape = [scalars.count]
        self.scalars = scalars
    }

    private static func validate(shape: [Int]) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError.invalidShape(operation: "Tensor", shape: shape, reason: "negative extent \(bad)")
        }
    }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var count: Int { scalars.count }

    /// The same scalars viewed with another shape of equal element count.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Self.validate(shape: newShape)
        guard newShape.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(operation: "reshape", shapes: [shape, newShape])
        }
        return Tensor(uncheckedShape: newShape, scalars: scalars)
    }

    /// The element at a multi-index (row-major).
    /// - Throws: ``TensorError`` if the index has the wrong rank or is out of bounds.
    public func element(at index: [Int]) throws -> Scalar {
        guard index.count == rank else {
            throw TensorError.invalidArgument(
                operation: "element(at:)", reason: "index rank \(index.count) for tensor of rank \(rank)")
        }
        var offset = 0
        for (i, extent) in zip(index, shape) {
            guard i >= 0 && i < extent else { throw TensorError.outOfBounds(operation: "element(at:)", index: i, count: extent) }
            offset = offset * extent + i
        }
        return scalars[offset]
    }

    /// Whether every element is finite (no NaN or infinity).
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }

    /// The index of the first non-finite element, if any.
    public var firstNonFiniteIndex: Int? { scalars.firstIndex { !$0.isFinite } }

    /// The same values converted to another scalar type.
    public func converted<Other: BLASScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(uncheckedShape: shape, scalars: scalars.map { Other($0) })
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(Scalar.self)>(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
