import Autodiff
import Foundation
import LinearAlgebra

/// Errors of ``FusedMultiLeNetLoss`` beyond the shape errors it shares with ``MultiTaskLoss``
/// (``ModelError``) and the evaluation errors it shares with the tape (``AutodiffError``).
public enum FusedMultiLeNetError: Error, Equatable, CustomStringConvertible {
    /// A batch without images (the mean cross-entropy is undefined).
    case emptyBatch
    /// Label `label` of image `image` for task `task` is not a class index in `0..<classes`.
    case labelOutOfRange(task: Int, image: Int, label: Int, classes: Int)
    /// ``FusedMultiLeNetLoss/hessianVectorProduct(along:)`` was called before a point was prepared.
    case notPrepared

    public var description: String {
        switch self {
        case .emptyBatch: return "the batch has no images"
        case .labelOutOfRange(let task, let image, let label, let classes):
            return "task \(task), image \(image): label \(label) is not in 0..<\(classes)"
        case .notPrepared:
            return "hessianVectorProduct(along:) needs a point: call prepare(at:weights:) first"
        }
    }
}

private typealias LeNetShape = FusedMultiLeNetShape

/// Flat offsets of the MultiLeNet parameter tensors (``MultiLeNet/parameterLayout``).
private struct LeNetOffsets {
    let conv1Weight: Int, conv1Bias: Int, conv2Weight: Int, conv2Bias: Int
    let fc1Weight: Int, fc1Bias: Int
    let headWeight: [Int], headBias: [Int]

    init(_ layout: ParameterLayout) throws {
        conv1Weight = try layout.entry("conv1.weight").offset
        conv1Bias = try layout.entry("conv1.bias").offset
        conv2Weight = try layout.entry("conv2.weight").offset
        conv2Bias = try layout.entry("conv2.bias").offset
        fc1Weight = try layout.entry("fc1.weight").offset
        fc1Bias = try layout.entry("fc1.bias").offset
        headWeight = [try layout.entry("fc3_1.weight").offset, try layout.entry("fc3_2.weight").offset]
        headBias = [try layout.entry("fc3_1.bias").offset, try layout.entry("fc3_2.bias").offset]
    }
}

/// The multi-task loss of the ``MultiLeNet`` on one fixed batch, `fᵢ(x)` = mean softmax
/// cross-entropy of head `i` — exactly the function of `MultiTaskLoss<MultiLeNet, Scalar>`,
/// with the same flat parameter layout — differentiated by hand-fused forward-over-reverse
/// sweeps instead of a recorded tape.
///
/// The network (``MultiLeNet``): conv1 1→10 (5×5) → max-pool 2 → ReLU → conv2 10→20 (5×5) →
/// max-pool 2 → ReLU → flatten 320 → fc1 320→50 → ReLU → heads fc3_1, fc3_2 (50→10).
///
/// **Derivatives.** Each layer is bilinear in (activation, weight) or piecewise linear, so
/// the reverse sweep and its tangent (Pearlmutter's R-operator, Pearlmutter 1994) follow the
/// rules of the tape's operations (`conv2d`, `maxPool2x2`, `relu`, `matmul`, `addBias`,
/// `softmaxCrossEntropy` in the Autodiff module): for `Y = W·X`, `Ẏ = W·Ẋ + Ẇ·X`,
/// `W̄ = Ȳ·Xᵀ`, `X̄ = Wᵀ·Ȳ`, `Ẇ̄ = Ẏ̄·Xᵀ + Ȳ·Ẋᵀ`, `Ẋ̄ = Wᵀ·Ẏ̄ + Ẇᵀ·Ȳ`; max-pooling and ReLU
/// route values, tangents and adjoints through the cached argmax and sign masks; the
/// cross-entropy of logits `z` with `p = softmax(z)` has `z̄ = L̄ (p − onehot)/N` and
/// `ż̄ = L̄ p ⊙ (ż − p·ż)/N`.
///
/// **Layout and kernels.** Convolution activations are kept channel-major, `[C, N·H·W]`, the
/// layout the im2col GEMMs produce and consume, so no NCHW reordering happens; pooling
/// writes directly into the layout the next layer reads, and caches each window's argmax.
/// conv1 (one input channel, K = 25) is a direct 8-lane SIMD convolution fused with bias,
/// pooling and ReLU; its tangent and parameter adjoints are direct loops over the kept
/// (argmax, ReLU-active) positions only, a quarter or fewer of the conv1 outputs. conv2 runs
/// on blocks of 8 images whose im2col matrix stays in cache; the block stacks the tangent
/// rows over the primal rows, so the tangent `W₂·cols(ȧ₁) + Ẇ₂·cols(a₁)` is one GEMM with
/// `[W₂ | Ẇ₂]` (K = 500) and the input-adjoint tangent `W₂ᵀ·Ẏ̄₂ + Ẇ₂ᵀ·Ȳ₂` one GEMM with
/// `[W₂; Ẇ₂]ᵀ` (K = 40). BLAS transposes through its flags. All buffers are allocated once,
/// for the batch, in the initialiser; the evaluation methods allocate only their returned
/// arrays.
///
/// **Prepared points.** An HVP is a primal forward sweep, a primal reverse sweep (which
/// produce `f(x)` and `∇(αᵀf)`), a tangent forward sweep and a tangent reverse sweep. The
/// primal sweeps depend only on `(x, α)`, so MINRES, which multiplies many vectors by the
/// same `H(α)`, calls ``prepare(at:weights:)`` once and then ``hessianVectorProduct(along:)``
/// per vector: only the two tangent sweeps run. ``hessianVectorProduct(at:along:weights:)``
/// is literally `prepare` followed by the tangent sweeps, so both give bit-identical products.
///
/// **Not thread-safe**: every method writes the shared workspace; use one instance per
/// thread. (Internally, ``parallelism`` tasks split the kernel's own loops.) Results do not
/// depend on ``parallelism`` and depend on the number of OpenBLAS threads only through BLAS's
/// own summation order.
public final class FusedMultiLeNetLoss<Scalar: BLASScalar>: PreparedHessianVectorProducts {
    /// The number of images `N` of the batch.
    public let batchSize: Int
    /// One label array (`N` class indices) per task.
    public let labels: [[Int]]
    /// `n = 22,350`, the MultiLeNet's parameter count.
    public let parameterCount: Int
    /// `m = 2`, one objective per head.
    public var objectiveCount: Int { LeNetShape.tasks }

    /// The number of concurrent tasks the kernel's own loops (the direct conv1 kernels) use, at least 1; defaults to the number of active processors. Work is split by
    /// image or channel with every output computed by one task in a fixed order, so results
    /// are bit-identical for every value. OpenBLAS threads are set separately
    /// (``BLASThreads``).
    public var parallelism: Int {
        get { workspace.parallelism }
        set { workspace.parallelism = Swift.max(1, newValue) }
    }

    private let offsets: LeNetOffsets
    private let flatLabels: [Int]
    private let workspace: FusedMultiLeNetWorkspace<Scalar>
    /// The weights `α` of the prepared point, `nil` when the workspace holds no prepared point.
    private var preparedWeights: [Scalar]?

    /// Builds the loss for one batch and allocates its workspace.
    /// - Parameters:
    ///   - images: The batch, `[N, 1, 28, 28]` (NCHW).
    ///   - labels: Two arrays of `N` class indices in `0..<10`, one per head.
    /// - Throws: ``ModelError`` if the images are not `[N, 1, 28, 28]` or the labels do not
    ///   match the batch and tasks (as `MultiTaskLoss` does); ``FusedMultiLeNetError`` for an
    ///   empty batch or a label out of range.
    public init(images: Tensor<Scalar>, labels: [[Int]]) throws {
        let model = MultiLeNet()
        guard images.rank == 4, Array(images.shape.dropFirst()) == model.inputShape else {
            throw ModelError.inputShape(expected: model.inputShape, actual: images.shape)
        }
        guard labels.count == model.taskCount else {
            throw ModelError.taskCount(expected: model.taskCount, actual: labels.count)
        }
        let batch = images.shape[0]
        for (task, taskLabels) in labels.enumerated() where taskLabels.count != batch {
            throw ModelError.labelCount(task: task, expected: batch, actual: taskLabels.count)
        }
        guard batch > 0 else { throw FusedMultiLeNetError.emptyBatch }
        for (task, taskLabels) in labels.enumerated() {
            if let image = taskLabels.firstIndex(where: { $0 < 0 || $0 >= LeNetShape.classes }) {
                throw FusedMultiLeNetError.labelOutOfRange(
                    task: task, image: image, label: taskLabels[image], classes: LeNetShape.classes)
            }
        }
        batchSize = batch
        self.labels = labels
        flatLabels = labels.flatMap { $0 }
        parameterCount = MultiLeNet.parameterLayout.parameterCount
        offsets = try LeNetOffsets(MultiLeNet.parameterLayout)
        workspace = FusedMultiLeNetWorkspace(batch: batch, parameterCount: parameterCount)
        images.withUnsafeBufferPointer { workspace.loadImages($0.baseAddress!) }
        workspace.parallelism = ProcessInfo.processInfo.activeProcessorCount
    }

    // MARK: Public evaluation

    /// `f(x)`: one primal forward sweep.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite parameter or value.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func values(at x: [Scalar]) throws -> [Scalar] {
        preparedWeights = nil
        try load(x, into: workspace.parameters, argument: "parameters")
        let values = forward()
        try Self.check(values, "objective values")
        return values
    }

    /// `f(x)` and the Jacobian: one primal forward sweep and two reverse sweeps over the cached
    /// activations, seeded with `e₁` and `e₂`.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        preparedWeights = nil
        try load(x, into: workspace.parameters, argument: "parameters")
        let values = forward()
        try Self.check(values, "objective values")
        var rows: [[Scalar]] = []
        for task in 0..<objectiveCount {
            var seed = [Scalar](repeating: 0, count: objectiveCount)
            seed[task] = 1
            backward(weights: seed)
            let row = Array(UnsafeBufferPointer(start: workspace.gradient, count: parameterCount))
            try Self.check(row, "gradient of objective \(task)")
            rows.append(row)
        }
        return (values, rows)
    }

    /// `f(x)` and `Σ αᵢ ∇fᵢ(x)`: one primal forward and one reverse sweep. Leaves `(x, α)`
    /// prepared for ``hessianVectorProduct(along:)``.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func valuesAndWeightedGradient(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        try prepare(at: x, weights: weights)
    }

    /// `f(x)`, `Σ αᵢ ∇fᵢ(x)` and `H(α) v = Σ αᵢ ∇²fᵢ(x) v`: ``prepare(at:weights:)`` followed by
    /// ``hessianVectorProduct(along:)``. Leaves `(x, α)` prepared.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value, gradient or product.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(
        at x: [Scalar], along v: [Scalar], weights: [Scalar]
    ) throws -> HessianVectorProduct<Scalar> {
        guard weights.count == objectiveCount else {
            throw AutodiffError.dimensionMismatch(argument: "weights", expected: objectiveCount, actual: weights.count)
        }
        try Self.check(weights, "weights")
        guard x.count == parameterCount else {
            throw AutodiffError.dimensionMismatch(argument: "parameters", expected: parameterCount, actual: x.count)
        }
        guard v.count == parameterCount else {
            throw AutodiffError.dimensionMismatch(argument: "direction", expected: parameterCount, actual: v.count)
        }
        try Self.check(x, "parameters")
        try Self.check(v, "direction")
        let (values, gradient) = try prepare(at: x, weights: weights)
        let product = try hessianVectorProduct(along: v)
        return HessianVectorProduct(values: values, weightedGradient: gradient, product: product)
    }

    /// Fixed-point mode: runs the primal forward and reverse sweeps at `x` with weights `α`
    /// and keeps every activation, argmax, mask and primal adjoint in the workspace, so that
    /// ``hessianVectorProduct(along:)`` afterwards runs only the tangent sweeps.
    /// - Returns: `f(x)` and `Σ αᵢ ∇fᵢ(x)`.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient (the
    ///   point is then not prepared).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prepare(at x: [Scalar], weights: [Scalar]) throws -> (values: [Scalar], gradient: [Scalar]) {
        preparedWeights = nil
        guard weights.count == objectiveCount else {
            throw AutodiffError.dimensionMismatch(argument: "weights", expected: objectiveCount, actual: weights.count)
        }
        try Self.check(weights, "weights")
        try load(x, into: workspace.parameters, argument: "parameters")
        let values = forward()
        try Self.check(values, "objective values")
        backward(weights: weights)
        let gradient = Array(UnsafeBufferPointer(start: workspace.gradient, count: parameterCount))
        try Self.check(gradient, "weighted gradient")
        preparedWeights = weights
        return (values, gradient)
    }

    /// `H(α) v = Σ αᵢ ∇²fᵢ(x) v` at the prepared point `(x, α)` — the last successful
    /// ``prepare(at:weights:)``, ``valuesAndWeightedGradient(at:weights:)`` or
    /// ``hessianVectorProduct(at:along:weights:)``; ``values(at:)`` and
    /// ``valuesAndJacobian(at:)`` discard it. Runs the tangent forward sweep and the tangent
    /// reverse sweep only, and returns exactly what ``hessianVectorProduct(at:along:weights:)``
    /// returns as `product` for the same `(x, v, α)`.
    /// - Throws: ``FusedMultiLeNetError/notPrepared`` without a prepared point;
    ///   ``AutodiffError`` on a wrong length or a non-finite direction or product.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(along v: [Scalar]) throws -> [Scalar] {
        guard let weights = preparedWeights else { throw FusedMultiLeNetError.notPrepared }
        try load(v, into: workspace.direction, argument: "direction")
        tangentForward()
        tangentBackward(weights: weights)
        let product = Array(UnsafeBufferPointer(start: workspace.product, count: parameterCount))
        try Self.check(product, "Hessian-vector product")
        return product
    }

    // MARK: Argument handling

    private func load(_ vector: [Scalar], into buffer: UnsafeMutablePointer<Scalar>, argument: String) throws {
        guard vector.count == parameterCount else {
            throw AutodiffError.dimensionMismatch(argument: argument, expected: parameterCount, actual: vector.count)
        }
        try Self.check(vector, argument)
        vector.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: parameterCount) }
    }

    private static func check(_ values: [Scalar], _ quantity: String) throws {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw AutodiffError.nonFinite(quantity: quantity, index: index)
        }
    }

    // MARK: Sweeps

    /// The primal forward sweep at `workspace.parameters`; returns `f(x)`.
    private func forward() -> [Scalar] {
        let w = workspace, o = offsets, n = batchSize
        let x = UnsafePointer(w.parameters)
        // conv1 → bias → pool → ReLU, a direct convolution: a₁ [10, N·144] and its argmax.
        w.conv1Forward(weight: x + o.conv1Weight, bias: x + o.conv1Bias)
        // conv2: cols(a₁) into the primal half of the stacked im2col matrix; Y₂ = W₂·cols(a₁).
        for block in w.blocks {
            let (columns, primal) = (block.count * LeNetShape.conv2Positions, w.blockColumns(images: block.count).primal)
            w.im2colConv2(w.a1, block: block, into: primal)
            gemm(.none, .none, LeNetShape.conv2Channels, columns, LeNetShape.conv2PatchSize,
                 x + o.conv2Weight, LeNetShape.conv2PatchSize, primal, columns,
                 0, w.conv2Scratch + block.lowerBound * LeNetShape.conv2Positions, w.conv2Columns)
        }
        w.pool2.forward(w.conv2Scratch, bias: x + o.conv2Bias, output: w.features, argmax: w.argmax2)
        // fc1 + ReLU: a₃ = relu(F·Wf₁ᵀ + bf₁)  [N, 50].
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.features, LeNetShape.features, x + o.fc1Weight, LeNetShape.features, 0, w.hidden, LeNetShape.hidden)
        addBiasAndRelu(w.hidden, bias: x + o.fc1Bias)
        // Heads: z = a₃·W_tᵀ + b_t into the columns 10t ..< 10t + 10 of [N, 20].
        for t in 0..<LeNetShape.tasks {
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hidden, LeNetShape.hidden, x + o.headWeight[t], LeNetShape.hidden, 0, w.logits + t * LeNetShape.classes, LeNetShape.logits)
            addRowBias(w.logits + t * LeNetShape.classes, bias: x + o.headBias[t])
        }
        return softmaxCrossEntropy()
    }

    /// The primal reverse sweep seeded with `weights` (the adjoints of `f`); writes
    /// `Σ αᵢ ∇fᵢ` to `workspace.gradient` and keeps the primal adjoints the tangent sweep needs.
    private func backward(weights: [Scalar]) {
        let w = workspace, o = offsets, n = batchSize
        let x = UnsafePointer(w.parameters), g = w.gradient
        let inverseN = 1 / Scalar(n)
        // z̄ = α_t (p − onehot) / N.
        for t in 0..<LeNetShape.tasks {
            let alpha = weights[t]
            for i in 0..<n {
                let row = i * LeNetShape.logits + t * LeNetShape.classes
                for c in 0..<LeNetShape.classes {
                    var residual = w.probabilities[row + c]
                    if c == flatLabels[t * n + i] { residual -= 1 }
                    w.logitsAdjoint[row + c] = residual * alpha * inverseN
                }
            }
        }
        // Heads: W̄_t = z̄_tᵀ a₃, b̄_t = Σ z̄_t, ā₃ = Σ_t z̄_t W_t.
        for t in 0..<LeNetShape.tasks {
            let zBar = w.logitsAdjoint + t * LeNetShape.classes
            gemm(.transposed, .none, LeNetShape.classes, LeNetShape.hidden, n,
                 zBar, LeNetShape.logits, w.hidden, LeNetShape.hidden, 0, g + o.headWeight[t], LeNetShape.hidden)
            columnSums(zBar, rows: n, columns: LeNetShape.classes, stride: LeNetShape.logits, into: g + o.headBias[t])
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBar, LeNetShape.logits, x + o.headWeight[t], LeNetShape.hidden, t == 0 ? 0 : 1, w.hiddenAdjoint, LeNetShape.hidden)
        }
        // ReLU: z̄₁ = [a₃ > 0] ā₃ (in place); fc1: W̄f₁ = z̄₁ᵀ F, b̄f₁ = Σ z̄₁, F̄ = z̄₁ Wf₁.
        maskByPositive(w.hiddenAdjoint, reference: w.hidden, count: n * LeNetShape.hidden)
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjoint, LeNetShape.hidden, w.features, LeNetShape.features, 0, g + o.fc1Weight, LeNetShape.features)
        columnSums(w.hiddenAdjoint, rows: n, columns: LeNetShape.hidden, stride: LeNetShape.hidden, into: g + o.fc1Bias)
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjoint, LeNetShape.hidden, x + o.fc1Weight, LeNetShape.features, 0, w.featuresAdjoint, LeNetShape.features)
        // ReLU + pool2: Ȳ₂ (the lower half of the stacked adjoint), b̄₂.
        w.pool2.backward(w.featuresAdjoint, reference: w.features, argmax: w.argmax2, into: w.primalConv2Adjoint, biasAdjoint: g + o.conv2Bias)
        // conv2: W̄₂ = Ȳ₂ cols(a₁)ᵀ, cols(ā₁) = W₂ᵀ Ȳ₂, ā₁ = col2im.
        // Block by block (W̄₂ accumulated over the blocks in order).
        for (index, block) in w.blocks.enumerated() {
            let (columns, primal) = (block.count * LeNetShape.conv2Positions, w.blockColumns(images: block.count).primal)
            let yBar = w.primalConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions
            w.im2colConv2(w.a1, block: block, into: primal)
            gemm(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 yBar, w.conv2Columns, primal, columns, index == 0 ? 0 : 1, g + o.conv2Weight, LeNetShape.conv2PatchSize)
            gemm(.transposed, .none, LeNetShape.conv2PatchSize, columns, LeNetShape.conv2Channels,
                 x + o.conv2Weight, LeNetShape.conv2PatchSize, yBar, w.conv2Columns, 0, w.blockColumnsAdjoint2, columns)
            w.col2imConv2(w.blockColumnsAdjoint2, block: block, into: w.a1Adjoint)
        }
        // ReLU + pool1 + conv1: W̄₁, b̄₁ from the kept (argmax, ReLU-active) positions only.
        w.conv1ParameterAdjoint(w.a1Adjoint, weightAdjoint: g + o.conv1Weight, biasAdjoint: g + o.conv1Bias)
    }

    /// The tangent forward sweep along `workspace.direction` at the prepared point.
    private func tangentForward() {
        let w = workspace, o = offsets, n = batchSize
        let x = UnsafePointer(w.parameters), v = UnsafePointer(w.direction)
        // conv1: ȧ₁ = [a₁ > 0] (Ẇ₁·cols(images) + ḃ₁) at the argmax (the images are data).
        w.conv1Tangent(weight: v + o.conv1Weight, bias: v + o.conv1Bias, output: w.a1Tangent)
        // conv2: Ẏ₂ = [W₂ | Ẇ₂]·[cols(ȧ₁); cols(a₁)], one GEMM with K = 500.
        for row in 0..<LeNetShape.conv2Channels {
            let target = w.stackedWeights2 + row * 2 * LeNetShape.conv2PatchSize
            target.update(from: x + o.conv2Weight + row * LeNetShape.conv2PatchSize, count: LeNetShape.conv2PatchSize)
            (target + LeNetShape.conv2PatchSize).update(from: v + o.conv2Weight + row * LeNetShape.conv2PatchSize, count: LeNetShape.conv2PatchSize)
        }
        for block in w.blocks {
            let columns = block.count * LeNetShape.conv2Positions
            let (tangent, primal) = w.blockColumns(images: block.count)
            w.im2colConv2(w.a1Tangent, block: block, into: tangent)
            w.im2colConv2(w.a1, block: block, into: primal)
            gemm(.none, .none, LeNetShape.conv2Channels, columns, 2 * LeNetShape.conv2PatchSize,
                 w.stackedWeights2, 2 * LeNetShape.conv2PatchSize, tangent, columns,
                 0, w.conv2Scratch + block.lowerBound * LeNetShape.conv2Positions, w.conv2Columns)
        }
        w.pool2.tangent(w.conv2Scratch, biasTangent: v + o.conv2Bias, reference: w.features, argmax: w.argmax2, output: w.featuresTangent)
        // fc1: ż₁ = Ḟ Wf₁ᵀ + F Ẇf₁ᵀ + ḃf₁, masked by the ReLU.
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.featuresTangent, LeNetShape.features, x + o.fc1Weight, LeNetShape.features, 0, w.hiddenTangent, LeNetShape.hidden)
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.features, LeNetShape.features, v + o.fc1Weight, LeNetShape.features, 1, w.hiddenTangent, LeNetShape.hidden)
        addBiasAndMask(w.hiddenTangent, bias: v + o.fc1Bias, reference: w.hidden)
        // Heads: ż_t = ȧ₃ W_tᵀ + a₃ Ẇ_tᵀ + ḃ_t.
        for t in 0..<LeNetShape.tasks {
            let target = w.logitsTangent + t * LeNetShape.classes
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hiddenTangent, LeNetShape.hidden, x + o.headWeight[t], LeNetShape.hidden, 0, target, LeNetShape.logits)
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hidden, LeNetShape.hidden, v + o.headWeight[t], LeNetShape.hidden, 1, target, LeNetShape.logits)
            addRowBias(target, bias: v + o.headBias[t])
        }
    }

    /// The tangent reverse sweep; writes `H(α) v` to `workspace.product`.
    private func tangentBackward(weights: [Scalar]) {
        let w = workspace, o = offsets, n = batchSize
        let x = UnsafePointer(w.parameters), v = UnsafePointer(w.direction), h = w.product
        let inverseN = 1 / Scalar(n)
        // ż̄ = α_t p ⊙ (ż − p·ż) / N (the seed α has no tangent).
        for t in 0..<LeNetShape.tasks {
            let alpha = weights[t]
            for i in 0..<n {
                let row = i * LeNetShape.logits + t * LeNetShape.classes
                var dot: Scalar = 0
                for c in 0..<LeNetShape.classes { dot += w.probabilities[row + c] * w.logitsTangent[row + c] }
                for c in 0..<LeNetShape.classes {
                    w.logitsAdjointTangent[row + c] = w.probabilities[row + c] * (w.logitsTangent[row + c] - dot) * alpha * inverseN
                }
            }
        }
        // Heads: Ẇ̄_t = ż̄_tᵀ a₃ + z̄_tᵀ ȧ₃, ḃ̄_t = Σ ż̄_t, ǡ₃ = Σ_t ż̄_t W_t + z̄_t Ẇ_t.
        for t in 0..<LeNetShape.tasks {
            let zBar = w.logitsAdjoint + t * LeNetShape.classes
            let zBarDot = w.logitsAdjointTangent + t * LeNetShape.classes
            gemm(.transposed, .none, LeNetShape.classes, LeNetShape.hidden, n,
                 zBarDot, LeNetShape.logits, w.hidden, LeNetShape.hidden, 0, h + o.headWeight[t], LeNetShape.hidden)
            gemm(.transposed, .none, LeNetShape.classes, LeNetShape.hidden, n,
                 zBar, LeNetShape.logits, w.hiddenTangent, LeNetShape.hidden, 1, h + o.headWeight[t], LeNetShape.hidden)
            columnSums(zBarDot, rows: n, columns: LeNetShape.classes, stride: LeNetShape.logits, into: h + o.headBias[t])
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBarDot, LeNetShape.logits, x + o.headWeight[t], LeNetShape.hidden, t == 0 ? 0 : 1, w.hiddenAdjointTangent, LeNetShape.hidden)
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBar, LeNetShape.logits, v + o.headWeight[t], LeNetShape.hidden, 1, w.hiddenAdjointTangent, LeNetShape.hidden)
        }
        // ReLU (second derivative 0): ż̄₁ = [a₃ > 0] ǡ₃; fc1: Ẇ̄f₁ = ż̄₁ᵀ F + z̄₁ᵀ Ḟ,
        // ḃ̄f₁ = Σ ż̄₁, Ḟ̄ = ż̄₁ Wf₁ + z̄₁ Ẇf₁.
        maskByPositive(w.hiddenAdjointTangent, reference: w.hidden, count: n * LeNetShape.hidden)
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjointTangent, LeNetShape.hidden, w.features, LeNetShape.features, 0, h + o.fc1Weight, LeNetShape.features)
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjoint, LeNetShape.hidden, w.featuresTangent, LeNetShape.features, 1, h + o.fc1Weight, LeNetShape.features)
        columnSums(w.hiddenAdjointTangent, rows: n, columns: LeNetShape.hidden, stride: LeNetShape.hidden, into: h + o.fc1Bias)
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjointTangent, LeNetShape.hidden, x + o.fc1Weight, LeNetShape.features, 0, w.featuresAdjointTangent, LeNetShape.features)
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjoint, LeNetShape.hidden, v + o.fc1Weight, LeNetShape.features, 1, w.featuresAdjointTangent, LeNetShape.features)
        // ReLU + pool2: Ẏ̄₂ (the upper half of the stacked adjoint [Ẏ̄₂; Ȳ₂]), ḃ̄₂.
        w.pool2.backward(w.featuresAdjointTangent, reference: w.features, argmax: w.argmax2, into: w.stackedConv2Adjoint, biasAdjoint: h + o.conv2Bias)
        // conv2: Ẇ̄₂ = Ẏ̄₂ cols(a₁)ᵀ + Ȳ₂ cols(ȧ₁)ᵀ; cols(ǡ₁) = [W₂; Ẇ₂]ᵀ [Ẏ̄₂; Ȳ₂] (K = 40).
        let weightBlock = LeNetShape.conv2Channels * LeNetShape.conv2PatchSize
        w.stackedWeightsTransposed2.update(from: x + o.conv2Weight, count: weightBlock)
        (w.stackedWeightsTransposed2 + weightBlock).update(from: v + o.conv2Weight, count: weightBlock)
        for (index, block) in w.blocks.enumerated() {
            let columns = block.count * LeNetShape.conv2Positions
            let (tangent, primal) = w.blockColumns(images: block.count)
            let yBarStack = w.stackedConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions
            let yBar = w.primalConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions
            w.im2colConv2(w.a1Tangent, block: block, into: tangent)
            w.im2colConv2(w.a1, block: block, into: primal)
            gemm(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 yBarStack, w.conv2Columns, primal, columns, index == 0 ? 0 : 1, h + o.conv2Weight, LeNetShape.conv2PatchSize)
            gemm(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 yBar, w.conv2Columns, tangent, columns, 1, h + o.conv2Weight, LeNetShape.conv2PatchSize)
            gemm(.transposed, .none, LeNetShape.conv2PatchSize, columns, 2 * LeNetShape.conv2Channels,
                 w.stackedWeightsTransposed2, LeNetShape.conv2PatchSize, yBarStack, w.conv2Columns, 0, w.blockColumnsAdjoint2, columns)
            w.col2imConv2(w.blockColumnsAdjoint2, block: block, into: w.a1Adjoint)
        }
        // ReLU + pool1 + conv1: Ẇ̄₁ = Ẏ̄₁ cols(images)ᵀ, ḃ̄₁ (the images have no tangent).
        w.conv1ParameterAdjoint(w.a1Adjoint, weightAdjoint: h + o.conv1Weight, biasAdjoint: h + o.conv1Bias)
    }

    // MARK: Small kernels

    /// Softmax probabilities of both heads into `workspace.probabilities`; returns the two mean
    /// cross-entropies `(1/N) Σᵢ (log Σ_c e^{z_ic} − z_{i,yᵢ})` (log-sum-exp with the row maximum).
    private func softmaxCrossEntropy() -> [Scalar] {
        let w = workspace, n = batchSize
        var values: [Scalar] = []
        for t in 0..<LeNetShape.tasks {
            var total: Scalar = 0
            for i in 0..<n {
                let row = i * LeNetShape.logits + t * LeNetShape.classes
                var maximum = w.logits[row]
                for c in 1..<LeNetShape.classes { maximum = Swift.max(maximum, w.logits[row + c]) }
                var sumExp: Scalar = 0
                for c in 0..<LeNetShape.classes {
                    let e = Scalar.exp(w.logits[row + c] - maximum)
                    w.probabilities[row + c] = e
                    sumExp += e
                }
                for c in 0..<LeNetShape.classes { w.probabilities[row + c] /= sumExp }
                total += maximum + Scalar.log(sumExp) - w.logits[row + flatLabels[t * n + i]]
            }
            values.append(total * (1 / Scalar(n)))
        }
        return values
    }

    /// `a = max(a + b, 0)` row by row for `a [N, 50]`.
    private func addBiasAndRelu(_ a: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>) {
        for i in 0..<batchSize {
            let row = a + i * LeNetShape.hidden
            for j in 0..<LeNetShape.hidden { row[j] = Swift.max(row[j] + bias[j], 0) }
        }
    }

    /// `ȧ = [a > 0] (ȧ + ḃ)` row by row for `[N, 50]` (the tangent of ReLU(z + b)).
    private func addBiasAndMask(_ a: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>, reference: UnsafePointer<Scalar>) {
        for i in 0..<batchSize {
            let row = a + i * LeNetShape.hidden, mask = reference + i * LeNetShape.hidden
            for j in 0..<LeNetShape.hidden { row[j] = mask[j] > 0 ? row[j] + bias[j] : 0 }
        }
    }

    /// Adds `bias[0..<10]` to each of the `N` rows of a logits block (row stride 20).
    private func addRowBias(_ a: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>) {
        for i in 0..<batchSize {
            let row = a + i * LeNetShape.logits
            for c in 0..<LeNetShape.classes { row[c] += bias[c] }
        }
    }

    /// `a = [reference > 0] a` elementwise (the ReLU's adjoint, from its output).
    private func maskByPositive(_ a: UnsafeMutablePointer<Scalar>, reference: UnsafePointer<Scalar>, count: Int) {
        for k in 0..<count where !(reference[k] > 0) { a[k] = 0 }
    }

    /// Column sums of a `rows × columns` block with row stride `stride` (a bias adjoint).
    private func columnSums(
        _ a: UnsafePointer<Scalar>, rows: Int, columns: Int, stride: Int, into sums: UnsafeMutablePointer<Scalar>
    ) {
        for c in 0..<columns { sums[c] = 0 }
        for i in 0..<rows {
            for c in 0..<columns { sums[c] += a[i * stride + c] }
        }
    }

    /// `C ← op(A)·op(B) + β C` (row-major BLAS, α = 1).
    @inline(__always)
    private func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Scalar>, _ lda: Int, _ b: UnsafePointer<Scalar>, _ ldb: Int,
        _ beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, _ ldc: Int
    ) {
        Scalar.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
