import Autodiff
import Dispatch
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
struct FusedMultiLeNetOffsets {
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
/// conv1 (one input channel, K = 25) is a direct convolution fused with bias, pooling and
/// ReLU; its tangent and parameter adjoints are direct loops over the kept (argmax,
/// ReLU-active) positions only, a quarter or fewer of the conv1 outputs. These loops and
/// conv2's pooling are C (the CKernels target) in an AVX2+FMA and a portable variant chosen
/// by cpuid (``FusedMultiLeNetVectorKernels``). conv2 runs
/// on blocks of 8 images whose im2col matrix stays in cache; the block stacks the tangent
/// rows over the primal rows, so the tangent `W₂·cols(ȧ₁) + Ẇ₂·cols(a₁)` is one GEMM with
/// `[W₂ | Ẇ₂]` (K = 500) and the input-adjoint tangent `W₂ᵀ·Ẏ̄₂ + Ẇ₂ᵀ·Ȳ₂` one GEMM with
/// `[W₂; Ẇ₂]ᵀ` (K = 40). BLAS transposes through its flags. All buffers are allocated once,
/// for the batch, in the initialiser; the evaluation methods allocate only their returned
/// arrays.
///
/// **Shards and threads.** The batch is cut into shards of ``shardImages`` consecutive images,
/// each with its own workspace; every sweep runs shard by shard, and ``parallelism`` tasks
/// take contiguous runs of shards concurrently. BLAS is called single-threaded (OpenBLAS is
/// set to one thread for the duration of a sweep and restored afterwards). The
/// shards' losses, gradients and products are then summed in shard order. Two cores thus
/// work on independent images with no synchronisation inside a sweep, instead of splitting
/// every small GEMM between threads (which, measured at batch 256, is slower than one thread).
///
/// **Prepared points.** An HVP is a primal forward sweep, a primal reverse sweep (which
/// produce `f(x)` and `∇(αᵀf)`), a tangent forward sweep and a tangent reverse sweep. The
/// primal sweeps depend only on `(x, α)`, so MINRES, which multiplies many vectors by the
/// same `H(α)`, calls ``prepare(at:weights:)`` once and then ``hessianVectorProduct(along:)``
/// per vector: only the two tangent sweeps run. ``hessianVectorProduct(at:along:weights:)``
/// is literally `prepare` followed by the tangent sweeps, so both give bit-identical products.
///
/// **Not thread-safe**: every method writes the shared workspaces; use one instance per
/// thread. Results are bit-identical for every ``parallelism`` and every OpenBLAS thread
/// count (the shards do not depend on either, each GEMM runs on one thread, and the shards
/// are reduced in a fixed order).
public final class FusedMultiLeNetLoss<Scalar: BLASScalar>: PreparedHessianVectorProducts {
    /// The number of images `N` of the batch.
    public let batchSize: Int
    /// One label array (`N` class indices) per task.
    public let labels: [[Int]]
    /// `n = 22,350`, the MultiLeNet's parameter count.
    public let parameterCount: Int
    /// `m = 2`, one objective per head.
    public var objectiveCount: Int { LeNetShape.tasks }

    /// The number of concurrent tasks that run the shards, at least 1; defaults to the number
    /// of active processors. With one, the shards run in the calling thread. Each task calls
    /// BLAS single-threaded. Results are bit-identical for every value.
    public var parallelism: Int {
        get { tasks }
        set { tasks = Swift.max(1, newValue) }
    }

    /// Images per shard: a constant, so results do not depend on the machine or on
    /// ``parallelism``. 64 images give four shards (two per core) at batch 256 and leave the
    /// conv2 blocks (8 images) unchanged.
    public static var shardImages: Int { 64 }

    private var tasks = 1
    let shards: [FusedMultiLeNetShard<Scalar>]
    /// Times the reductions and argument checks when set (profiling).
    var recorder: FusedMultiLeNetRecorder?
    /// `x` and `v` of the current sweep.
    private let parameters, direction: UnsafeMutablePointer<Scalar>
    /// The weights `α` of the prepared point, `nil` when the workspaces hold no prepared point.
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
        let parameterCount = MultiLeNet.parameterLayout.parameterCount
        self.parameterCount = parameterCount
        let offsets = try FusedMultiLeNetOffsets(MultiLeNet.parameterLayout)
        shards = images.withUnsafeBufferPointer { source in
            stride(from: 0, to: batch, by: Self.shardImages).map { start in
                FusedMultiLeNetShard(
                    images: start ..< Swift.min(start + Self.shardImages, batch), source: source.baseAddress!,
                    labels: labels, batchSize: batch, parameterCount: parameterCount, offsets: offsets)
            }
        }
        func allocate() -> UnsafeMutablePointer<Scalar> {
            let p = UnsafeMutablePointer<Scalar>.allocate(capacity: parameterCount)
            p.initialize(repeating: 0, count: parameterCount)
            return p
        }
        (parameters, direction) = (allocate(), allocate())
        tasks = ProcessInfo.processInfo.activeProcessorCount
    }

    deinit {
        parameters.deallocate()
        direction.deallocate()
    }

    // MARK: Public evaluation

    /// `f(x)`: one primal forward sweep.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite parameter or value.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func values(at x: [Scalar]) throws -> [Scalar] {
        preparedWeights = nil
        try load(x, into: parameters, argument: "parameters")
        let values = primalSweeps()
        try Self.check(values, "objective values")
        return values
    }

    /// The logits of both heads at `x`, `[N, 10]` each (head `fc3_1` first): one primal forward
    /// sweep, the forward pass of `MultiLeNet.logits(parameters:images:)` without a tape (for
    /// evaluation: loss and accuracy from the logits).
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite parameter or value.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(at x: [Scalar]) throws -> [Tensor<Scalar>] {
        _ = try values(at: x)
        let classes = LeNetShape.classes
        return try (0..<LeNetShape.tasks).map { t in
            var scalars = [Scalar](repeating: 0, count: batchSize * classes)
            for shard in shards {
                for i in 0..<shard.batchSize {
                    let row = shard.workspace.logits + i * LeNetShape.logits + t * classes
                    for c in 0..<classes { scalars[(shard.images.lowerBound + i) * classes + c] = row[c] }
                }
            }
            return try Tensor(shape: [batchSize, classes], scalars: scalars)
        }
    }

    /// `f(x)` and the Jacobian: one primal forward sweep and two reverse sweeps over the cached
    /// activations, seeded with `e₁` and `e₂`.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value or gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func valuesAndJacobian(at x: [Scalar]) throws -> (values: [Scalar], jacobian: [[Scalar]]) {
        preparedWeights = nil
        try load(x, into: parameters, argument: "parameters")
        let values = primalSweeps { x, shard in
            shard.backward(at: x, weights: [1, 0], into: shard.workspace.gradient)
            shard.backward(at: x, weights: [0, 1], into: shard.workspace.secondGradient)
        }
        try Self.check(values, "objective values")
        let rows = [
            try reduced("gradient of objective 0") { $0.workspace.gradient },
            try reduced("gradient of objective 1") { $0.workspace.secondGradient },
        ]
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

    /// `f(x)`, `Σ αᵢ ∇fᵢ(x)` and `H(α) v = Σ αᵢ ∇²fᵢ(x) v`: the same sweeps and results as
    /// ``prepare(at:weights:)`` followed by ``hessianVectorProduct(along:)``, with each shard's
    /// four sweeps run back to back. Leaves `(x, α)` prepared.
    /// - Throws: ``AutodiffError`` on a wrong length or a non-finite value, gradient or product.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(
        at x: [Scalar], along v: [Scalar], weights: [Scalar]
    ) throws -> HessianVectorProduct<Scalar> {
        preparedWeights = nil
        try checkWeights(weights)
        try load(x, into: parameters, argument: "parameters")
        try load(v, into: direction, argument: "direction")
        // Each shard runs all four sweeps while its activations are still in cache; the shards'
        // operations and the reductions are those of `prepare` + `hessianVectorProduct(along:)`.
        let direction = UnsafePointer(self.direction)
        let values = primalSweeps { x, shard in
            shard.backward(at: x, weights: weights, into: shard.workspace.gradient)
            shard.tangentForward(at: x, along: direction, into: shard.workspace.product)
            shard.tangentBackward(at: x, along: direction, weights: weights, into: shard.workspace.product)
        }
        try Self.check(values, "objective values")
        let weightedGradient = try reduced("weighted gradient") { $0.workspace.gradient }
        preparedWeights = weights
        let product = try reduced("Hessian-vector product") { $0.workspace.product }
        return HessianVectorProduct(values: values, weightedGradient: weightedGradient, product: product)
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
        try checkWeights(weights)
        try load(x, into: parameters, argument: "parameters")
        let values = primalSweeps { x, shard in shard.backward(at: x, weights: weights, into: shard.workspace.gradient) }
        try Self.check(values, "objective values")
        let weightedGradient = try reduced("weighted gradient") { $0.workspace.gradient }
        preparedWeights = weights
        return (values, weightedGradient)
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
        try load(v, into: direction, argument: "direction")
        let (x, v) = (UnsafePointer(parameters), UnsafePointer(direction))
        runShards { _, shard in
            shard.tangentForward(at: x, along: v, into: shard.workspace.product)
            shard.tangentBackward(at: x, along: v, weights: weights, into: shard.workspace.product)
        }
        return try reduced("Hessian-vector product") { $0.workspace.product }
    }

    // MARK: Shards

    /// The primal forward sweep of every shard at ``parameters``, each followed by `reverse`
    /// (the shard's reverse sweeps, if any); returns the batch means `(1/N) Σ_shards` of the
    /// shards' summed losses, added in shard order.
    private func primalSweeps(
        then reverse: (UnsafePointer<Scalar>, FusedMultiLeNetShard<Scalar>) -> Void = { _, _ in }
    ) -> [Scalar] {
        let x = UnsafePointer(parameters)
        var partialValues = [[Scalar]](repeating: [], count: shards.count)
        partialValues.withUnsafeMutableBufferPointer { partial in
            runShards { index, shard in
                partial[index] = shard.forward(at: x)
                reverse(x, shard)
            }
        }
        var sums = [Scalar](repeating: 0, count: objectiveCount)
        for shardValues in partialValues {
            for t in 0..<objectiveCount { sums[t] += shardValues[t] }
        }
        return sums.map { $0 / Scalar(batchSize) }
    }

    /// Runs `body(index, shard)` for every shard with BLAS single-threaded for the duration: in
    /// order in the calling thread when one task runs them, otherwise with ``parallelism``
    /// tasks each taking a contiguous run of shards, on the persistent workers of
    /// ``ShardWorkerPool`` (the calling thread runs the first run).
    private func runShards(_ body: (Int, FusedMultiLeNetShard<Scalar>) -> Void) {
        let blasThreads = BLASThreads.count
        if blasThreads > 1 { BLASThreads.set(1) }
        defer { if blasThreads > 1 { BLASThreads.set(blasThreads) } }
        let taskCount = Swift.min(tasks, shards.count)
        guard taskCount > 1 else {
            for (index, shard) in shards.enumerated() { body(index, shard) }
            return
        }
        let shards = self.shards
        // Each shard writes only its own workspace (and the caller's per-shard slot), so the
        // tasks share no mutable state.
        ShardWorkerPool.shared.run(tasks: taskCount) { task in
            let start = shards.count * task / taskCount, end = shards.count * (task + 1) / taskCount
            for index in start..<end { body(index, shards[index]) }
        }
    }

    /// `Σ_shards part(shard)` element by element, the shards added in order (so the sum does not
    /// depend on how many tasks compute it), checked for non-finite entries (`quantity` names
    /// them in the error).
    private func reduced(
        _ quantity: String, _ part: (FusedMultiLeNetShard<Scalar>) -> UnsafeMutablePointer<Scalar>
    ) throws -> [Scalar] {
        let parts = shards.map(part)
        var sum: [Scalar] = []
        let bytes = Double((parts.count + 2) * parameterCount * MemoryLayout<Scalar>.stride)
        recorder.measure(.reduction, bytes: bytes) {
            sum = [Scalar](unsafeUninitializedCapacity: parameterCount) { output, count in
                _ = output.initialize(from: UnsafeBufferPointer(start: parts[0], count: parameterCount))
                for next in parts.dropFirst() {
                    for k in 0..<parameterCount { output[k] += next[k] }
                }
                count = parameterCount
            }
        }
        try Self.check(sum, quantity)
        return sum
    }

    // MARK: Argument handling

    private func checkWeights(_ weights: [Scalar]) throws {
        guard weights.count == objectiveCount else {
            throw AutodiffError.dimensionMismatch(argument: "weights", expected: objectiveCount, actual: weights.count)
        }
        try Self.check(weights, "weights")
    }

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

}
