import Foundation
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

/// The mean per-task cross-entropy of ``MiniLeNet`` on one batch, differentiated by hand
/// (no tape): values, gradients and forward-over-reverse Hessian-vector products
/// (Pearlmutter 1994) in plain loops over the images, computed in double precision whatever
/// `Scalar` is. The same function as `MultiTaskLoss<MiniLeNet, Scalar>` (up to rounding);
/// it allocates only per-call buffers, so the `n = 1,500` HVPs of a dense Hessian stay in
/// constant memory.
///
/// Per image, with `X` the 14×14 input: `z₁ = conv(X; W, b) [10×5×5]`, `p = maxpool₂(z₁)
/// [10×2×2]` (argmax recorded, first maximum in row-major window order), `h₁ = relu(p)`,
/// `z₂ = F h₁ + f`, `h₂ = relu(z₂)`, `zₜ = Gₜ h₂ + gₜ`, `ℓₜ = logsumexp(zₜ) − zₜ[yₜ]`.
public struct MiniLeNetLoss<Scalar: BLASScalar>: DifferentiableVectorFunction {
    public var parameterCount: Int { MiniLeNet.parameterLayout.parameterCount }
    public var objectiveCount: Int { 2 }
    /// The images, `N × 196`, in double precision.
    private let images: [Double]
    /// One label array per task.
    public let labels: [[Int]]
    /// `N`.
    public let batchSize: Int

    /// - Throws: ``ModelError`` if the images are not `[N, 1, 14, 14]` or the labels do not
    ///   match the batch, two tasks and classes `0..<10`.
    public init(images: Tensor<Scalar>, labels: [[Int]]) throws {
        guard images.rank == 4, Array(images.shape.dropFirst()) == [1, 14, 14] else {
            throw ModelError.inputShape(expected: [1, 14, 14], actual: images.shape)
        }
        guard labels.count == 2 else { throw ModelError.taskCount(expected: 2, actual: labels.count) }
        for (task, taskLabels) in labels.enumerated() {
            guard taskLabels.count == images.shape[0] else {
                throw ModelError.labelCount(task: task, expected: images.shape[0], actual: taskLabels.count)
            }
            guard taskLabels.allSatisfy({ (0..<10).contains($0) }) else {
                throw ModelError.labelCount(task: task, expected: images.shape[0], actual: taskLabels.count)
            }
        }
        self.images = images.scalars.map { Double($0) }
        self.labels = labels
        batchSize = images.shape[0]
    }

    // Offsets of the parameter tensors in the flat vector (``MiniLeNet/parameterLayout``).
    private static var convWeight: Int { 0 }
    private static var convBias: Int { 250 }
    private static var fcWeight: Int { 260 }
    private static var fcBias: Int { 1060 }
    private static var headWeight: [Int] { [1080, 1290] }
    private static var headBias: [Int] { [1280, 1490] }

    private func check(_ x: [Scalar], _ name: String) throws {
        guard x.count == parameterCount else {
            throw ModelError.parameterCount(expected: parameterCount, actual: x.count)
        }
        if let index = x.firstIndex(where: { !$0.isFinite }) { throw AutodiffError.nonFinite(quantity: name, index: index) }
    }

    /// One sweep over the batch: the values, and (when `weights` is given) the weighted
    /// gradient, and (when also `direction` is given) the HVP.
    private func sweep(_ xs: [Scalar], weights: [Double]?, direction vs: [Scalar]?) throws -> (values: [Double], gradient: [Double], product: [Double]) {
        try check(xs, "parameters")
        if let vs { try check(vs, "direction") }
        let x = xs.map { Double($0) }
        let v = vs.map { $0.map { Double($0) } }
        let n = parameterCount
        var gradient = [Double](repeating: 0, count: weights == nil ? 0 : n)
        var product = [Double](repeating: 0, count: v == nil ? 0 : n)
        var values = [0.0, 0.0]
        let scale = 1 / Double(batchSize)
        let (cw, cb, fw, fb) = (Self.convWeight, Self.convBias, Self.fcWeight, Self.fcBias)
        var z1 = [Double](repeating: 0, count: 250), z1Dot = [Double](repeating: 0, count: 250)
        var p = [Double](repeating: 0, count: 40), pDot = [Double](repeating: 0, count: 40)
        var argmax = [Int](repeating: 0, count: 40)
        var z2 = [Double](repeating: 0, count: 20), z2Dot = [Double](repeating: 0, count: 20)
        var h1 = [Double](repeating: 0, count: 40), h1Dot = [Double](repeating: 0, count: 40)
        var h2 = [Double](repeating: 0, count: 20), h2Dot = [Double](repeating: 0, count: 20)
        for b in 0..<batchSize {
            let image = b * 196
            // Forward (and tangent) sweep.
            for o in 0..<10 {
                for i in 0..<5 {
                    for j in 0..<5 {
                        var sum = x[cb + o], dot = v?[cb + o] ?? 0
                        for ki in 0..<5 {
                            for kj in 0..<5 {
                                let pixel = images[image + (2 * i + ki) * 14 + 2 * j + kj]
                                sum += x[cw + o * 25 + ki * 5 + kj] * pixel
                                if let v { dot += v[cw + o * 25 + ki * 5 + kj] * pixel }
                            }
                        }
                        z1[o * 25 + i * 5 + j] = sum
                        z1Dot[o * 25 + i * 5 + j] = dot
                    }
                }
                for pi in 0..<2 {
                    for pj in 0..<2 {
                        let top = o * 25 + 2 * pi * 5 + 2 * pj
                        var best = top
                        for candidate in [top + 1, top + 5, top + 6] where z1[candidate] > z1[best] { best = candidate }
                        let k = o * 4 + pi * 2 + pj
                        argmax[k] = best
                        p[k] = z1[best]
                        pDot[k] = z1Dot[best]
                        h1[k] = max(p[k], 0)
                        h1Dot[k] = p[k] > 0 ? pDot[k] : 0
                    }
                }
            }
            for r in 0..<20 {
                var sum = x[fb + r], dot = v?[fb + r] ?? 0
                for k in 0..<40 {
                    sum += x[fw + r * 40 + k] * h1[k]
                    if let v { dot += v[fw + r * 40 + k] * h1[k] + x[fw + r * 40 + k] * h1Dot[k] }
                }
                z2[r] = sum
                z2Dot[r] = dot
                h2[r] = max(sum, 0)
                h2Dot[r] = sum > 0 ? dot : 0
            }
            var h2Adjoint = [Double](repeating: 0, count: 20), h2AdjointDot = [Double](repeating: 0, count: 20)
            for task in 0..<2 {
                let (gw, gb) = (Self.headWeight[task], Self.headBias[task])
                var z = [Double](repeating: 0, count: 10), zDot = [Double](repeating: 0, count: 10)
                for c in 0..<10 {
                    var sum = x[gb + c], dot = v?[gb + c] ?? 0
                    for r in 0..<20 {
                        sum += x[gw + c * 20 + r] * h2[r]
                        if let v { dot += v[gw + c * 20 + r] * h2[r] + x[gw + c * 20 + r] * h2Dot[r] }
                    }
                    z[c] = sum
                    zDot[c] = dot
                }
                let top = z.max()!
                let exponentials = z.map { Foundation.exp($0 - top) }
                let total = exponentials.reduce(0, +)
                let label = labels[task][b]
                values[task] += (top + Foundation.log(total) - z[label]) * scale
                guard let weights else { continue }
                // Reverse sweep of this head: z̄ = α/N (softmax − onehot), its tangent α/N ṡ.
                let softmax = exponentials.map { $0 / total }
                let softmaxDotZ = zip(softmax, zDot).reduce(0) { $0 + $1.0 * $1.1 }
                let seed = weights[task] * scale
                var zAdjoint = softmax.map { $0 * seed }
                zAdjoint[label] -= seed
                let zAdjointDot = (0..<10).map { c in seed * softmax[c] * (zDot[c] - softmaxDotZ) }
                for c in 0..<10 {
                    gradient[gb + c] += zAdjoint[c]
                    if v != nil { product[gb + c] += zAdjointDot[c] }
                    for r in 0..<20 {
                        gradient[gw + c * 20 + r] += zAdjoint[c] * h2[r]
                        h2Adjoint[r] += x[gw + c * 20 + r] * zAdjoint[c]
                        if let v {
                            product[gw + c * 20 + r] += zAdjointDot[c] * h2[r] + zAdjoint[c] * h2Dot[r]
                            h2AdjointDot[r] += v[gw + c * 20 + r] * zAdjoint[c] + x[gw + c * 20 + r] * zAdjointDot[c]
                        }
                    }
                }
            }
            guard weights != nil else { continue }
            var h1Adjoint = [Double](repeating: 0, count: 40), h1AdjointDot = [Double](repeating: 0, count: 40)
            for r in 0..<20 where z2[r] > 0 {
                let (adjoint, adjointDot) = (h2Adjoint[r], h2AdjointDot[r])
                gradient[fb + r] += adjoint
                if v != nil { product[fb + r] += adjointDot }
                for k in 0..<40 {
                    gradient[fw + r * 40 + k] += adjoint * h1[k]
                    h1Adjoint[k] += x[fw + r * 40 + k] * adjoint
                    if let v {
                        product[fw + r * 40 + k] += adjointDot * h1[k] + adjoint * h1Dot[k]
                        h1AdjointDot[k] += v[fw + r * 40 + k] * adjoint + x[fw + r * 40 + k] * adjointDot
                    }
                }
            }
            for k in 0..<40 where p[k] > 0 {
                let position = argmax[k]
                let (o, offset) = (position / 25, position % 25)
                let (i, j) = (offset / 5, offset % 5)
                let (adjoint, adjointDot) = (h1Adjoint[k], h1AdjointDot[k])
                gradient[cb + o] += adjoint
                if v != nil { product[cb + o] += adjointDot }
                for ki in 0..<5 {
                    for kj in 0..<5 {
                        let pixel = images[image + (2 * i + ki) * 14 + 2 * j + kj]
                        gradient[cw + o * 25 + ki * 5 + kj] += adjoint * pixel
                        if v != nil { product[cw + o * 25 + ki * 5 + kj] += adjointDot * pixel }
                    }
                }
            }
        }
        return (values, gradient, product)
    }

    private func narrow(_ values: [Double], _ name: String) throws -> [Scalar] {
        if let index = values.firstIndex(where: { !$0.isFinite }) { throw AutodiffError.nonFinite(quantity: name, index: index) }
        return values.map { Scalar($0) }
    }

    public func values(at x: [Scalar]) throws -> [Scalar] {
        try narrow(try sweep(x, weights: nil, direction: nil).values, "objective values")
    }

    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        let first = try sweep(x, weights: [1, 0], direction: nil)
        let second = try sweep(x, weights: [0, 1], direction: nil)
        return (try narrow(first.values, "objective values"),
                [try narrow(first.gradient, "gradient of objective 1"), try narrow(second.gradient, "gradient of objective 2")])
    }

    public func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        guard weights.count == 2 else { throw AutodiffError.dimensionMismatch(argument: "weights", expected: 2, actual: weights.count) }
        let result = try sweep(x, weights: weights.map { Double($0) }, direction: nil)
        return (try narrow(result.values, "objective values"), try narrow(result.gradient, "weighted gradient"))
    }

    public func hessianVectorProduct(at x: [Scalar], along v: [Scalar], weights: [Scalar]) throws -> HessianVectorProduct<Scalar> {
        guard weights.count == 2 else { throw AutodiffError.dimensionMismatch(argument: "weights", expected: 2, actual: weights.count) }
        let result = try sweep(x, weights: weights.map { Double($0) }, direction: v)
        return HessianVectorProduct(
            values: try narrow(result.values, "objective values"), weightedGradient: try narrow(result.gradient, "weighted gradient"),
            product: try narrow(result.product, "Hessian-vector product"))
    }
}

extension MiniLeNet {
    /// `true`: ``MiniLeNetLoss`` is its fused kernel.
    public var hasFusedLoss: Bool { true }

    /// ``MiniLeNetLoss`` on the batch (double precision inside).
    public func fusedLoss<S: BLASScalar>(images: Tensor<S>, labels: [[Int]]) throws -> (any DifferentiableVectorFunction<S>)? {
        try MiniLeNetLoss<S>(images: images, labels: labels)
    }
}
