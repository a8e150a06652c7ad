import CKernels
import LinearAlgebra

/// Shapes of the MultiLeNet (see ``MultiLeNet``): 28×28 inputs, 5×5 valid convolutions,
/// 2×2 max-pooling, 10 classes per head.
enum FusedMultiLeNetShape {
    static let imageSide = 28
    static let imagePixels = 784
    static let kernelSide = 5
    static let kernelArea = 25
    static let conv1Channels = 10
    static let conv1Side = 24
    static let conv1Positions = 576
    static let pool1Side = 12
    static let pool1Positions = 144
    static let conv2Channels = 20
    static let conv2PatchSize = 250
    static let conv2Side = 8
    static let conv2Positions = 64
    static let pool2Side = 4
    static let pool2Positions = 16
    static let features = 320
    static let hidden = 50
    static let classes = 10
    static let tasks = 2
    static let logits = 20
}

/// The preallocated buffers of a ``FusedMultiLeNetLoss`` for one batch size. Convolution
/// activations are channel-major (`[C, N·H·W]`, columns ordered `(n, p, q)`); dense
/// activations are `[N, features]`. Not thread-safe.
final class FusedMultiLeNetWorkspace<Scalar: BLASScalar> {
    typealias Shape = FusedMultiLeNetShape

    let batch: Int
    /// `N·64`, the columns of conv2's GEMMs.
    let conv2Columns: Int

    /// This shard's parts of the weighted gradient (or the first Jacobian row), of the second
    /// Jacobian row and of `H(α) v` (flat parameter layout).
    let gradient, secondGradient, product: UnsafeMutablePointer<Scalar>
    /// The images `[N, 28, 28]`, copied once, followed by ``imagePadding`` zeros (the 8-lane
    /// loads of 5-wide receptive-field rows read up to 3 elements past the last row).
    let images: UnsafeMutablePointer<Scalar>
    static var imagePadding: Int { 8 }
    /// Pooled conv1 activations `[10, N·144]`, their tangent and adjoint (primal, then tangent).
    let a1, a1Tangent, a1Adjoint: UnsafeMutablePointer<Scalar>
    /// The ReLU-active pooled conv1 units of each channel, in `(n, r, s)` order: channel `c`'s
    /// list starts at `c·N·144` and holds ``activeCounts``[c] entries: the unit's index in the
    /// channel's `[N, 12, 12]` plane, and the image offset of its receptive field (the conv1
    /// position the window's argmax selected). Built by ``conv1Forward(weight:bias:)``; the
    /// tangent and the parameter adjoints of conv1 visit only these units.
    let activeUnits, activeFields: UnsafeMutablePointer<Int32>
    let activeCounts: UnsafeMutablePointer<Int>
    /// The number of active units over all channels (``activeCounts`` summed).
    var activeUnitCount: Int { (0..<Shape.conv1Channels).reduce(0) { $0 + activeCounts[$1] } }
    /// conv2 works on blocks of ``blockImages`` images whose im2col matrices fit in cache:
    /// `[cols(ȧ₁); cols(a₁)]` of one block, `[500, B·64]` (the primal rows are the lower half,
    /// see ``blockColumns(images:)``), and `cols(ā₁)` of one block, `[250, B·64]`.
    let blockColumns2, blockColumnsAdjoint2: UnsafeMutablePointer<Scalar>
    /// The image ranges of the conv2 blocks, in order.
    let blocks: [Range<Int>]
    /// `[20, N·64]`: conv2's output, then its tangent.
    let conv2Scratch: UnsafeMutablePointer<Scalar>
    let argmax2: UnsafeMutablePointer<UInt8>
    /// Flattened pooled conv2 activations `[N, 320]` and their tangent, adjoint, adjoint tangent.
    let features, featuresTangent, featuresAdjoint, featuresAdjointTangent: UnsafeMutablePointer<Scalar>
    /// `[Ẏ̄₂; Ȳ₂]`, `[40, N·64]`; ``primalConv2Adjoint`` is its lower half.
    let stackedConv2Adjoint: UnsafeMutablePointer<Scalar>
    var primalConv2Adjoint: UnsafeMutablePointer<Scalar> { stackedConv2Adjoint + Shape.conv2Channels * conv2Columns }
    /// `[W₂ | Ẇ₂]`, `[20, 500]`, and `[W₂; Ẇ₂]`, `[40, 250]`.
    let stackedWeights2, stackedWeightsTransposed2: UnsafeMutablePointer<Scalar>
    /// `20·500` scalars of scratch for the AVX-512 conv2 kernels (their 20-row factor repacked).
    let conv2GEMMScratch: UnsafeMutablePointer<Scalar>
    /// fc1 activations after ReLU `[N, 50]`, tangent, adjoint (masked), adjoint tangent.
    let hidden, hiddenTangent, hiddenAdjoint, hiddenAdjointTangent: UnsafeMutablePointer<Scalar>
    /// Logits of both heads side by side `[N, 20]`, softmax probabilities, tangents, adjoints.
    let logits, logitsTangent, probabilities, logitsAdjoint, logitsAdjointTangent: UnsafeMutablePointer<Scalar>

    /// conv2's pooling, written into the flattened `[N, 320]` layout fc1 reads.
    let pool2: FusedMultiLeNetPooling
    private var scalarBuffers: [UnsafeMutablePointer<Scalar>] = []
    private var byteBuffers: [UnsafeMutablePointer<UInt8>] = []

    init(batch: Int, parameterCount: Int) {
        self.batch = batch
        conv2Columns = batch * Shape.conv2Positions
        var scalars: [UnsafeMutablePointer<Scalar>] = []
        var bytes: [UnsafeMutablePointer<UInt8>] = []
        // Zero bits are +0.0 in IEEE formats; the byte fill avoids a generic element loop.
        func allocate(_ count: Int) -> UnsafeMutablePointer<Scalar> {
            let p = UnsafeMutablePointer<Scalar>.allocate(capacity: count)
            UnsafeMutableRawPointer(p).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<Scalar>.stride)
            scalars.append(p)
            return p
        }
        func allocateBytes(_ count: Int) -> UnsafeMutablePointer<UInt8> {
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            bytes.append(p)
            return p
        }
        gradient = allocate(parameterCount)
        secondGradient = allocate(parameterCount)
        product = allocate(parameterCount)
        images = allocate(batch * Shape.imagePixels + Self.imagePadding)
        let pooled1 = Shape.conv1Channels * batch * Shape.pool1Positions
        a1 = allocate(pooled1)
        a1Tangent = allocate(pooled1)
        a1Adjoint = allocate(pooled1)
        activeUnits = UnsafeMutablePointer<Int32>.allocate(capacity: pooled1)
        activeUnits.initialize(repeating: 0, count: pooled1)
        activeFields = UnsafeMutablePointer<Int32>.allocate(capacity: pooled1)
        activeFields.initialize(repeating: 0, count: pooled1)
        // A cache line of its own (two, padded), so that no other shard's data shares it.
        activeCounts = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64).bindMemory(to: Int.self, capacity: 16)
        activeCounts.initialize(repeating: 0, count: 16)
        blocks = stride(from: 0, to: batch, by: Self.blockImages).map { $0 ..< Swift.min($0 + Self.blockImages, batch) }
        let blockCapacity = Swift.min(batch, Self.blockImages) * Shape.conv2Positions
        blockColumns2 = allocate(2 * Shape.conv2PatchSize * blockCapacity)
        blockColumnsAdjoint2 = allocate(Shape.conv2PatchSize * blockCapacity)
        conv2Scratch = allocate(Shape.conv2Channels * conv2Columns)
        let pooled2 = batch * Shape.features
        argmax2 = allocateBytes(pooled2)
        features = allocate(pooled2)
        featuresTangent = allocate(pooled2)
        featuresAdjoint = allocate(pooled2)
        featuresAdjointTangent = allocate(pooled2)
        stackedConv2Adjoint = allocate(2 * Shape.conv2Channels * conv2Columns)
        stackedWeights2 = allocate(2 * Shape.conv2Channels * Shape.conv2PatchSize)
        stackedWeightsTransposed2 = allocate(2 * Shape.conv2Channels * Shape.conv2PatchSize)
        conv2GEMMScratch = allocate(2 * Shape.conv2Channels * Shape.conv2PatchSize)
        let dense = batch * Shape.hidden
        hidden = allocate(dense)
        hiddenTangent = allocate(dense)
        hiddenAdjoint = allocate(dense)
        hiddenAdjointTangent = allocate(dense)
        let heads = batch * Shape.logits
        logits = allocate(heads)
        logitsTangent = allocate(heads)
        probabilities = allocate(heads)
        logitsAdjoint = allocate(heads)
        logitsAdjointTangent = allocate(heads)
        pool2 = FusedMultiLeNetPooling(
            channels: Shape.conv2Channels, batch: batch, side: Shape.conv2Side,
            outputChannelStride: Shape.pool2Positions, outputImageStride: Shape.features)
        scalarBuffers = scalars
        byteBuffers = bytes
    }

    deinit {
        for p in scalarBuffers { p.deallocate() }
        for p in byteBuffers { p.deallocate() }
        activeUnits.deallocate()
        activeFields.deallocate()
        UnsafeMutableRawPointer(activeCounts).deallocate()
    }

    /// Copies the NCHW images `[N, 1, 28, 28]`.
    func loadImages(_ source: UnsafePointer<Scalar>) {
        images.update(from: source, count: batch * Shape.imagePixels)
    }

    /// Images per conv2 block: 8 images make a `[500, 512]` im2col block (1 MB in Float32)
    /// that stays in cache between im2col and the GEMMs (measured at batch 256: 8 beats 4,
    /// 16, 32 and 64). A constant, so results do not depend on the machine.
    static var blockImages: Int { 8 }


    /// The tangent half (`[250, B·64]`, rows of `cols(ȧ₁)`) and the primal half (`cols(a₁)`)
    /// of ``blockColumns2`` for a block of `images` images (row stride `images·64`).
    func blockColumns(images: Int) -> (tangent: UnsafeMutablePointer<Scalar>, primal: UnsafeMutablePointer<Scalar>) {
        (blockColumns2, blockColumns2 + Shape.conv2PatchSize * images * Shape.conv2Positions)
    }

    /// im2col of channel-major pooled conv1 activations `a [10, N, 12, 12]` for conv2, for
    /// the images `block`: `cols[(c, i, j), (n − n₀, p, q)] = a[c, n, p + i, q + j]`,
    /// `[250, |block|·64]` (row stride `|block|·64`).
    func im2colConv2(_ a: UnsafePointer<Scalar>, block: Range<Int>, into cols: UnsafeMutablePointer<Scalar>) {
        let (side, inSide) = (Shape.conv2Side, Shape.pool1Side)
        let stride = block.count * Shape.conv2Positions
        for c in 0..<Shape.conv1Channels {
            let channel = a + c * batch * Shape.pool1Positions
            for i in 0..<Shape.kernelSide {
                for j in 0..<Shape.kernelSide {
                    let row = cols + ((c * Shape.kernelSide + i) * Shape.kernelSide + j) * stride
                    for n in block {
                        let source = channel + n * Shape.pool1Positions + i * inSide + j
                        let target = row + (n - block.lowerBound) * Shape.conv2Positions
                        for p in 0..<side { (target + p * side).update(from: source + p * inSide, count: side) }
                    }
                }
            }
        }
    }

    /// The adjoint of ``im2colConv2(_:block:into:)``: `ā[c, n, p + i, q + j] = Σ_{i,j} cols[(c, i, j), (n − n₀, p, q)]`
    /// for the images `block` of `[10, N, 12, 12]` (overwritten; contributions summed in
    /// `(i, j)` order, as the tape's col2im).
    func col2imConv2(_ cols: UnsafePointer<Scalar>, block: Range<Int>, into aBar: UnsafeMutablePointer<Scalar>) {
        let (side, inSide) = (Shape.conv2Side, Shape.pool1Side)
        let stride = block.count * Shape.conv2Positions
        for c in 0..<Shape.conv1Channels {
            let channel = aBar + c * batch * Shape.pool1Positions
            (channel + block.lowerBound * Shape.pool1Positions).update(repeating: 0, count: block.count * Shape.pool1Positions)
            for i in 0..<Shape.kernelSide {
                for j in 0..<Shape.kernelSide {
                    let row = cols + ((c * Shape.kernelSide + i) * Shape.kernelSide + j) * stride
                    for n in block {
                        let source = row + (n - block.lowerBound) * Shape.conv2Positions
                        let target = channel + n * Shape.pool1Positions + i * inSide + j
                        for p in 0..<side { addEight(target + p * inSide, source + p * side) }
                    }
                }
            }
        }
    }

    /// conv1 → bias → 2×2 max-pool → ReLU as one direct convolution: for each image and
    /// pooled row, the two conv1 rows `y[c, n, p, q] = Σ_{i,j} W₁[c, i, j] x[n, p + i, q + j]`
    /// are computed in a small buffer, then pooled as
    /// ``FusedMultiLeNetPooling/forward(_:bias:output:argmax:)`` does: `a₁ = relu(max(y + b₁))`;
    /// the active units and their receptive fields are listed (``activeUnits``). Neither the
    /// im2col matrix of the images nor the full conv1 output is ever stored.
    ///
    /// `Float` and `Double` run CKernels' `ck_conv1_forward_*` (AVX2+FMA or portable, chosen by
    /// cpuid), which computes each conv1 row for four channels per image load; other scalars
    /// run the loop below.
    func conv1Forward(weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>) {
        let counts = UnsafeMutableRawPointer(activeCounts).assumingMemoryBound(to: Int64.self)
        if Scalar.self == Float.self {
            ck_conv1_forward_f32(
                rebound(images, Float.self), batch, rebound(weight, Float.self), rebound(bias, Float.self),
                reboundMutable(a1, Float.self), activeUnits, activeFields, counts)
            return
        } else if Scalar.self == Double.self {
            ck_conv1_forward_f64(
                rebound(images, Double.self), batch, rebound(weight, Double.self), rebound(bias, Double.self),
                reboundMutable(a1, Double.self), activeUnits, activeFields, counts)
            return
        }
        let (side, windows, width) = (Shape.conv1Side, Shape.pool1Side, Shape.imageSide)
        activeCounts.update(repeating: 0, count: Shape.conv1Channels)
        withUnsafeTemporaryAllocation(of: Scalar.self, capacity: Shape.conv1Channels * Shape.kernelArea + 2 * side) { scratch in
            let filters = scratch.baseAddress!
            filters.update(from: weight, count: Shape.conv1Channels * Shape.kernelArea)
            let rows = filters + Shape.conv1Channels * Shape.kernelArea
            for n in 0..<batch {
                let image = images + n * Shape.imagePixels
                for c in 0..<Shape.conv1Channels {
                    let w = filters + c * Shape.kernelArea
                    let b = bias[c]
                    let channel = c * batch * Shape.pool1Positions
                    for r in 0..<windows {
                        conv1Row(image + 2 * r * width, filter: w, into: rows)
                        conv1Row(image + (2 * r + 1) * width, filter: w, into: rows + side)
                        for s in 0..<windows {
                            let (best, index) = windowMaximum(
                                rows[2 * s] + b, rows[2 * s + 1] + b, rows[side + 2 * s] + b, rows[side + 2 * s + 1] + b)
                            let unit = (n * windows + r) * windows + s
                            let a = Swift.max(best, 0)
                            a1[channel + unit] = a
                            if a > 0 {
                                let entry = channel + activeCounts[c]
                                activeUnits[entry] = Int32(unit)
                                activeFields[entry] = Int32(fieldOffset(image: n, window: r, s, argmax: Int(index)))
                                activeCounts[c] += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// One conv1 output row, `row[q] = Σ_{i,j} w[i, j] · top[i·28 + q + j]` for `q < 24`
    /// (taps summed in `(i, j)` order), for scalars other than `Float` and `Double`.
    @inline(__always)
    private func conv1Row(_ top: UnsafePointer<Scalar>, filter w: UnsafePointer<Scalar>, into row: UnsafeMutablePointer<Scalar>) {
        row.update(repeating: 0, count: Shape.conv1Side)
        for i in 0..<Shape.kernelSide {
            for j in 0..<Shape.kernelSide {
                let tap = w[i * Shape.kernelSide + j]
                let source = top + i * Shape.imageSide + j
                for q in 0..<Shape.conv1Side { row[q] += tap * source[q] }
            }
        }
    }

    /// The tangent of conv1 → bias → pool → ReLU when only the conv1 parameters move (the
    /// images are data): `ȧ₁[c, n, r, s] = [a₁ > 0] (Σ_{i,j} Ẇ₁[c, i, j] x[n, p + i, q + j] + ḃ₁[c])`
    /// at the argmax `(p, q)` of each window — a direct convolution at the active units only
    /// (``activeUnits``), at most a quarter of the conv1 positions, instead of a GEMM over all
    /// of them.
    func conv1Tangent(weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>, output aDot: UnsafeMutablePointer<Scalar>) {
        let plane = batch * Shape.pool1Positions
        for c in 0..<Shape.conv1Channels {
            let list = c * plane
            let (count, units, fields) = (activeCounts[c], UnsafePointer(activeUnits + list), UnsafePointer(activeFields + list))
            let (w, b, output) = (weight + c * Shape.kernelArea, bias[c], aDot + list)
            output.update(repeating: 0, count: plane)
            if Scalar.self == Float.self {
                ck_conv1_tangent_f32(
                    count, units, fields, rebound(images, Float.self), rebound(w, Float.self), Float(b), reboundMutable(output, Float.self))
            } else if Scalar.self == Double.self {
                ck_conv1_tangent_f64(
                    count, units, fields, rebound(images, Double.self), rebound(w, Double.self), Double(b), reboundMutable(output, Double.self))
            } else {
                for entry in 0..<count {
                    let field = images + Int(fields[entry])
                    var sum: Scalar = 0
                    for i in 0..<Shape.kernelSide {
                        for j in 0..<Shape.kernelSide { sum += w[i * Shape.kernelSide + j] * field[i * Shape.imageSide + j] }
                    }
                    output[Int(units[entry])] = sum + b
                }
            }
        }
    }

    /// The adjoint of conv1 → bias → pool → ReLU for the conv1 parameters, from the adjoint
    /// `ā₁` of the pooled activations: with `g = [a₁ > 0] ā₁` routed to the argmax `(p, q)`,
    /// `W̄₁[c, i, j] = Σ_{n,r,s} g · x[n, p + i, q + j]` and `b̄₁[c] = Σ g`, summed over the
    /// active units (``activeUnits``) in `(n, r, s)` order. This reads the images directly
    /// instead of a GEMM over `[10, N·576]` with three zeros in every window.
    func conv1ParameterAdjoint(
        _ aBar: UnsafePointer<Scalar>, weightAdjoint: UnsafeMutablePointer<Scalar>, biasAdjoint: UnsafeMutablePointer<Scalar>
    ) {
        let plane = batch * Shape.pool1Positions
        for c in 0..<Shape.conv1Channels {
            let list = c * plane
            let (count, units, fields) = (activeCounts[c], UnsafePointer(activeUnits + list), UnsafePointer(activeFields + list))
            let (w, b, adjoint) = (weightAdjoint + c * Shape.kernelArea, biasAdjoint + c, aBar + list)
            if Scalar.self == Float.self {
                ck_conv1_parameter_adjoint_f32(
                    count, units, fields, rebound(images, Float.self), rebound(adjoint, Float.self),
                    reboundMutable(w, Float.self), reboundMutable(b, Float.self))
            } else if Scalar.self == Double.self {
                ck_conv1_parameter_adjoint_f64(
                    count, units, fields, rebound(images, Double.self), rebound(adjoint, Double.self),
                    reboundMutable(w, Double.self), reboundMutable(b, Double.self))
            } else {
                w.update(repeating: 0, count: Shape.kernelArea)
                var biasSum: Scalar = 0
                for entry in 0..<count {
                    let g = adjoint[Int(units[entry])]
                    biasSum += g
                    let field = images + Int(fields[entry])
                    for i in 0..<Shape.kernelSide {
                        for j in 0..<Shape.kernelSide { w[i * Shape.kernelSide + j] += g * field[i * Shape.imageSide + j] }
                    }
                }
                b[0] = biasSum
            }
        }
    }

    /// `target[0..<8] += source[0..<8]`, one 8-lane add for `Float` and `Double`.
    @inline(__always)
    private func addEight(_ target: UnsafeMutablePointer<Scalar>, _ source: UnsafePointer<Scalar>) {
        if Scalar.self == Float.self {
            addEightLanes(reboundMutable(target, Float.self), rebound(source, Float.self))
        } else if Scalar.self == Double.self {
            addEightLanes(reboundMutable(target, Double.self), rebound(source, Double.self))
        } else {
            for q in 0..<8 { target[q] += source[q] }
        }
    }
}

/// The same memory viewed as `T` (used only where `Scalar` is `T`).
@inline(__always)
func rebound<S, T>(_ p: UnsafePointer<S>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func reboundMutable<S, T>(_ p: UnsafeMutablePointer<S>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
private func addEightLanes<S: BinaryFloatingPoint & SIMDScalar>(_ target: UnsafeMutablePointer<S>, _ source: UnsafePointer<S>) {
    let t = UnsafeMutableRawPointer(target)
    t.storeBytes(of: t.loadUnaligned(as: SIMD8<S>.self) + UnsafeRawPointer(source).loadUnaligned(as: SIMD8<S>.self), as: SIMD8<S>.self)
}

/// The image offset of the receptive field of pooled unit `(n, r, s)` with window argmax `index`.
@inline(__always)
private func fieldOffset(image n: Int, window r: Int, _ s: Int, argmax index: Int) -> Int {
    n * FusedMultiLeNetShape.imagePixels + (2 * r + (index >> 1)) * FusedMultiLeNetShape.imageSide + 2 * s + (index & 1)
}
