import Krylov
import LinearAlgebra
import XCTest

final class MINRESTests: XCTestCase {
    /// Random symmetric indefinite matrices (Gaussian entries) of several sizes: the converged
    /// MINRES solution agrees with LAPACK's Bunch–Kaufman solve.
    func testMatchesLAPACKOnRandomSymmetricIndefiniteSystems() throws {
        var rng = SplitMix64(seed: 1)
        for n in [10, 17, 31, 44, 60] {
            let a = Dense.randomSymmetric(n, &rng)
            let eigenvalues = try LAPACK.symmetricEigen(a).values
            XCTAssertLessThan(eigenvalues.first!, 0, "indefinite")
            XCTAssertGreaterThan(eigenvalues.last!, 0, "indefinite")
            let b = rng.normalVector(n)
            let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: 1e-13)
            XCTAssertEqual(result.stopReason, .converged, "n = \(n)")
            let reference = try lapackSolution(a, b)
            XCTAssertLessThan(Dense.relativeError(result.solution, reference), 1e-8, "n = \(n)")
            assertMINRESHistory(result, a, b)
            XCTAssertEqual(result.solutionNorm, Dense.norm(result.solution), accuracy: 1e-12 * Dense.norm(result.solution))
            // ‖T_k‖_F ≤ √k ‖A‖₂ and the condition estimate is a lower bound on cond(A).
            let spectralNorm = max(abs(eigenvalues.first!), abs(eigenvalues.last!))
            let smallest = eigenvalues.map { abs($0) }.min()!
            XCTAssertLessThanOrEqual(result.operatorNormEstimate, (Double(result.iterations)).squareRoot() * spectralNorm * (1 + 1e-10))
            XCTAssertLessThanOrEqual(result.conditionEstimate, spectralNorm / smallest * (1 + 1e-8))
        }
    }

    /// Controlled spectra with both signs, and a start x₀ ≠ 0.
    func testMatchesLAPACKWithStartVector() throws {
        var rng = SplitMix64(seed: 2)
        for n in [12, 40] {
            let q = try Dense.randomOrthogonal(n, &rng)
            let lambda = (0..<n).map { j in (j % 2 == 0 ? 1.0 : -1.0) * rng.uniform(0.1, 10) }
            let a = Dense.withSpectrum(q, lambda)
            let b = rng.normalVector(n)
            let x0 = rng.normalVector(n)
            let result = try minres(DenseMatrixOperator(a), b, start: x0, relativeTolerance: 1e-13)
            XCTAssertEqual(result.stopReason, .converged)
            XCTAssertLessThan(Dense.relativeError(result.solution, try lapackSolution(a, b)), 1e-9)
            assertMINRESHistory(result, a, b, start: x0)
        }
    }

    /// `(A − σI) x = b` with σ = ±0.3 matches LAPACK on the explicitly shifted matrix, also with
    /// a start vector (whose residual must include the shift).
    func testShiftedSystemsMatchLAPACK() throws {
        var rng = SplitMix64(seed: 3)
        for n in [15, 50] {
            let a = Dense.randomSymmetric(n, &rng)
            let b = rng.normalVector(n)
            for shift in [0.3, -0.3] {
                for x0 in [nil, rng.normalVector(n)] {
                    let result = try minres(DenseMatrixOperator(a), b, start: x0, shift: shift, relativeTolerance: 1e-13)
                    XCTAssertEqual(result.stopReason, .converged)
                    let reference = try lapackSolution(a, b, shift: shift)
                    XCTAssertLessThan(Dense.relativeError(result.solution, reference), 1e-8, "n = \(n), shift = \(shift)")
                    assertMINRESHistory(result, a, b, start: x0, shift: shift)
                }
            }
        }
    }

    /// Damping δ as in (H + δI) v = g is shift = −δ.
    func testPositiveDampingIsNegativeShift() throws {
        var rng = SplitMix64(seed: 4)
        let n = 20
        let a = Dense.randomSymmetric(n, &rng)
        let g = rng.normalVector(n)
        let damped = Dense.shifted(a, by: -0.1)
        let result = try minres(DenseMatrixOperator(a), g, shift: -0.1, relativeTolerance: 1e-13)
        let residual = Dense.subtract(g, Dense.multiply(damped, result.solution))
        XCTAssertLessThan(Dense.norm(residual), 1e-9 * Dense.norm(g))
    }

    /// Singular consistent systems A = Q diag(λ) Qᵀ with zero eigenvalues and b ∈ range(A):
    /// from x₀ = 0 the iterates stay in range(A), so MINRES returns the minimum-norm solution.
    func testSingularConsistentSystemGivesMinimumNormSolution() throws {
        var rng = SplitMix64(seed: 5)
        for (n, nullity) in [(20, 3), (45, 7)] {
            let q = try Dense.randomOrthogonal(n, &rng)
            var lambda = (0..<n).map { j in (j % 3 == 0 ? -1.0 : 1.0) * rng.uniform(0.2, 5) }
            for j in 0..<nullity { lambda[j] = 0 }
            let a = Dense.withSpectrum(q, lambda)
            let b = Dense.multiply(a, rng.normalVector(n))
            let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: 1e-13)
            XCTAssertEqual(result.stopReason, .converged)
            XCTAssertLessThan(Dense.residualNorm(a, result.solution, b), 1e-10 * Dense.norm(b))
            let minimumNorm = try LAPACK.leastSquares(a, b, rcond: 1e-10)
            XCTAssertEqual(minimumNorm.rank, n - nullity)
            XCTAssertLessThan(Dense.relativeError(result.solution, minimumNorm.solution), 1e-8)
            for j in 0..<nullity {
                XCTAssertLessThan(abs(Dense.dot(Dense.column(q, j), result.solution)), 1e-9 * Dense.norm(result.solution))
            }
            assertMINRESHistory(result, a, b)
        }
    }

    /// Singular inconsistent systems (b has a null-space part): MINRES stops with the
    /// least-squares test, `(A − σI) r ≈ 0`, and the range(A) part of x is the minimum-norm
    /// least-squares solution. The null(A) part of x is a multiple of the null-space part of b
    /// (x_k = p(A) b puts p(0) b_N there), so x is *not* the minimum-norm LS solution in general.
    func testSingularInconsistentSystemStopsAtLeastSquaresSolution() throws {
        var rng = SplitMix64(seed: 6)
        for (n, nullity) in [(24, 2), (52, 5)] {
            let q = try Dense.randomOrthogonal(n, &rng)
            var lambda = (0..<n).map { j in (j % 2 == 0 ? -1.0 : 1.0) * rng.uniform(0.3, 4) }
            for j in 0..<nullity { lambda[j] = 0 }
            let a = Dense.withSpectrum(q, lambda)
            var b = Dense.multiply(a, rng.normalVector(n))
            var nullPartOfB = [Double](repeating: 0, count: n)
            for j in 0..<nullity {
                nullPartOfB = Dense.add(nullPartOfB, Dense.scaled(Dense.column(q, j), rng.normal()))
            }
            b = Dense.add(b, nullPartOfB)
            let tolerance = 1e-8
            let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: tolerance)
            XCTAssertEqual(result.stopReason, .leastSquaresConverged)

            // The test certifies ‖A r‖ ≤ tol ‖T_k‖_F ‖r‖ (estimates; allow a factor 10).
            let residual = Dense.subtract(b, Dense.multiply(a, result.solution))
            let normalResidual = Dense.norm(Dense.multiply(a, residual))
            XCTAssertLessThan(normalResidual, 10 * tolerance * result.operatorNormEstimate * Dense.norm(residual))
            XCTAssertEqual(Dense.norm(residual), Dense.norm(nullPartOfB), accuracy: 1e-8 * Dense.norm(b))

            // Split x into its range(A) and null(A) parts. A(x_R − x_LS) = r_LS − r and
            // A r_LS = 0 give ‖x_R − x_LS‖ ≤ ‖A r‖ / λ_min², λ_min the smallest non-zero |λ|.
            let leastSquares = try LAPACK.leastSquares(a, b, rcond: 1e-10)
            XCTAssertEqual(leastSquares.rank, n - nullity)
            var rangePart = result.solution
            var nullPartOfX = [Double](repeating: 0, count: n)
            for j in 0..<nullity {
                let column = Dense.column(q, j)
                let component = Dense.scaled(column, Dense.dot(column, result.solution))
                rangePart = Dense.subtract(rangePart, component)
                nullPartOfX = Dense.add(nullPartOfX, component)
            }
            let smallest = lambda.filter { $0 != 0 }.map { abs($0) }.min()!
            let rangeError = Dense.norm(Dense.subtract(rangePart, leastSquares.solution))
            XCTAssertLessThanOrEqual(rangeError, normalResidual / (smallest * smallest) * (1 + 1e-6) + 1e-12)
            XCTAssertLessThan(rangeError / Dense.norm(leastSquares.solution), 1e-6)
            let cosine = abs(Dense.dot(nullPartOfX, nullPartOfB)) / (Dense.norm(nullPartOfX) * Dense.norm(nullPartOfB))
            XCTAssertEqual(cosine, 1, accuracy: 1e-6, "null(A) part of x is parallel to that of b")
            assertMINRESHistory(result, a, b)
        }
    }

    /// The iteration cap returns after exactly k steps with an iterate that is no worse than
    /// x = 0 and whose true residual matches the estimate.
    func testIterationCap() throws {
        var rng = SplitMix64(seed: 7)
        let n = 50
        let a = Dense.randomSymmetric(n, &rng)
        let b = rng.normalVector(n)
        var previous = Dense.norm(b)
        for k in [1, 2, 5, 9, 20] {
            let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: 1e-14, maxIterations: k)
            XCTAssertEqual(result.stopReason, .iterationLimit)
            XCTAssertEqual(result.iterations, k)
            let trueResidual = Dense.residualNorm(a, result.solution, b)
            XCTAssertLessThanOrEqual(trueResidual, Dense.norm(b) * (1 + 1e-12))
            XCTAssertLessThanOrEqual(trueResidual, previous * (1 + 1e-10), "minimum residual over nested Krylov spaces")
            previous = trueResidual
            assertMINRESHistory(result, a, b, finalTolerance: 1e-10)
        }
        let none = try minres(DenseMatrixOperator(a), b, maxIterations: 0)
        XCTAssertEqual(none.stopReason, .iterationLimit)
        XCTAssertEqual(none.iterations, 0)
        XCTAssertEqual(none.solution, [Double](repeating: 0, count: n))
    }

    func testZeroRightHandSideReturnsZero() throws {
        var rng = SplitMix64(seed: 8)
        let a = Dense.randomSymmetric(9, &rng)
        for x0 in [nil, rng.normalVector(9)] {
            let result = try minres(DenseMatrixOperator(a), [Double](repeating: 0, count: 9), start: x0)
            XCTAssertEqual(result.stopReason, .zeroRightHandSide)
            XCTAssertEqual(result.iterations, 0)
            XCTAssertEqual(result.solution, [Double](repeating: 0, count: 9))
        }
        let empty = try minres(ClosureOperator(dimension: 0) { _, _ in }, [])
        XCTAssertEqual(empty.solution, [])
        XCTAssertEqual(empty.iterations, 0)
    }

    /// A start that solves the system exactly (integer data, exact products) is returned as is.
    func testExactStartIsReturned() throws {
        let a = try Tensor(shape: [3, 3], scalars: [2, 1, 0, 1, -3, 1, 0, 1, 4])
        let x0: [Double] = [1, 2, -1]
        let b = Dense.multiply(a, x0)
        let result = try minres(DenseMatrixOperator(a), b, start: x0)
        XCTAssertEqual(result.stopReason, .exactSolution)
        XCTAssertEqual(result.iterations, 0)
        XCTAssertEqual(result.solution, x0)
    }

    /// b an eigenvector of A − σI: one step gives x = b / (λ − σ) exactly (SciPy istop = −1).
    func testEigenvectorRightHandSide() throws {
        let diagonal: [Double] = [3, -2, 0.5, 7]
        let op = ClosureOperator(dimension: 4) { x, y in
            for i in 0..<4 { y[i] = diagonal[i] * x[i] }
        }
        let result = try minres(op, [0, 4, 0, 0], shift: 0.5)
        XCTAssertEqual(result.stopReason, .eigenvectorFound)
        XCTAssertEqual(result.stopReason.scipyIstop, -1)
        XCTAssertEqual(result.iterations, 1)
        XCTAssertEqual(result.solution[1], 4 / (-2 - 0.5), accuracy: 1e-15)
        XCTAssertEqual(result.solution[0], 0)
    }

    /// b in the null space of A − σI (here A = 2I, σ = 2, and the zero operator): x = 0 is the
    /// minimum-norm least-squares solution and the residual is ‖b‖.
    func testRightHandSideInTheNullSpace() throws {
        let twice = ClosureOperator(dimension: 3) { x, y in for i in 0..<3 { y[i] = 2 * x[i] } }
        let zero = ClosureOperator(dimension: 3) { _, y in for i in 0..<3 { y[i] = 0 } }
        let b: [Double] = [1, -2, 2]
        for (op, shift) in [(twice, 2.0), (zero, 0.0)] {
            let result = try minres(op, b, shift: shift)
            XCTAssertEqual(result.stopReason, .leastSquaresConverged)
            XCTAssertEqual(result.solution, [0, 0, 0])
            XCTAssertEqual(result.iterations, 0)
            XCTAssertEqual(result.residualNorm, 3, accuracy: 1e-15)
        }
    }

    /// A start whose residual is at the rounding level of ‖A‖ ‖x‖: with tolerance 0, SciPy's
    /// order of tests makes `‖A‖ ‖x‖ ε ≥ β₁` (istop = 3) override `1 + test1 ≤ 1`.
    func testAccuracyLimitWhenTheStartIsExactToRounding() throws {
        let diagonal: [Double] = [1, 2, 3, 4]
        let op = ClosureOperator(dimension: 4) { x, y in for i in 0..<4 { y[i] = diagonal[i] * x[i] } }
        let solution: [Double] = [1e9, -2e9, 3e9, 1e9]
        let b = zip(diagonal, solution).map { $0 * $1 }
        var x0 = solution
        x0[0] = x0[0].nextUp
        x0[1] = x0[1].nextDown
        let result = try minres(op, b, start: x0, relativeTolerance: 0)
        XCTAssertEqual(result.stopReason, .accuracyLimitReached)
        XCTAssertEqual(result.stopReason.scipyIstop, 3)
        let residual = zip(b, zip(diagonal, result.solution)).map { $0 - $1.0 * $1.1 }
        XCTAssertLessThan(Dense.norm(residual), 4 * Double.ulpOfOne * 4 * Dense.norm(result.solution))
    }

    /// The k-th iterate does not depend on how the product is computed: dgemm vs a plain loop.
    func testDenseAndClosureOperatorsGiveTheSameIterates() throws {
        var rng = SplitMix64(seed: 9)
        let n = 33
        let a = Dense.randomSymmetric(n, &rng)
        let b = rng.normalVector(n)
        let dense = try DenseMatrixOperator(a)
        let closure = ClosureOperator(dimension: n) { x, y in
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<n { sum += a.scalars[i * n + j] * x[j] }
                y[i] = sum
            }
        }
        for k in [1, 2, 3, 5, 8, 13] {
            let fromDense = try minres(dense, b, shift: 0.2, maxIterations: k)
            let fromClosure = try minres(closure, b, shift: 0.2, maxIterations: k)
            XCTAssertEqual(fromDense.iterations, k)
            XCTAssertEqual(fromClosure.iterations, k)
            XCTAssertLessThan(Dense.relativeError(fromClosure.solution, fromDense.solution), 1e-10, "k = \(k)")
            for (p, q) in zip(fromDense.residualNorms, fromClosure.residualNorms) {
                XCTAssertEqual(p, q, accuracy: 1e-10 * Dense.norm(b))
            }
        }
    }

    func testNonSymmetricOperatorIsRejectedByTheSymmetryCheck() throws {
        var rng = SplitMix64(seed: 10)
        let n = 25
        let a = Dense.randomSymmetric(n, &rng)
        var skewed = a.scalars
        for i in 0..<n { for j in (i + 1)..<n { skewed[i * n + j] += 0.05 * rng.normal() } }
        let nonSymmetric = try Tensor(shape: [n, n], scalars: skewed)
        let b = rng.normalVector(n)
        XCTAssertThrowsError(try minres(DenseMatrixOperator(nonSymmetric), b, checkSymmetry: true)) { error in
            guard case KrylovError.operatorNotSymmetric(let discrepancy, let tolerance) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertGreaterThan(discrepancy, tolerance)
            XCTAssertTrue("\(error)".contains("not symmetric"))
        }
        // The symmetric matrix passes the same check and converges.
        let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: 1e-12, checkSymmetry: true)
        XCTAssertEqual(result.stopReason, .converged)
    }

    /// A symmetric positive definite diagonal preconditioner gives the same solution; an
    /// indefinite or non-symmetric one is rejected.
    func testPreconditioner() throws {
        var rng = SplitMix64(seed: 11)
        let n = 30
        let q = try Dense.randomOrthogonal(n, &rng)
        var a = Dense.withSpectrum(q, (0..<n).map { j in (j % 2 == 0 ? 1.0 : -1.0) * rng.uniform(0.5, 3) })
        var scalars = a.scalars
        for i in 0..<n { scalars[i * n + i] += Double(i) * (i % 2 == 0 ? 1 : -1) }
        a = try Tensor(shape: [n, n], scalars: scalars)
        let b = rng.normalVector(n)
        let inverseDiagonal = (0..<n).map { 1 / (abs(scalars[$0 * n + $0]) + 1) }
        let jacobi = ClosureOperator(dimension: n) { x, y in for i in 0..<n { y[i] = inverseDiagonal[i] * x[i] } }
        let result = try minres(DenseMatrixOperator(a), b, relativeTolerance: 1e-13, preconditioner: jacobi, checkSymmetry: true)
        XCTAssertEqual(result.stopReason, .converged)
        XCTAssertLessThan(Dense.relativeError(result.solution, try lapackSolution(a, b)), 1e-8)
        for j in 1..<result.residualNorms.count {
            XCTAssertLessThanOrEqual(result.residualNorms[j], result.residualNorms[j - 1] * (1 + 1e-12))
        }

        let negative = ClosureOperator(dimension: n) { x, y in for i in 0..<n { y[i] = -x[i] } }
        XCTAssertThrowsError(try minres(DenseMatrixOperator(a), b, preconditioner: negative)) { error in
            guard case KrylovError.preconditionerNotPositiveDefinite(let iteration, let value) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(iteration, 0)
            XCTAssertEqual(value, -Dense.dot(b, b), accuracy: 1e-10 * Dense.dot(b, b))
        }
        let lower = ClosureOperator(dimension: n) { x, y in
            var sum = 0.0
            for i in 0..<n { sum += x[i]; y[i] = sum }
        }
        XCTAssertThrowsError(try minres(DenseMatrixOperator(a), b, preconditioner: lower, checkSymmetry: true)) { error in
            guard case KrylovError.preconditionerNotSymmetric = error else { return XCTFail("unexpected error \(error)") }
        }
    }

    /// A workspace reused across different solves (shifts, starts, a preconditioner, a
    /// least-squares stop, an error) gives exactly the results of fresh allocations.
    func testWorkspaceReuseGivesIdenticalResults() throws {
        var rng = SplitMix64(seed: 12)
        let n = 28
        let a = Dense.randomSymmetric(n, &rng)
        let op = try DenseMatrixOperator(a)
        let workspace = MINRESWorkspace(dimension: n)
        let jacobi = ClosureOperator(dimension: n) { x, y in for i in 0..<n { y[i] = x[i] / (1 + abs(a.scalars[i * n + i])) } }
        let failing = ClosureOperator(dimension: n) { _, _ in throw OperatorFailure() }
        XCTAssertThrowsError(try minres(failing, rng.normalVector(n), workspace: workspace))
        for round in 0..<6 {
            let b = rng.normalVector(n)
            let x0: [Double]? = round % 2 == 0 ? nil : rng.normalVector(n)
            let shift = round % 3 == 0 ? 0 : 0.25
            let preconditioner: (any LinearOperator)? = round == 4 ? jacobi : nil
            let fresh = try minres(op, b, start: x0, shift: shift, relativeTolerance: 1e-10, maxIterations: 3 + 5 * round,
                                   preconditioner: preconditioner, checkSymmetry: round == 2)
            let reused = try minres(op, b, start: x0, shift: shift, relativeTolerance: 1e-10, maxIterations: 3 + 5 * round,
                                    preconditioner: preconditioner, checkSymmetry: round == 2, workspace: workspace)
            XCTAssertEqual(reused.solution, fresh.solution, "round \(round)")
            XCTAssertEqual(reused.residualNorms, fresh.residualNorms, "round \(round)")
            XCTAssertEqual(reused.stopReason, fresh.stopReason, "round \(round)")
        }
        XCTAssertThrowsError(try minres(op, rng.normalVector(n), workspace: MINRESWorkspace(dimension: n + 1))) { error in
            guard case KrylovError.dimensionMismatch(_, "workspace", n, n + 1) = error else { return XCTFail("unexpected error \(error)") }
        }
    }
}
