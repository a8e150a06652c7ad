/// Errors thrown by the multi-objective routines on bad input. Every case names the operation
/// and the offending values, so that the message alone locates the problem.
public enum MultiObjectiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A point (or reference point, or vector) has `actual` components where `expected` were needed.
    /// `index` is the position of the offending point in its input, if it came from a list.
    case dimensionMismatch(operation: String, expected: Int, actual: Int, index: Int?)
    /// A point contains NaN or an infinity. `index` is the position of the point in its input.
    case nonFiniteValue(operation: String, index: Int?)
    /// Points must have at least one objective.
    case noObjectives(operation: String)
    /// An input set that must not be empty is empty.
    case emptyInput(operation: String)
    /// An argument is invalid for a reason stated in `reason`.
    case invalidArgument(operation: String, reason: String)

    /// A one-line message naming the operation and the offending input.
    public var description: String {
        switch self {
        case .dimensionMismatch(let operation, let expected, let actual, let index):
            let location = index.map { " (item \($0))" } ?? ""
            return "\(operation): expected \(expected) components, got \(actual)\(location)"
        case .nonFiniteValue(let operation, let index):
            let location = index.map { " (item \($0))" } ?? ""
            return "\(operation): non-finite value (NaN or infinity)\(location)"
        case .noObjectives(let operation):
            return "\(operation): points must have at least one objective"
        case .emptyInput(let operation):
            return "\(operation): the input set is empty"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        }
    }
}

/// Checks that every point has `dimension` finite components.
func validate(_ points: [[Double]], dimension: Int, operation: String) throws {
    for (index, point) in points.enumerated() {
        try validate(point, dimension: dimension, operation: operation, index: index)
    }
}

/// Checks that `point` has `dimension` finite components.
func validate(_ point: [Double], dimension: Int, operation: String, index: Int? = nil) throws {
    guard point.count == dimension else {
        throw MultiObjectiveError.dimensionMismatch(
            operation: operation, expected: dimension, actual: point.count, index: index)
    }
    guard point.allSatisfy({ $0.isFinite }) else {
        throw MultiObjectiveError.nonFiniteValue(operation: operation, index: index)
    }
}

/// The common dimension of a non-empty list of points (that of the first point), validated.
func commonDimension(_ points: [[Double]], operation: String) throws -> Int {
    guard let first = points.first else { throw MultiObjectiveError.emptyInput(operation: operation) }
    guard !first.isEmpty else { throw MultiObjectiveError.noObjectives(operation: operation) }
    try validate(points, dimension: first.count, operation: operation)
    return first.count
}
