import Foundation
import LinearAlgebra

/// The state of an ``OptimizerKind`` over a flat parameter vector of `Scalar`s (the state is
/// kept in the parameters' precision, as PyTorch does).
public struct OptimizerState<Scalar: BLASScalar>: Sendable {
    /// The update rule.
    public let kind: OptimizerKind
    /// Number of steps taken.
    public private(set) var stepCount = 0
    private var first: [Scalar]
    private var second: [Scalar]

    /// A fresh state (zero momentum / moments) for `count` parameters.
    public init(kind: OptimizerKind, count: Int) {
        self.kind = kind
        first = [Scalar](repeating: 0, count: count)
        switch kind {
        case .sgd: second = []
        case .adam: second = [Scalar](repeating: 0, count: count)
        }
    }

    /// One update of `parameters` along the gradient `gradient` with learning rate
    /// `learningRate` (see ``OptimizerKind`` for the formulas).
    /// - Precondition: `gradient.count == parameters.count ==` the state's count.
    public mutating func step(_ parameters: inout [Scalar], gradient: [Scalar], learningRate: Double) {
        precondition(gradient.count == parameters.count && parameters.count == first.count, "optimizer state size mismatch")
        stepCount += 1
        let count = parameters.count
        switch kind {
        case .sgd(let momentum):
            let mu = Scalar(momentum), eta = Scalar(learningRate)
            let isFirst = stepCount == 1
            parameters.withUnsafeMutableBufferPointer { x in
                first.withUnsafeMutableBufferPointer { b in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0..<count {
                            b[i] = isFirst ? g[i] : mu * b[i] + g[i]
                            x[i] -= eta * b[i]
                        }
                    }
                }
            }
        case .adam(let beta1, let beta2, let epsilon):
            let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon)
            let correction1 = Scalar(1 - Foundation.pow(beta1, Double(stepCount)))
            let correction2 = Scalar(1 - Foundation.pow(beta2, Double(stepCount)))
            let eta = Scalar(learningRate)
            let root2 = correction2.squareRoot()
            parameters.withUnsafeMutableBufferPointer { x in
                first.withUnsafeMutableBufferPointer { m in
                    second.withUnsafeMutableBufferPointer { v in
                        gradient.withUnsafeBufferPointer { g in
                            for i in 0..<count {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                // PyTorch's form: x ← x − (η / c₁) · m / (√v / √c₂ + ε).
                                x[i] -= (eta / correction1) * m[i] / (v[i].squareRoot() / root2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
