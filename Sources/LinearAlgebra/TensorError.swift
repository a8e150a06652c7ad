/// Errors thrown by tensor operations on bad input. Every case names the operation and
/// the offending shapes or values, so that the message alone locates the problem.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands have incompatible shapes for `operation`.
    case shapeMismatch(operation: String, shapes: [[Int]])
    /// A shape is invalid for `operation` (negative extent, wrong rank, …).
    case invalidShape(operation: String, shape: [Int], reason: String)
    /// The number of scalars does not match the product of the shape.
    case scalarCountMismatch(shape: [Int], expected: Int, actual: Int)
    /// An index or range lies outside the tensor.
    case outOfBounds(operation: String, index: Int, count: Int)
    /// An argument is invalid for a reason stated in `reason`.
    case invalidArgument(operation: String, reason: String)
    /// A LAPACK routine reported failure (`info` as returned by LAPACKE).
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let operation, let shapes):
            return "\(operation): incompatible shapes \(shapes.map { "\($0)" }.joined(separator: " and "))"
        case .invalidShape(let operation, let shape, let reason):
            return "\(operation): invalid shape \(shape): \(reason)"
        case .scalarCountMismatch(let shape, let expected, let actual):
            return "tensor of shape \(shape) needs \(expected) scalars, got \(actual)"
        case .outOfBounds(let operation, let index, let count):
            return "\(operation): index \(index) out of bounds for extent \(count)"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        case .lapackFailure(let routine, let info):
            return "LAPACK \(routine) failed with info = \(info)"
        }
    }
}
