/// Errors of the Krylov solvers. Each case names the solver and the offending argument,
/// iteration or measured quantity, so that the message alone locates the problem.
///
/// The MINRES cases ``operatorNotSymmetric(discrepancy:tolerance:)``,
/// ``preconditionerNotSymmetric(discrepancy:tolerance:)`` and
/// ``preconditionerNotPositiveDefinite(iteration:value:)`` are SciPy's `istop = 7, 8, 9`
/// (scipy/sparse/linalg/_isolve/minres.py raises them as `ValueError`).
public enum KrylovError: Error, CustomStringConvertible {
    /// A vector or operator has the wrong dimension.
    case dimensionMismatch(solver: String, argument: String, expected: Int, actual: Int)
    /// A matrix given as an operator is not square.
    case notSquare(shape: [Int])
    /// An input vector or matrix holds NaN or ±∞ at `index`.
    case nonFiniteInput(solver: String, argument: String, index: Int)
    /// A scalar argument is out of its domain (negative tolerance, non-finite shift, …).
    case invalidArgument(solver: String, argument: String, reason: String)
    /// The operator (or preconditioner) threw while computing a product in `iteration`
    /// (iteration 0 is the set-up before the first step: `b − A x₀` or the symmetry check).
    case operatorFailed(solver: String, iteration: Int, underlying: any Error)
    /// The operator changed the length of its output vector.
    case operatorOutputResized(solver: String, expected: Int, actual: Int)
    /// The product computed in `iteration` held NaN or ±∞ at `index`, or (`index == nil`) its
    /// entries were finite but `quantity`, an inner product of them, overflowed.
    case nonFiniteOperatorOutput(solver: String, iteration: Int, index: Int?, quantity: String)
    /// SciPy's `check=True` test failed: with `y = M r₁`, `w = A y`, `r₂ = A w`,
    /// `|wᵀw − yᵀr₂| > (wᵀw + ε) ε^{1/3}`; `discrepancy` is `|wᵀw − yᵀr₂|` (SciPy `istop = 7`).
    case operatorNotSymmetric(discrepancy: Double, tolerance: Double)
    /// The same test for the preconditioner: `|yᵀy − r₁ᵀ(M y)|` (SciPy `istop = 8`).
    case preconditionerNotSymmetric(discrepancy: Double, tolerance: Double)
    /// `rᵀ M r < 0` in `iteration`, so `M` is not positive definite (SciPy `istop = 9`).
    case preconditionerNotPositiveDefinite(iteration: Int, value: Double)

    /// A message naming the solver, the argument or iteration, and the measured values.
    public var description: String {
        switch self {
        case .dimensionMismatch(let solver, let argument, let expected, let actual):
            return "\(solver): \(argument) has \(actual) entries, expected \(expected) (the operator's dimension)"
        case .notSquare(let shape):
            return "DenseMatrixOperator: expected a square matrix, got shape \(shape)"
        case .nonFiniteInput(let solver, let argument, let index):
            return "\(solver): \(argument) holds a non-finite value (NaN or ±∞) at index \(index)"
        case .invalidArgument(let solver, let argument, let reason):
            return "\(solver): invalid \(argument): \(reason)"
        case .operatorFailed(let solver, let iteration, let underlying):
            return "\(solver): the operator threw in iteration \(iteration): \(underlying)"
        case .operatorOutputResized(let solver, let expected, let actual):
            return "\(solver): the operator resized its output vector from \(expected) to \(actual) entries"
        case .nonFiniteOperatorOutput(let solver, let iteration, let index, let quantity):
            if let index {
                return "\(solver): the operator returned a non-finite value (NaN or ±∞) at index \(index) in iteration \(iteration)"
            }
            return "\(solver): \(quantity) overflowed in iteration \(iteration) (operator output too large)"
        case .operatorNotSymmetric(let discrepancy, let tolerance):
            return "MINRES: the operator is not symmetric: |wᵀw − yᵀ(A w)| = \(discrepancy) exceeds \(tolerance) (w = A y)"
        case .preconditionerNotSymmetric(let discrepancy, let tolerance):
            return "MINRES: the preconditioner is not symmetric: |yᵀy − r₁ᵀ(M y)| = \(discrepancy) exceeds \(tolerance) (y = M r₁)"
        case .preconditionerNotPositiveDefinite(let iteration, let value):
            return "MINRES: the preconditioner is not positive definite: rᵀ M r = \(value) < 0 in iteration \(iteration)"
        }
    }
}
