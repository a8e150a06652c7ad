import Autodiff
import LinearAlgebra
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64).
struct TestRandom: RandomNumberGenerator {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(state: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func uniform(_ count: Int, in range: ClosedRange<Double> = -1...1) -> [Double] {
        (0..<count).map { _ in Double.random(in: range, using: &self) }
    }
}

func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
func difference(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 - $1 } }
func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func relativeError(_ a: [Double], _ reference: [Double]) -> Double {
    norm(difference(a, reference)) / max(norm(reference), 1e-300)
}

/// Central finite differences of the gradient of a scalar objective (gradcheck).
func finiteDifferenceGradient<O: VectorObjective>(_ f: O, at x: [Double], step h: Double = 1e-6) throws -> [Double]
where O.Scalar == Double {
    try (0..<x.count).map { i in
        var plus = x, minus = x
        plus[i] += h
        minus[i] -= h
        return (try f.values(at: plus)[0] - f.values(at: minus)[0]) / (2 * h)
    }
}

/// Central finite differences of the gradient along v: (∇f(x + hv) − ∇f(x − hv)) / 2h (gradgradcheck).
func finiteDifferenceHVP<O: VectorObjective>(_ f: O, at x: [Double], along v: [Double], step h: Double = 1e-5) throws -> [Double]
where O.Scalar == Double {
    let plus = zip(x, v).map { $0 + h * $1 }, minus = zip(x, v).map { $0 - h * $1 }
    let gPlus = try f.valuesAndJacobian(at: plus).jacobian[0]
    let gMinus = try f.valuesAndJacobian(at: minus).jacobian[0]
    return zip(gPlus, gMinus).map { ($0 - $1) / (2 * h) }
}

/// Checks the gradient (against central differences, relative error ≤ 1e-6) and the
/// Hessian-vector product (against differences of gradients, ≤ 1e-5) of
/// `x ↦ Σ r ⊙ sin(op(parts of x))` for random `x`, `r` and `v`. The outer `sin` makes the
/// adjoint tangent that flows back into `op` non-zero, so both halves of each pullback's
/// tangent rule are exercised.
func checkOperation(
    _ name: String, inputShapes: [[Int]], domain: ClosedRange<Double> = -1...1, seed: UInt64 = 1,
    file: StaticString = #filePath, line: UInt = #line,
    _ op: @escaping ([Variable<Double>]) throws -> Variable<Double>
) throws {
    let counts = inputShapes.map { $0.reduce(1, *) }
    let n = counts.reduce(0, +)
    let objective = ClosureObjective<Double>(parameterCount: n, objectiveCount: 1) { x in
        var parts: [Variable<Double>] = []
        var offset = 0
        for (shape, count) in zip(inputShapes, counts) {
            parts.append(try slice(x, offset: offset, shape: shape))
            offset += count
        }
        let y = try op(parts)
        var weightsGenerator = TestRandom(seed: 977)
        let r = x.tape.constant(try Tensor(shape: y.shape, scalars: weightsGenerator.uniform(y.value.count)))
        return sum(try sin(y) * r)
    }
    var random = TestRandom(seed: seed)
    let x = random.uniform(n, in: domain)
    let v = random.uniform(n)
    let gradient = try objective.valuesAndJacobian(at: x).jacobian[0]
    let numericGradient = try finiteDifferenceGradient(objective, at: x)
    XCTAssertLessThanOrEqual(relativeError(gradient, numericGradient), 1e-6, "\(name): gradient", file: file, line: line)
    let hvp = try objective.hessianVectorProduct(at: x, along: v, weights: [1])
    XCTAssertLessThanOrEqual(relativeError(hvp.weightedGradient, gradient), 1e-12, "\(name): gradient from HVP sweep", file: file, line: line)
    let numericHVP = try finiteDifferenceHVP(objective, at: x, along: v)
    XCTAssertLessThanOrEqual(relativeError(hvp.product, numericHVP), 1e-5, "\(name): Hessian-vector product", file: file, line: line)
    XCTAssertGreaterThan(norm(numericHVP), 1e-8, "\(name): test has a non-trivial Hessian", file: file, line: line)
}
