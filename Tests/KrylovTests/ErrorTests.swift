import Krylov
import LinearAlgebra
import XCTest

final class ErrorTests: XCTestCase {
    private let diagonal: [Double] = [4, -1, 2, 3, -5, 1.5, 2.5, -0.5]

    /// An operator that throws in its third product: MINRES wraps the error with the iteration.
    func testThrowingOperatorIsReportedWithIteration() {
        let d = diagonal
        final class Counter: @unchecked Sendable { var calls = 0 }
        let counter = Counter()
        let op = ClosureOperator(dimension: d.count) { x, y in
            counter.calls += 1
            if counter.calls == 3 { throw OperatorFailure() }
            for i in 0..<d.count { y[i] = d[i] * x[i] }
        }
        XCTAssertThrowsError(try minres(op, [Double](repeating: 1, count: d.count))) { error in
            guard case KrylovError.operatorFailed(let solver, let iteration, let underlying) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(solver, "MINRES")
            XCTAssertEqual(iteration, 3)
            XCTAssertTrue(underlying is OperatorFailure)
            XCTAssertTrue("\(error)".contains("synthetic HVP failure"))
            XCTAssertTrue("\(error)".contains("iteration 3"))
        }
    }

    /// An operator that returns NaN (or ∞) at index 5 in its second product.
    func testNonFiniteOperatorOutputIsReportedWithIndex() {
        let d = diagonal
        for bad in [Double.nan, Double.infinity] {
            final class Counter: @unchecked Sendable { var calls = 0 }
            let counter = Counter()
            let op = ClosureOperator(dimension: d.count) { x, y in
                counter.calls += 1
                for i in 0..<d.count { y[i] = d[i] * x[i] }
                if counter.calls == 2 { y[5] = bad }
            }
            for run in [0, 1] {
                counter.calls = 0
                let b = [Double](repeating: 1, count: d.count)
                XCTAssertThrowsError(try run == 0 ? minres(op, b).iterations : conjugateGradient(op, b).iterations) { error in
                    guard case KrylovError.nonFiniteOperatorOutput(_, let iteration, let index, _) = error else {
                        return XCTFail("unexpected error \(error)")
                    }
                    XCTAssertEqual(iteration, 2)
                    XCTAssertEqual(index, 5)
                    XCTAssertTrue("\(error)".contains("index 5"))
                }
            }
        }
    }

    func testResizedOutputIsRejected() {
        let op = ClosureOperator(dimension: 4) { x, y in y = x + [0] }
        XCTAssertThrowsError(try minres(op, [1, 2, 3, 4])) { error in
            guard case KrylovError.operatorOutputResized(_, 4, 5) = error else { return XCTFail("unexpected error \(error)") }
        }
    }

    func testBadInputIsRejected() throws {
        let a = try DenseMatrixOperator(Tensor(shape: [2, 2], scalars: [1, 0, 0, 2]))
        XCTAssertThrowsError(try minres(a, [1, 2, 3])) { error in
            guard case KrylovError.dimensionMismatch(_, "b", 2, 3) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try minres(a, [1, 2], start: [0])) { error in
            guard case KrylovError.dimensionMismatch(_, "start x0", 2, 1) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try minres(a, [1, .nan])) { error in
            guard case KrylovError.nonFiniteInput(_, "b", 1) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try minres(a, [1, 2], relativeTolerance: -1)) { error in
            guard case KrylovError.invalidArgument(_, "relativeTolerance", _) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try minres(a, [1, 2], shift: .infinity)) { error in
            guard case KrylovError.invalidArgument(_, "shift", _) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try minres(a, [1, 2], maxIterations: -1)) { error in
            guard case KrylovError.invalidArgument(_, "maxIterations", _) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try conjugateGradient(a, [1])) { error in
            guard case KrylovError.dimensionMismatch(_, "b", 2, 1) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try DenseMatrixOperator(Tensor(shape: [2, 3], repeating: 1))) { error in
            guard case KrylovError.notSquare([2, 3]) = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try DenseMatrixOperator(Tensor(shape: [2, 2], scalars: [1, .infinity, 0, 1]))) { error in
            guard case KrylovError.nonFiniteInput(_, "matrix", 1) = error else { return XCTFail("unexpected error \(error)") }
        }
        var y = [0.0, 0.0, 0.0]
        XCTAssertThrowsError(try a.apply([1, 2], into: &y))
    }
}
