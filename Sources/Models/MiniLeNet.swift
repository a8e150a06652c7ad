import Autodiff
import LinearAlgebra

/// The small multi-task LeNet of Ma et al. (2020, §6.2.2, "MultiMNIST subset"), 1,500
/// parameters, for 14×14 composites (`MultiDigitDataset(…, side: 14)`):
///
///     input 1×14×14 → conv1 1→10 (5×5, stride 2) → 10×5×5 → max-pool 2 → 10×2×2 → ReLU
///     → flatten 40 → fc1 40→20 → ReLU → heads fc3_1, fc3_2: 20→10
///
/// Parameter count: conv1 10·25 + 10 = 260, fc1 20·40 + 20 = 820, two heads 2·(10·20 + 10) =
/// 420; total 1,500. Pooling drops the odd last row and column (PyTorch floor mode); ReLU and
/// max-pooling commute, so pooling first is exact. Tensor names follow ``MultiLeNet``
/// (PyTorch `state_dict` keys, `Linear.weight` as `[out, in]`). Small enough that the dense
/// Hessian can be formed from `n` HVPs and eigendecomposed (null-space analysis, Prop. 5.1).
public struct MiniLeNet: MultiTaskModel {
    public init() {}

    public var architecture: String { "MiniLeNet" }
    public var inputShape: [Int] { [1, 14, 14] }
    public var taskCount: Int { 2 }
    public var classCount: Int { 10 }

    /// `conv1.weight [10,1,5,5]`, `conv1.bias [10]`, `fc1.weight [20,40]`, `fc1.bias [20]`,
    /// `fc3_1.weight [10,20]`, `fc3_1.bias [10]`, `fc3_2.weight [10,20]`, `fc3_2.bias [10]`.
    public var layout: ParameterLayout { Self.parameterLayout }

    /// The layout shared by all instances.
    public static let parameterLayout = ParameterLayout([
        ("conv1.weight", [10, 1, 5, 5]), ("conv1.bias", [10]),
        ("fc1.weight", [20, 40]), ("fc1.bias", [20]),
        ("fc3_1.weight", [10, 20]), ("fc3_1.bias", [10]),
        ("fc3_2.weight", [10, 20]), ("fc3_2.bias", [10]),
    ])

    public func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>] {
        let p = try layout.variables(parameters)
        var h = try addBias(conv2d(images, p["conv1.weight"]!, stride: 2), p["conv1.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try flatten(h)
        h = relu(try addBias(matmul(h, p["fc1.weight"]!, transposeB: true), p["fc1.bias"]!))
        return try ["fc3_1", "fc3_2"].map { head in
            try addBias(matmul(h, p["\(head).weight"]!, transposeB: true), p["\(head).bias"]!)
        }
    }
}
