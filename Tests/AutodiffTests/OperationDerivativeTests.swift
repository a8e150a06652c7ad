import Autodiff
import LinearAlgebra
import XCTest

/// gradcheck / gradgradcheck for every differentiable operation, in Float64.
final class OperationDerivativeTests: XCTestCase {
    func testUnaryOperations() throws {
        try checkOperation("exp", inputShapes: [[3, 4]]) { exp($0[0]) }
        try checkOperation("log", inputShapes: [[7]], domain: 0.5...2) { log($0[0]) }
        try checkOperation("sqrt", inputShapes: [[7]], domain: 0.5...2) { sqrt($0[0]) }
        try checkOperation("pow 2.5", inputShapes: [[7]], domain: 0.5...2) { pow($0[0], 2.5) }
        try checkOperation("integer pow 3", inputShapes: [[7]]) { pow($0[0], 3 as Int) }
        try checkOperation("integer pow −2", inputShapes: [[7]], domain: 0.5...2) { pow($0[0], -2 as Int) }
        try checkOperation("square", inputShapes: [[7]]) { square($0[0]) }
        try checkOperation("tanh", inputShapes: [[2, 5]]) { tanh($0[0] * 2.0) }
        try checkOperation("sigmoid", inputShapes: [[2, 5]]) { sigmoid($0[0] * 3.0) }
        try checkOperation("sin", inputShapes: [[6]]) { sin($0[0] * 2.0) }
        try checkOperation("cos", inputShapes: [[6]]) { cos($0[0] * 2.0) }
        // relu is piecewise linear; keep inputs away from the kink so differences are valid.
        try checkOperation("relu", inputShapes: [[9]], domain: 0.1...1) { try relu($0[0] - 0.55) * $0[0] }
    }

    func testScalarForms() throws {
        try checkOperation("x + c, c - x", inputShapes: [[5]]) { try ($0[0] + 0.5) * (2.0 - $0[0]) }
        try checkOperation("c · x, x / c", inputShapes: [[5]]) { try ($0[0] * 3.0) * ($0[0] / 1.5) }
        try checkOperation("c / x, -x", inputShapes: [[5]], domain: 0.5...2) { try (1.5 / $0[0]) * (-$0[0] + 3.0) }
    }

    func testBinaryOperations() throws {
        try checkOperation("add", inputShapes: [[2, 3], [2, 3]]) { try ($0[0] + $0[1]) * $0[0] }
        try checkOperation("subtract", inputShapes: [[2, 3], [2, 3]]) { try ($0[0] - $0[1]) * $0[1] }
        try checkOperation("multiply", inputShapes: [[2, 3], [2, 3]]) { try $0[0] * $0[1] }
        try checkOperation("divide", inputShapes: [[2, 3], [2, 3]], domain: 0.5...2) { try $0[0] / $0[1] }
        try checkOperation("broadcast scalar", inputShapes: [[4], [1]]) { try ($0[0] * $0[1]) + $0[1] }
        try checkOperation("broadcast rank-0", inputShapes: [[4], []], domain: 0.5...2) { try $0[0] / $0[1] - $0[1] }
    }

    func testMatrixProducts() throws {
        try checkOperation("matmul", inputShapes: [[3, 4], [4, 2]]) { try matmul($0[0], $0[1]) }
        try checkOperation("matmul Aᵀ", inputShapes: [[4, 3], [4, 2]]) { try matmul($0[0], $0[1], transposeA: true) }
        try checkOperation("matmul Bᵀ", inputShapes: [[3, 4], [2, 4]]) { try matmul($0[0], $0[1], transposeB: true) }
        try checkOperation("matmul AᵀBᵀ", inputShapes: [[4, 3], [2, 4]]) {
            try matmul($0[0], $0[1], transposeA: true, transposeB: true)
        }
        try checkOperation("matmul AAᵀ (shared operand)", inputShapes: [[3, 4]]) { try matmul($0[0], $0[0], transposeB: true) }
    }

    func testShapeAndReductionOperations() throws {
        try checkOperation("reshape", inputShapes: [[2, 6]]) { try reshape($0[0], [3, 4]) * $0[0].reshapedForTest([3, 4]) }
        try checkOperation("flatten", inputShapes: [[2, 2, 3]]) { try flatten($0[0]) }
        try checkOperation("sum", inputShapes: [[3, 3]]) { try sum($0[0]) * sum(square($0[0])) }
        try checkOperation("mean", inputShapes: [[3, 3]]) { try mean($0[0]) * mean(exp($0[0])) }
        try checkOperation("addBias FC", inputShapes: [[4, 3], [3]]) { try addBias($0[0], $0[1]) }
        try checkOperation("addBias conv", inputShapes: [[2, 3, 2, 2], [3]]) { try addBias($0[0], $0[1]) }
        try checkOperation("slice and concatenate", inputShapes: [[5], [3]]) {
            let joined = try concatenate([$0[1], $0[0], $0[1]])
            return try slice(joined, offset: 2, shape: [2, 3]) * slice(joined, offset: 5, shape: [2, 3])
        }
    }

    func testConvolution() throws {
        try checkOperation("conv2d stride 1", inputShapes: [[2, 2, 6, 5], [3, 2, 3, 2]]) { try conv2d($0[0], $0[1]) }
        try checkOperation("conv2d stride 2", inputShapes: [[2, 1, 7, 7], [2, 1, 3, 3]]) { try conv2d($0[0], $0[1], stride: 2) }
        try checkOperation("conv2d 5×5 kernel", inputShapes: [[1, 2, 8, 8], [2, 2, 5, 5]]) { try conv2d($0[0], $0[1]) }
    }

    func testMaxPool() throws {
        // Random inputs have distinct window entries, so the argmax is stable under small steps.
        try checkOperation("maxPool2x2", inputShapes: [[2, 2, 4, 5]]) { try maxPool2x2($0[0]) * 1.5 }
        try checkOperation("maxPool2x2 after product", inputShapes: [[1, 2, 4, 4], [1, 2, 4, 4]]) {
            try maxPool2x2($0[0] * $0[1])
        }
    }

    func testCrossEntropy() throws {
        try checkOperation("softmaxCrossEntropy", inputShapes: [[4, 5]], domain: -3...3) {
            try softmaxCrossEntropy(logits: $0[0], labels: [0, 4, 2, 2])
        }
        try checkOperation("softmaxCrossEntropy of product", inputShapes: [[3, 4], [4, 5]]) {
            try softmaxCrossEntropy(logits: matmul($0[0], $0[1]), labels: [1, 0, 3])
        }
    }

    func testCrossEntropyIsStableForLargeLogits() throws {
        let tape = Tape<Double>()
        let logits = tape.constant(try Tensor(shape: [1, 3], scalars: [1000, 0, -1000]))
        let loss = try softmaxCrossEntropy(logits: logits, labels: [1])
        // log Σ e^z − z₁ = 1000 + log(1 + e^-1000 + e^-2000) − 0 = 1000 (to double precision).
        XCTAssertEqual(loss.value.scalars[0], 1000, accuracy: 1e-9)
    }
}

extension Variable where Scalar == Double {
    /// The same values reshaped (a second, independent use of the input for product tests).
    func reshapedForTest(_ shape: [Int]) throws -> Variable<Double> { try reshape(self, shape) }
}
