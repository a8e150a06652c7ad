import Autodiff
import LinearAlgebra

/// The multi-task LeNet of the MultiMNIST literature (Sener & Koltun 2018; the reference
/// implementation of Ma et al. 2020), 22,350 parameters:
///
///     input 1×28×28 → conv1 1→10 (5×5) → max-pool 2 → ReLU → conv2 10→20 (5×5) → max-pool 2
///     → ReLU → flatten 320 → fc1 320→50 → ReLU → heads fc3_1, fc3_2: 50→10
///
/// Tensor names and layouts are PyTorch's (`Linear.weight` is `[out, in]`), so checkpoints
/// exchange with the reference `MultiLeNet` `state_dict`. ReLU and max-pooling commute, so
/// pooling first is exact and cheaper.
public struct MultiLeNet: MultiTaskModel {
    public init() {}

    public var architecture: String { "MultiLeNet" }
    public var inputShape: [Int] { [1, 28, 28] }
    public var taskCount: Int { 2 }
    public var classCount: Int { 10 }

    /// `conv1.weight [10,1,5,5]`, `conv1.bias [10]`, `conv2.weight [20,10,5,5]`, `conv2.bias [20]`,
    /// `fc1.weight [50,320]`, `fc1.bias [50]`, `fc3_1.weight [10,50]`, `fc3_1.bias [10]`,
    /// `fc3_2.weight [10,50]`, `fc3_2.bias [10]`.
    public var layout: ParameterLayout { Self.parameterLayout }

    /// The layout shared by all instances.
    public static let parameterLayout = ParameterLayout([
        ("conv1.weight", [10, 1, 5, 5]), ("conv1.bias", [10]),
        ("conv2.weight", [20, 10, 5, 5]), ("conv2.bias", [20]),
        ("fc1.weight", [50, 320]), ("fc1.bias", [50]),
        ("fc3_1.weight", [10, 50]), ("fc3_1.bias", [10]),
        ("fc3_2.weight", [10, 50]), ("fc3_2.bias", [10]),
    ])

    public func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>] {
        let p = try layout.variables(parameters)
        var h = try addBias(conv2d(images, p["conv1.weight"]!), p["conv1.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try addBias(conv2d(h, p["conv2.weight"]!), p["conv2.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try flatten(h)
        h = relu(try addBias(matmul(h, p["fc1.weight"]!, transposeB: true), p["fc1.bias"]!))
        return try ["fc3_1", "fc3_2"].map { head in
            try addBias(matmul(h, p["\(head).weight"]!, transposeB: true), p["\(head).bias"]!)
        }
    }
}

extension MultiLeNet {
    /// `true`: ``FusedMultiLeNetLoss`` is its fused kernel.
    public var hasFusedLoss: Bool { true }

    /// ``FusedMultiLeNetLoss`` on the batch.
    public func fusedLoss<S: BLASScalar>(images: Tensor<S>, labels: [[Int]]) throws -> (any DifferentiableVectorFunction<S>)? {
        try FusedMultiLeNetLoss<S>(images: images, labels: labels)
    }
}
