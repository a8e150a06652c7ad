import Autodiff
import LinearAlgebra
import XCTest

/// Hessian-vector products against functions whose Hessian is known in closed form.
final class AnalyticHessianTests: XCTestCase {
    /// f(x) = xᵀ A x with non-symmetric A: ∇f = (A + Aᵀ) x, ∇²f = A + Aᵀ.
    func testQuadraticForm() throws {
        let n = 6
        var random = TestRandom(seed: 11)
        let a = random.uniform(n * n)
        let matrix = try Tensor(shape: [n, n], scalars: a)
        let f = ClosureObjective<Double>(parameterCount: n, objectiveCount: 1) { x in
            let column = try reshape(x, [n, 1])
            let ax = try matmul(x.tape.constant(matrix), column)
            return try sum(column * ax)
        }
        let x = random.uniform(n), v = random.uniform(n)
        var expected = [Double](repeating: 0, count: n)
        for i in 0..<n { for j in 0..<n { expected[i] += (a[i * n + j] + a[j * n + i]) * v[j] } }
        let result = try f.hessianVectorProduct(at: x, along: v, weights: [1])
        XCTAssertLessThan(relativeError(result.product, expected), 1e-14)
        var gradient = [Double](repeating: 0, count: n)
        for i in 0..<n { for j in 0..<n { gradient[i] += (a[i * n + j] + a[j * n + i]) * x[j] } }
        XCTAssertLessThan(relativeError(result.weightedGradient, gradient), 1e-14)
    }

    /// Rosenbrock f(x) = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²; its Hessian is tridiagonal:
    /// H_ii = 1200 x_i² − 400 x_{i+1} + 2 (+200 for i > 0), H_{i,i+1} = −400 x_i.
    func testRosenbrock() throws {
        let n = 5
        let f = ClosureObjective<Double>(parameterCount: n, objectiveCount: 1) { x in
            let head = try slice(x, offset: 0, shape: [n - 1])
            let tail = try slice(x, offset: 1, shape: [n - 1])
            return try sum(square(tail - square(head)) * 100.0 + square(1.0 - head))
        }
        var random = TestRandom(seed: 5)
        let x = random.uniform(n, in: -1.5...1.5), v = random.uniform(n)
        var h = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            if i < n - 1 {
                h[i][i] += 1200 * x[i] * x[i] - 400 * x[i + 1] + 2
                h[i][i + 1] = -400 * x[i]
                h[i + 1][i] = -400 * x[i]
            }
            if i > 0 { h[i][i] += 200 }
        }
        let expected = (0..<n).map { i in dot(h[i], v) }
        let result = try f.hessianVectorProduct(at: x, along: v, weights: [1])
        XCTAssertLessThan(relativeError(result.product, expected), 1e-13)
        XCTAssertEqual(try f.values(at: [1, 1, 1, 1, 1])[0], 0)
    }

    /// ZDT2 (n variables): f1 = x1, g = 1 + 9 Σ_{i≥2} x_i/(n−1), f2 = g − x1²/g.
    /// ∇²f1 = 0. With s = 9/(n−1) and e = (0, 1, …, 1): ∂f2/∂x1 = −2x1/g, ∂f2/∂x_i = s(1 + x1²/g²),
    /// so ∇²f2 = −(2/g) e₁e₁ᵀ + (2 x1 s/g²)(e₁eᵀ + e e₁ᵀ) − (2 x1² s²/g³) e eᵀ.
    func testZDT2Objectives() throws {
        let n = 4
        let s = 9.0 / Double(n - 1)
        let f = ClosureObjective<Double>(parameterCount: n, objectiveCount: 2) { x in
            let x1 = try slice(x, offset: 0, shape: [1])
            let g = 1.0 + sum(try slice(x, offset: 1, shape: [n - 1])) * s
            let f2 = try g - square(x1) / g
            return try concatenate([x1, f2])
        }
        var random = TestRandom(seed: 3)
        let x = random.uniform(n, in: 0...1), v = random.uniform(n)
        let g = 1 + s * x[1...].reduce(0, +)
        let sumV = v[1...].reduce(0, +)
        var expected = [Double](repeating: 0, count: n)
        expected[0] = -2 / g * v[0] + 2 * x[0] * s / (g * g) * sumV
        for i in 1..<n { expected[i] = 2 * x[0] * s / (g * g) * v[0] - 2 * x[0] * x[0] * s * s / (g * g * g) * sumV }
        let (alpha1, alpha2) = (0.3, 0.7)
        let result = try f.hessianVectorProduct(at: x, along: v, weights: [alpha1, alpha2])
        XCTAssertLessThan(relativeError(result.product, expected.map { alpha2 * $0 }), 1e-13)
        let onlyF1 = try f.hessianVectorProduct(at: x, along: v, weights: [1, 0])
        XCTAssertEqual(norm(onlyF1.product), 0)
        let (values, jacobian) = try f.valuesAndJacobian(at: x)
        XCTAssertEqual(values[0], x[0])
        XCTAssertEqual(values[1], g * (1 - (x[0] / g) * (x[0] / g)), accuracy: 1e-14)
        XCTAssertEqual(jacobian[0], [1, 0, 0, 0])
        XCTAssertEqual(jacobian[1][0], -2 * x[0] / g, accuracy: 1e-14)
        XCTAssertEqual(jacobian[1][2], s * (1 + x[0] * x[0] / (g * g)), accuracy: 1e-14)
    }
}

/// Values of convolution and pooling against direct loops, and error reporting.
final class OperationValueAndErrorTests: XCTestCase {
    func testConvolutionMatchesDirectLoops() throws {
        var random = TestRandom(seed: 21)
        let (n, c, h, w, o, k, stride) = (2, 3, 9, 8, 4, 3, 2)
        let x = random.uniform(n * c * h * w), weight = random.uniform(o * c * k * k)
        let tape = Tape<Double>()
        let y = try conv2d(
            tape.constant(Tensor(shape: [n, c, h, w], scalars: x)),
            tape.constant(Tensor(shape: [o, c, k, k], scalars: weight)), stride: stride)
        let (ho, wo) = ((h - k) / stride + 1, (w - k) / stride + 1)
        XCTAssertEqual(y.shape, [n, o, ho, wo])
        for b in 0..<n { for oc in 0..<o { for p in 0..<ho { for q in 0..<wo {
            var expected = 0.0
            for ic in 0..<c { for i in 0..<k { for j in 0..<k {
                expected += weight[((oc * c + ic) * k + i) * k + j] * x[((b * c + ic) * h + p * stride + i) * w + q * stride + j]
            } } }
            XCTAssertEqual(try y.value.element(at: [b, oc, p, q]), expected, accuracy: 1e-12)
        } } } }
    }

    func testMaxPoolMatchesDirectLoops() throws {
        var random = TestRandom(seed: 8)
        let values = random.uniform(2 * 3 * 5 * 4)
        let tape = Tape<Double>()
        let y = try maxPool2x2(tape.constant(Tensor(shape: [2, 3, 5, 4], scalars: values)))
        XCTAssertEqual(y.shape, [2, 3, 2, 2])
        for plane in 0..<6 { for p in 0..<2 { for q in 0..<2 {
            let base = plane * 20
            let window = [0, 1, 4, 5].map { values[base + 2 * p * 4 + 2 * q + $0] }
            XCTAssertEqual(y.value.scalars[plane * 4 + p * 2 + q], window.max()!)
        } } }
    }

    func testShapeMismatchesThrowDescriptiveErrors() throws {
        let tape = Tape<Double>()
        let a = tape.constant(try Tensor(shape: [2, 3], repeating: 1))
        let b = tape.constant(try Tensor(shape: [2, 2], repeating: 1))
        XCTAssertThrowsError(try a + b) { error in
            XCTAssertEqual(error as? TensorError, .shapeMismatch(operation: "add", shapes: [[2, 3], [2, 2]]))
            XCTAssertTrue("\(error)".contains("[2, 3]"))
        }
        XCTAssertThrowsError(try matmul(a, a)) { XCTAssertTrue("\($0)".contains("matmul")) }
        XCTAssertThrowsError(try reshape(a, [4, 2]))
        XCTAssertThrowsError(try conv2d(a, b))
        XCTAssertThrowsError(try maxPool2x2(a))
        XCTAssertThrowsError(try addBias(a, a))
        XCTAssertThrowsError(try softmaxCrossEntropy(logits: a, labels: [0, 3])) { error in
            XCTAssertEqual(error as? TensorError, .outOfBounds(operation: "softmaxCrossEntropy label", index: 3, count: 3))
        }
        XCTAssertThrowsError(try slice(a, offset: 4, shape: [3]))
        XCTAssertThrowsError(try Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3]))
        let otherTape = Tape<Double>()
        XCTAssertThrowsError(try a * otherTape.constant(try Tensor(shape: [2, 3], repeating: 1)))
    }

    func testNonFiniteValuesAreReportedWhereTheyLeaveTheEngine() throws {
        let logOfX = ClosureObjective<Double>(parameterCount: 2, objectiveCount: 1) { sum(log($0)) }
        XCTAssertThrowsError(try logOfX.values(at: [1, -1])) { error in
            XCTAssertEqual(error as? AutodiffError, .nonFinite(quantity: "objective values", index: 0))
        }
        // sqrt at 0: finite value, infinite derivative.
        let root = ClosureObjective<Double>(parameterCount: 2, objectiveCount: 1) { sum(sqrt($0)) }
        XCTAssertThrowsError(try root.valuesAndJacobian(at: [0, 1])) { error in
            XCTAssertEqual(error as? AutodiffError, .nonFinite(quantity: "gradient of objective 1", index: 0))
        }
        // f1 = x1 has a finite gradient at x1 = 0 even though f2 = √x1 has none: the Jacobian's
        // first row is reported, the second is the one that fails.
        let pair = ClosureObjective<Double>(parameterCount: 1, objectiveCount: 2) { try concatenate([$0, sqrt($0)]) }
        XCTAssertThrowsError(try pair.valuesAndJacobian(at: [0])) { error in
            XCTAssertEqual(error as? AutodiffError, .nonFinite(quantity: "gradient of objective 2", index: 0))
        }
        XCTAssertEqual(try pair.valuesAndWeightedGradient(at: [0], weights: [1, 0]).gradient, [1])
        XCTAssertThrowsError(try root.hessianVectorProduct(at: [1, 1], along: [.nan, 0], weights: [1])) { error in
            XCTAssertEqual(error as? AutodiffError, .nonFinite(quantity: "direction", index: 0))
        }
        XCTAssertThrowsError(try root.hessianVectorProduct(at: [1, 1], along: [1], weights: [1])) { error in
            XCTAssertEqual(error as? AutodiffError, .dimensionMismatch(argument: "direction", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try root.values(at: [.infinity, 1])) { error in
            XCTAssertEqual(error as? AutodiffError, .nonFinite(quantity: "parameters", index: 0))
        }
        // 1/x² overflows at x = 1e-110; the overflow is reported, not passed on.
        let inverse = ClosureObjective<Double>(parameterCount: 1, objectiveCount: 1) { sum(1.0 / square($0)) }
        XCTAssertThrowsError(try inverse.hessianVectorProduct(at: [1e-110], along: [1], weights: [1]))
    }
}

/// Tapes are freed when their evaluation is done (pullbacks capture variables, which must not
/// keep the tape alive).
final class TapeLifetimeTests: XCTestCase {
    func testTapesAreReleasedAfterUse() throws {
        weak var released: Tape<Double>?
        do {
            let tape = Tape<Double>(tracksTangents: true)
            let x = try tape.input(Tensor(vector: [1, 2]), tangent: Tensor(vector: [1, 0]))
            let y = sum(try x * x)
            try tape.backward(from: y, seed: Tensor(scalar: 1))
            XCTAssertEqual(tape.adjointTangent(of: x).scalars, [2, 0])
            released = tape
        }
        XCTAssertNil(released, "a tape with recorded pullbacks must be freed")
        // The objective API creates and drops a tape per call.
        var lastTape: Tape<Double>? = nil
        let f = ClosureObjective<Double>(parameterCount: 2, objectiveCount: 1) { x in
            lastTape = x.tape
            return sum(try x * x)
        }
        _ = try f.hessianVectorProduct(at: [1, 2], along: [1, 1], weights: [1])
        weak var objectiveTape = lastTape
        lastTape = nil
        XCTAssertNil(objectiveTape)
    }
}
