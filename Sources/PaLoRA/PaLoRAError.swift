/// Errors of the PaLoRA module: bad options, wrong shapes or names, non-finite values.
public enum PaLoRAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An option is out of range.
    case invalidConfiguration(String)
    /// A vector argument of the wrong length.
    case dimensionMismatch(argument: String, expected: Int, actual: Int)
    /// A NaN or infinity where a finite value is required.
    case nonFinite(String)
    /// A PaLoRA file whose tensors or metadata do not match what it declares.
    case invalidFile(String)

    /// A sentence naming the problem.
    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): return "invalid PaLoRA configuration: \(reason)"
        case .dimensionMismatch(let argument, let expected, let actual):
            return "\(argument) has \(actual) values, expected \(expected)"
        case .nonFinite(let what): return "non-finite value: \(what)"
        case .invalidFile(let reason): return "invalid PaLoRA file: \(reason)"
        }
    }
}
