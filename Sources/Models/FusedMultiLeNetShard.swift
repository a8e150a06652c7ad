import CKernels
import LinearAlgebra

private typealias LeNetShape = FusedMultiLeNetShape

/// One shard of a ``FusedMultiLeNetLoss``: a contiguous range of the batch's images with its
/// own workspace, running the four sweeps (primal forward and reverse, tangent forward and
/// reverse) on its images only. Losses are returned as sums over the shard and adjoints are
/// seeded with `normalisation = 1/N` of the whole batch, so the batch's mean losses, weighted
/// gradient and `H(α) v` are the sums of the shards' results (reduced by the loss in shard
/// order, hence independent of how many tasks run the shards).
final class FusedMultiLeNetShard<Scalar: BLASScalar> {
    /// The images of the batch this shard covers.
    let images: Range<Int>
    var batchSize: Int { images.count }
    let offsets: FusedMultiLeNetOffsets
    /// The shard's labels, task-major: `flatLabels[t·|shard| + i]`.
    let flatLabels: [Int]
    /// `1/N` for the whole batch's `N`.
    let normalisation: Scalar
    let workspace: FusedMultiLeNetWorkspace<Scalar>
    /// Times the kernels when set (``FusedMultiLeNetLoss/profiledHessianVectorProduct(at:along:weights:)``).
    var recorder: FusedMultiLeNetRecorder?
    /// Bytes per scalar, for the memory-bound kernels' traffic.
    private var scalarBytes: Double { Double(MemoryLayout<Scalar>.stride) }

    init(images: Range<Int>, source: UnsafePointer<Scalar>, labels: [[Int]], batchSize: Int,
         parameterCount: Int, offsets: FusedMultiLeNetOffsets) {
        self.images = images
        self.offsets = offsets
        flatLabels = labels.flatMap { $0[images] }
        normalisation = 1 / Scalar(batchSize)
        workspace = FusedMultiLeNetWorkspace(batch: images.count, parameterCount: parameterCount)
        workspace.loadImages(source + images.lowerBound * LeNetShape.imagePixels)
    }

    // MARK: Sweeps

    /// The primal forward sweep at `x`; returns the shard's summed cross-entropies
    /// `Σ_{i ∈ shard} ℓᵢₜ` per task `t` (the batch mean is `normalisation ·` the sum over shards).
    func forward(at x: UnsafePointer<Scalar>) -> [Scalar] {
        let w = workspace, o = offsets, n = batchSize
        // conv1 → bias → pool → ReLU, a direct convolution: a₁ [10, N·144] and its argmax.
        recorder.measure(.conv1Forward, flop: Double(2 * LeNetShape.kernelArea * LeNetShape.conv1Positions * LeNetShape.conv1Channels * n)) {
            w.conv1Forward(weight: x + o.conv1Weight, bias: x + o.conv1Bias)
        }
        // conv2: cols(a₁) into the primal half of the stacked im2col matrix; Y₂ = W₂·cols(a₁).
        for block in w.blocks {
            let (columns, primal) = (block.count * LeNetShape.conv2Positions, w.blockColumns(images: block.count).primal)
            im2col(w.a1, block: block, into: primal)
            conv2GEMM(.none, .none, LeNetShape.conv2Channels, columns, LeNetShape.conv2PatchSize,
                 x + o.conv2Weight, LeNetShape.conv2PatchSize, primal, columns,
                 0, w.conv2Scratch + block.lowerBound * LeNetShape.conv2Positions, w.conv2Columns)
        }
        recorder.measure(.pooling, bytes: poolingBytes(.forward)) {
            w.pool2.forward(w.conv2Scratch, bias: x + o.conv2Bias, output: w.features, argmax: w.argmax2)
        }
        // fc1 + ReLU: a₃ = relu(F·Wf₁ᵀ + bf₁)  [N, 50].
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.features, LeNetShape.features, x + o.fc1Weight, LeNetShape.features, 0, w.hidden, LeNetShape.hidden)
        recorder.measure(.elementwise) { addBiasAndRelu(w.hidden, bias: x + o.fc1Bias) }
        // Heads: z = a₃·W_tᵀ + b_t into the columns 10t ..< 10t + 10 of [N, 20].
        for t in 0..<LeNetShape.tasks {
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hidden, LeNetShape.hidden, x + o.headWeight[t], LeNetShape.hidden, 0, w.logits + t * LeNetShape.classes, LeNetShape.logits)
            recorder.measure(.elementwise) { addRowBias(w.logits + t * LeNetShape.classes, bias: x + o.headBias[t]) }
        }
        var values: [Scalar] = []
        recorder.measure(.elementwise) { values = softmaxCrossEntropy() }
        return values
    }

    /// The primal reverse sweep at `x` (after ``forward(at:)``) seeded with `weights` (the
    /// adjoints of the batch means `f`); writes the shard's part of `Σ αᵢ ∇fᵢ` to `g` and keeps
    /// the primal adjoints the tangent sweep needs.
    func backward(at x: UnsafePointer<Scalar>, weights: [Scalar], into g: UnsafeMutablePointer<Scalar>) {
        let w = workspace, o = offsets, n = batchSize
        let inverseN = normalisation
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
            recorder.measure(.elementwise) { columnSums(zBar, rows: n, columns: LeNetShape.classes, stride: LeNetShape.logits, into: g + o.headBias[t]) }
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBar, LeNetShape.logits, x + o.headWeight[t], LeNetShape.hidden, t == 0 ? 0 : 1, w.hiddenAdjoint, LeNetShape.hidden)
        }
        // ReLU: z̄₁ = [a₃ > 0] ā₃ (in place); fc1: W̄f₁ = z̄₁ᵀ F, b̄f₁ = Σ z̄₁, F̄ = z̄₁ Wf₁.
        recorder.measure(.elementwise) { maskByPositive(w.hiddenAdjoint, reference: w.hidden, count: n * LeNetShape.hidden) }
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjoint, LeNetShape.hidden, w.features, LeNetShape.features, 0, g + o.fc1Weight, LeNetShape.features)
        recorder.measure(.elementwise) { columnSums(w.hiddenAdjoint, rows: n, columns: LeNetShape.hidden, stride: LeNetShape.hidden, into: g + o.fc1Bias) }
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjoint, LeNetShape.hidden, x + o.fc1Weight, LeNetShape.features, 0, w.featuresAdjoint, LeNetShape.features)
        // ReLU + pool2: Ȳ₂ (the lower half of the stacked adjoint), b̄₂.
        recorder.measure(.pooling, bytes: poolingBytes(.backward)) {
            w.pool2.backward(w.featuresAdjoint, reference: w.features, argmax: w.argmax2, into: w.primalConv2Adjoint, biasAdjoint: g + o.conv2Bias)
        }
        // conv2: W̄₂ = Ȳ₂ cols(a₁)ᵀ, cols(ā₁) = W₂ᵀ Ȳ₂, ā₁ = col2im.
        // Block by block (W̄₂ accumulated over the blocks in order).
        for (index, block) in w.blocks.enumerated() {
            let (columns, primal) = (block.count * LeNetShape.conv2Positions, w.blockColumns(images: block.count).primal)
            let yBar = w.primalConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions
            im2col(w.a1, block: block, into: primal)
            conv2GEMM(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 yBar, w.conv2Columns, primal, columns, index == 0 ? 0 : 1, g + o.conv2Weight, LeNetShape.conv2PatchSize)
            conv2GEMM(.transposed, .none, LeNetShape.conv2PatchSize, columns, LeNetShape.conv2Channels,
                 x + o.conv2Weight, LeNetShape.conv2PatchSize, yBar, w.conv2Columns, 0, w.blockColumnsAdjoint2, columns)
            col2im(w.blockColumnsAdjoint2, block: block, into: w.a1Adjoint)
        }
        // ReLU + pool1 + conv1: W̄₁, b̄₁ from the kept (argmax, ReLU-active) positions only.
        recorder.measure(.conv1ParameterAdjoint, flop: Double(2 * LeNetShape.kernelArea * w.activeUnitCount)) {
            w.conv1ParameterAdjoint(w.a1Adjoint, weightAdjoint: g + o.conv1Weight, biasAdjoint: g + o.conv1Bias)
        }
    }

    /// The tangent forward sweep along `v` at the prepared point `x`. While each conv2 block's
    /// `cols(ȧ₁)` is in cache it also writes the part `Ȳ₂·cols(ȧ₁)ᵀ` of conv2's weight-adjoint
    /// tangent to `h` (`Ȳ₂` is a primal adjoint, known at the prepared point), so the tangent
    /// reverse sweep needs only `cols(a₁)`.
    func tangentForward(at x: UnsafePointer<Scalar>, along v: UnsafePointer<Scalar>, into h: UnsafeMutablePointer<Scalar>) {
        let w = workspace, o = offsets, n = batchSize
        // conv1: ȧ₁ = [a₁ > 0] (Ẇ₁·cols(images) + ḃ₁) at the argmax (the images are data).
        recorder.measure(.conv1Tangent, flop: Double(2 * LeNetShape.kernelArea * w.activeUnitCount)) {
            w.conv1Tangent(weight: v + o.conv1Weight, bias: v + o.conv1Bias, output: w.a1Tangent)
        }
        // conv2: Ẏ₂ = [W₂ | Ẇ₂]·[cols(ȧ₁); cols(a₁)], one GEMM with K = 500.
        for row in 0..<LeNetShape.conv2Channels {
            let target = w.stackedWeights2 + row * 2 * LeNetShape.conv2PatchSize
            target.update(from: x + o.conv2Weight + row * LeNetShape.conv2PatchSize, count: LeNetShape.conv2PatchSize)
            (target + LeNetShape.conv2PatchSize).update(from: v + o.conv2Weight + row * LeNetShape.conv2PatchSize, count: LeNetShape.conv2PatchSize)
        }
        for (index, block) in w.blocks.enumerated() {
            let columns = block.count * LeNetShape.conv2Positions
            let (tangent, primal) = w.blockColumns(images: block.count)
            im2col(w.a1Tangent, block: block, into: tangent)
            im2col(w.a1, block: block, into: primal)
            conv2GEMM(.none, .none, LeNetShape.conv2Channels, columns, 2 * LeNetShape.conv2PatchSize,
                 w.stackedWeights2, 2 * LeNetShape.conv2PatchSize, tangent, columns,
                 0, w.conv2Scratch + block.lowerBound * LeNetShape.conv2Positions, w.conv2Columns)
            // Ẇ̄₂ ← Σ_blocks Ȳ₂ cols(ȧ₁)ᵀ in block order (tangentBackward adds Ẏ̄₂ cols(a₁)ᵀ).
            conv2GEMM(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 w.primalConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions, w.conv2Columns, tangent, columns,
                 index == 0 ? 0 : 1, h + o.conv2Weight, LeNetShape.conv2PatchSize)
        }
        recorder.measure(.pooling, bytes: poolingBytes(.tangent)) {
            w.pool2.tangent(w.conv2Scratch, biasTangent: v + o.conv2Bias, reference: w.features, argmax: w.argmax2, output: w.featuresTangent)
        }
        // fc1: ż₁ = Ḟ Wf₁ᵀ + F Ẇf₁ᵀ + ḃf₁, masked by the ReLU.
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.featuresTangent, LeNetShape.features, x + o.fc1Weight, LeNetShape.features, 0, w.hiddenTangent, LeNetShape.hidden)
        gemm(.none, .transposed, n, LeNetShape.hidden, LeNetShape.features,
             w.features, LeNetShape.features, v + o.fc1Weight, LeNetShape.features, 1, w.hiddenTangent, LeNetShape.hidden)
        recorder.measure(.elementwise) { addBiasAndMask(w.hiddenTangent, bias: v + o.fc1Bias, reference: w.hidden) }
        // Heads: ż_t = ȧ₃ W_tᵀ + a₃ Ẇ_tᵀ + ḃ_t.
        for t in 0..<LeNetShape.tasks {
            let target = w.logitsTangent + t * LeNetShape.classes
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hiddenTangent, LeNetShape.hidden, x + o.headWeight[t], LeNetShape.hidden, 0, target, LeNetShape.logits)
            gemm(.none, .transposed, n, LeNetShape.classes, LeNetShape.hidden,
                 w.hidden, LeNetShape.hidden, v + o.headWeight[t], LeNetShape.hidden, 1, target, LeNetShape.logits)
            recorder.measure(.elementwise) { addRowBias(target, bias: v + o.headBias[t]) }
        }
    }

    /// The tangent reverse sweep after ``tangentForward(at:along:)``; writes the shard's part
    /// of `H(α) v` to `h`.
    func tangentBackward(at x: UnsafePointer<Scalar>, along v: UnsafePointer<Scalar>, weights: [Scalar], into h: UnsafeMutablePointer<Scalar>) {
        let w = workspace, o = offsets, n = batchSize
        let inverseN = normalisation
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
            recorder.measure(.elementwise) { columnSums(zBarDot, rows: n, columns: LeNetShape.classes, stride: LeNetShape.logits, into: h + o.headBias[t]) }
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBarDot, LeNetShape.logits, x + o.headWeight[t], LeNetShape.hidden, t == 0 ? 0 : 1, w.hiddenAdjointTangent, LeNetShape.hidden)
            gemm(.none, .none, n, LeNetShape.hidden, LeNetShape.classes,
                 zBar, LeNetShape.logits, v + o.headWeight[t], LeNetShape.hidden, 1, w.hiddenAdjointTangent, LeNetShape.hidden)
        }
        // ReLU (second derivative 0): ż̄₁ = [a₃ > 0] ǡ₃; fc1: Ẇ̄f₁ = ż̄₁ᵀ F + z̄₁ᵀ Ḟ,
        // ḃ̄f₁ = Σ ż̄₁, Ḟ̄ = ż̄₁ Wf₁ + z̄₁ Ẇf₁.
        recorder.measure(.elementwise) { maskByPositive(w.hiddenAdjointTangent, reference: w.hidden, count: n * LeNetShape.hidden) }
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjointTangent, LeNetShape.hidden, w.features, LeNetShape.features, 0, h + o.fc1Weight, LeNetShape.features)
        gemm(.transposed, .none, LeNetShape.hidden, LeNetShape.features, n,
             w.hiddenAdjoint, LeNetShape.hidden, w.featuresTangent, LeNetShape.features, 1, h + o.fc1Weight, LeNetShape.features)
        recorder.measure(.elementwise) { columnSums(w.hiddenAdjointTangent, rows: n, columns: LeNetShape.hidden, stride: LeNetShape.hidden, into: h + o.fc1Bias) }
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjointTangent, LeNetShape.hidden, x + o.fc1Weight, LeNetShape.features, 0, w.featuresAdjointTangent, LeNetShape.features)
        gemm(.none, .none, n, LeNetShape.features, LeNetShape.hidden,
             w.hiddenAdjoint, LeNetShape.hidden, v + o.fc1Weight, LeNetShape.features, 1, w.featuresAdjointTangent, LeNetShape.features)
        // ReLU + pool2: Ẏ̄₂ (the upper half of the stacked adjoint [Ẏ̄₂; Ȳ₂]), ḃ̄₂.
        recorder.measure(.pooling, bytes: poolingBytes(.backward)) {
            w.pool2.backward(w.featuresAdjointTangent, reference: w.features, argmax: w.argmax2, into: w.stackedConv2Adjoint, biasAdjoint: h + o.conv2Bias)
        }
        // conv2: add Ẏ̄₂ cols(a₁)ᵀ to conv2's weight-adjoint tangent (Ȳ₂ cols(ȧ₁)ᵀ is there from the
        // tangent forward sweep); cols(ǡ₁) = [W₂; Ẇ₂]ᵀ [Ẏ̄₂; Ȳ₂] (K = 40).
        let weightBlock = LeNetShape.conv2Channels * LeNetShape.conv2PatchSize
        w.stackedWeightsTransposed2.update(from: x + o.conv2Weight, count: weightBlock)
        (w.stackedWeightsTransposed2 + weightBlock).update(from: v + o.conv2Weight, count: weightBlock)
        for block in w.blocks {
            let columns = block.count * LeNetShape.conv2Positions
            let primal = w.blockColumns(images: block.count).primal
            let yBarStack = w.stackedConv2Adjoint + block.lowerBound * LeNetShape.conv2Positions
            im2col(w.a1, block: block, into: primal)
            conv2GEMM(.none, .transposed, LeNetShape.conv2Channels, LeNetShape.conv2PatchSize, columns,
                 yBarStack, w.conv2Columns, primal, columns, 1, h + o.conv2Weight, LeNetShape.conv2PatchSize)
            conv2GEMM(.transposed, .none, LeNetShape.conv2PatchSize, columns, 2 * LeNetShape.conv2Channels,
                 w.stackedWeightsTransposed2, LeNetShape.conv2PatchSize, yBarStack, w.conv2Columns, 0, w.blockColumnsAdjoint2, columns)
            col2im(w.blockColumnsAdjoint2, block: block, into: w.a1Adjoint)
        }
        // ReLU + pool1 + conv1: Ẇ̄₁ = Ẏ̄₁ cols(images)ᵀ, ḃ̄₁ (the images have no tangent).
        recorder.measure(.conv1ParameterAdjoint, flop: Double(2 * LeNetShape.kernelArea * w.activeUnitCount)) {
            w.conv1ParameterAdjoint(w.a1Adjoint, weightAdjoint: h + o.conv1Weight, biasAdjoint: h + o.conv1Bias)
        }
    }

    // MARK: Small kernels

    /// Softmax probabilities of both heads into `workspace.probabilities`; returns the two
    /// summed cross-entropies `Σᵢ (log Σ_c e^{z_ic} − z_{i,yᵢ})` over the shard (log-sum-exp
    /// with the row maximum).
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
            values.append(total)
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

    /// `C ← op(A)·op(B) + β C` (row-major BLAS, α = 1), timed as `kernel` when profiling.
    @inline(__always)
    private func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Scalar>, _ lda: Int, _ b: UnsafePointer<Scalar>, _ ldb: Int,
        _ beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, _ ldc: Int, in kernel: FusedMultiLeNetKernel = .denseGEMM
    ) {
        recorder.measure(kernel, flop: Double(2 * m * n * k)) {
            Scalar.gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// One of conv2's GEMMs, `C ← op(A)·op(B) + β C` (row-major, α = 1, β 0 or 1), timed as
    /// ``FusedMultiLeNetKernel/conv2GEMM``. With the AVX-512 kernels selected
    /// (``FusedMultiLeNetVectorKernels/Variant/avx512``), `Float` and `Double` run CKernels'
    /// 512-bit conv2 kernels (`ck_conv2_gemm_*`, one fixed summation order per element);
    /// otherwise, or for a shape they do not handle, BLAS.
    @inline(__always)
    private func conv2GEMM(
        _ transposeA: Transpose, _ transposeB: Transpose, _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Scalar>, _ lda: Int, _ b: UnsafePointer<Scalar>, _ ldb: Int,
        _ beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, _ ldc: Int
    ) {
        recorder.measure(.conv2GEMM, flop: Double(2 * m * n * k)) {
            if conv2KernelGEMM(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc) { return }
            Scalar.gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Runs a conv2 GEMM in CKernels when the selected variant and the shape allow; returns
    /// whether it did (`C` untouched otherwise).
    @inline(__always)
    private func conv2KernelGEMM(
        _ transposeA: Transpose, _ transposeB: Transpose, _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Scalar>, _ lda: Int, _ b: UnsafePointer<Scalar>, _ ldb: Int,
        _ beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, _ ldc: Int
    ) -> Bool {
        guard beta == 0 || beta == 1 else { return false }
        let accumulate: Int32 = beta == 0 ? 0 : 1
        switch (transposeA, transposeB) {
        case (.none, .none) where m == 20 && beta == 0:
            if Scalar.self == Float.self {
                return ck_conv2_gemm_nn20_f32(
                    n, k, rebound(a, Float.self), lda, rebound(b, Float.self), ldb, reboundMutable(c, Float.self), ldc,
                    reboundMutable(workspace.conv2GEMMScratch, Float.self)) != 0
            } else if Scalar.self == Double.self {
                return ck_conv2_gemm_nn20_f64(
                    n, k, rebound(a, Double.self), lda, rebound(b, Double.self), ldb, reboundMutable(c, Double.self), ldc,
                    reboundMutable(workspace.conv2GEMMScratch, Double.self)) != 0
            }
        case (.none, .transposed) where m == 20:
            if Scalar.self == Float.self {
                return ck_conv2_gemm_nt20_f32(n, k, rebound(a, Float.self), lda, rebound(b, Float.self), ldb, accumulate, reboundMutable(c, Float.self), ldc) != 0
            } else if Scalar.self == Double.self {
                return ck_conv2_gemm_nt20_f64(n, k, rebound(a, Double.self), lda, rebound(b, Double.self), ldb, accumulate, reboundMutable(c, Double.self), ldc) != 0
            }
        case (.transposed, .none) where beta == 0:
            if Scalar.self == Float.self {
                return ck_conv2_gemm_tn_f32(m, n, k, rebound(a, Float.self), lda, rebound(b, Float.self), ldb, reboundMutable(c, Float.self), ldc) != 0
            } else if Scalar.self == Double.self {
                return ck_conv2_gemm_tn_f64(m, n, k, rebound(a, Double.self), lda, rebound(b, Double.self), ldb, reboundMutable(c, Double.self), ldc) != 0
            }
        default:
            break
        }
        return false
    }

    /// conv2's im2col of `a` for `block` (timed when profiling).
    @inline(__always)
    private func im2col(_ a: UnsafePointer<Scalar>, block: Range<Int>, into cols: UnsafeMutablePointer<Scalar>) {
        let bytes = 2 * Double(LeNetShape.conv2PatchSize * block.count * LeNetShape.conv2Positions) * scalarBytes
        recorder.measure(.im2col, bytes: bytes) { workspace.im2colConv2(a, block: block, into: cols) }
    }

    /// conv2's col2im of `cols` for `block` into `aBar` (timed when profiling).
    @inline(__always)
    private func col2im(_ cols: UnsafePointer<Scalar>, block: Range<Int>, into aBar: UnsafeMutablePointer<Scalar>) {
        let bytes = 3 * Double(LeNetShape.conv2PatchSize * block.count * LeNetShape.conv2Positions) * scalarBytes
        recorder.measure(.col2im, bytes: bytes) { workspace.col2imConv2(cols, block: block, into: aBar) }
    }

    private enum PoolingPass { case forward, tangent, backward }

    /// Bytes read and written by one pass of conv2's pooling over the shard: the forward pass
    /// reads the `[20, N, 8, 8]` outputs and writes the pooled values and argmaxes; the tangent
    /// reads the pooled values, argmaxes and one tangent per window and writes the pooled
    /// tangent; the adjoint reads the pooled values and adjoints and writes `[20, N, 8, 8]`.
    private func poolingBytes(_ pass: PoolingPass) -> Double {
        let (full, pooled) = (Double(batchSize * LeNetShape.conv2Channels * LeNetShape.conv2Positions), Double(batchSize * LeNetShape.features))
        switch pass {
        case .forward: return full * scalarBytes + pooled * (scalarBytes + 1)
        case .tangent: return pooled * (3 * scalarBytes + 1)
        case .backward: return full * scalarBytes + pooled * (2 * scalarBytes + 1)
        }
    }
}
