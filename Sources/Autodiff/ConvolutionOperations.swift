import LinearAlgebra

/// Geometry of a valid (unpadded) 2-D convolution in NCHW layout.
struct ConvolutionGeometry {
    let batch: Int, inChannels: Int, height: Int, width: Int
    let outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int
    var outHeight: Int { (height - kernelHeight) / stride + 1 }
    var outWidth: Int { (width - kernelWidth) / stride + 1 }
    /// Rows of the im2col matrix: `C · kh · kw`.
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    /// Output positions per image: `Ho · Wo`.
    var positions: Int { outHeight * outWidth }
    /// Columns of the im2col matrix: `N · Ho · Wo`.
    var columns: Int { batch * positions }

    /// The im2col matrix `[C·kh·kw, N·Ho·Wo]` of an NCHW tensor:
    /// `cols[(c, i, j), (n, p, q)] = x[n, c, p·s + i, q·s + j]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func im2col<S: BLASScalar>(_ x: Tensor<S>) -> Tensor<S> {
        var cols = [S](repeating: 0, count: patchSize * columns)
        let (ho, wo, s) = (outHeight, outWidth, stride)
        x.withUnsafeBufferPointer { xp in
            cols.withUnsafeMutableBufferPointer { cp in
                var row = 0
                for c in 0..<inChannels {
                    for i in 0..<kernelHeight {
                        for j in 0..<kernelWidth {
                            var out = row * columns
                            for n in 0..<batch {
                                let plane = (n * inChannels + c) * height * width
                                for p in 0..<ho {
                                    let source = plane + (p * s + i) * width + j
                                    for q in 0..<wo { cp[out + q] = xp[source + q * s] }
                                    out += wo
                                }
                            }
                            row += 1
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [patchSize, columns], scalars: cols)
    }

    /// The adjoint of ``im2col(_:)``: scatters-adds a `[C·kh·kw, N·Ho·Wo]` matrix into an NCHW tensor.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func col2im<S: BLASScalar>(_ cols: Tensor<S>) -> Tensor<S> {
        var x = [S](repeating: 0, count: batch * inChannels * height * width)
        let (ho, wo, s) = (outHeight, outWidth, stride)
        cols.withUnsafeBufferPointer { cp in
            x.withUnsafeMutableBufferPointer { xp in
                var row = 0
                for c in 0..<inChannels {
                    for i in 0..<kernelHeight {
                        for j in 0..<kernelWidth {
                            var source = row * columns
                            for n in 0..<batch {
                                let plane = (n * inChannels + c) * height * width
                                for p in 0..<ho {
                                    let target = plane + (p * s + i) * width + j
                                    for q in 0..<wo { xp[target + q * s] += cp[source + q] }
                                    source += wo
                                }
                            }
                            row += 1
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [batch, inChannels, height, width], scalars: x)
    }

    /// `[O, N·P]` (channel-major GEMM output) → `[N, O, Ho, Wo]` (NCHW).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func channelMajorToNCHW<S: BLASScalar>(_ y: Tensor<S>) -> Tensor<S> {
        var out = [S](repeating: 0, count: y.count)
        let p = positions
        y.withUnsafeBufferPointer { yp in
            out.withUnsafeMutableBufferPointer { op in
                for o in 0..<outChannels {
                    for n in 0..<batch {
                        let source = o * columns + n * p
                        let target = (n * outChannels + o) * p
                        for k in 0..<p { op[target + k] = yp[source + k] }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [batch, outChannels, outHeight, outWidth], scalars: out)
    }

    /// `[N, O, Ho, Wo]` → `[O, N·P]`, the inverse of ``channelMajorToNCHW(_:)``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func nchwToChannelMajor<S: BLASScalar>(_ y: Tensor<S>) -> Tensor<S> {
        var out = [S](repeating: 0, count: y.count)
        let p = positions
        y.withUnsafeBufferPointer { yp in
            out.withUnsafeMutableBufferPointer { op in
                for o in 0..<outChannels {
                    for n in 0..<batch {
                        let target = o * columns + n * p
                        let source = (n * outChannels + o) * p
                        for k in 0..<p { op[target + k] = yp[source + k] }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [outChannels, columns], scalars: out)
    }
}

/// 2-D cross-correlation (a convolution layer without bias), NCHW, valid padding:
/// `y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · x[n, c, p·s + i, q·s + j]`.
///
/// Computed as im2col + GEMM, `Y = W · cols(x)` with `W` viewed as `[O, C·kh·kw]`. It is
/// bilinear in `(x, w)`, so: JVP `Ẏ = W cols(ẋ) + Ẇ cols(x)`; pullback `W̄ = Ȳ cols(x)ᵀ`,
/// `x̄ = col2im(Wᵀ Ȳ)`; tangents `Ẇ̄ = Ẏ̄ cols(x)ᵀ + Ȳ cols(ẋ)ᵀ`,
/// `ẋ̄ = col2im(Wᵀ Ẏ̄ + Ẇᵀ Ȳ)`. The im2col matrices of the forward pass are reused.
///
/// - Parameters:
///   - x: Input `[N, C, H, W]`.
///   - weight: Filters `[O, C, kh, kw]` (PyTorch's `Conv2d.weight` layout).
///   - stride: 1 or more, the same in both directions.
/// - Throws: ``TensorError`` on rank, channel or size mismatch.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func conv2d<S>(_ x: Variable<S>, _ weight: Variable<S>, stride: Int = 1) throws -> Variable<S> {
    try x.tape.checkSameTape(x, weight, operation: "conv2d")
    guard x.shape.count == 4, weight.shape.count == 4, x.shape[1] == weight.shape[1] else {
        throw TensorError.shapeMismatch(operation: "conv2d (x [N, C, H, W], weight [O, C, kh, kw])", shapes: [x.shape, weight.shape])
    }
    guard stride >= 1 else { throw TensorError.invalidArgument(operation: "conv2d", reason: "stride \(stride) must be ≥ 1") }
    let g = ConvolutionGeometry(
        batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
        outChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride)
    guard g.height >= g.kernelHeight, g.width >= g.kernelWidth else {
        throw TensorError.shapeMismatch(operation: "conv2d (kernel larger than input)", shapes: [x.shape, weight.shape])
    }
    let weightMatrix = weight.value.viewed(as: [g.outChannels, g.patchSize])
    let weightTangent = weight.tangent?.viewed(as: [g.outChannels, g.patchSize])
    let cols = g.im2col(x.value)
    let tangentCols = x.tangent.map { g.im2col($0) }
    var y: Tensor<S>? = nil
    gemm(weightMatrix, transposed: false, cols, transposed: false, into: &y)
    var yDot: Tensor<S>? = nil
    if x.tape.tracksTangents {
        if let tangentCols { gemm(weightMatrix, transposed: false, tangentCols, transposed: false, into: &yDot) }
        if let weightTangent { gemm(weightTangent, transposed: false, cols, transposed: false, into: &yDot) }
    }
    let value = g.channelMajorToNCHW(y!)
    let (xNode, weightNode) = (x.node, weight.node)
    return x.tape.record(value: value, tangent: yDot.map { g.channelMajorToNCHW($0) }, inputs: [x, weight]) {
        adjoint, adjointTangent, tape in
        let yBar = g.nchwToChannelMajor(adjoint)
        let yBarDot = adjointTangent.map { g.nchwToChannelMajor($0) }
        if tape.requiresAdjoint(weightNode) {
            var wBar: Tensor<S>? = nil
            gemm(yBar, transposed: false, cols, transposed: true, into: &wBar)
            var wBarDot: Tensor<S>? = nil
            if tape.tracksTangents {
                if let yBarDot { gemm(yBarDot, transposed: false, cols, transposed: true, into: &wBarDot) }
                if let tangentCols { gemm(yBar, transposed: false, tangentCols, transposed: true, into: &wBarDot) }
            }
            tape.accumulate(
                weightNode, adjoint: wBar!.viewed(as: weightNode.shape), tangent: wBarDot.map { $0.viewed(as: weightNode.shape) })
        }
        if tape.requiresAdjoint(xNode) {
            var colsBar: Tensor<S>? = nil
            gemm(weightMatrix, transposed: true, yBar, transposed: false, into: &colsBar)
            var colsBarDot: Tensor<S>? = nil
            if tape.tracksTangents {
                if let yBarDot { gemm(weightMatrix, transposed: true, yBarDot, transposed: false, into: &colsBarDot) }
                if let weightTangent { gemm(weightTangent, transposed: true, yBar, transposed: false, into: &colsBarDot) }
            }
            tape.accumulate(xNode, adjoint: g.col2im(colsBar!), tangent: colsBarDot.map { g.col2im($0) })
        }
    }
}

/// 2×2 max-pooling with stride 2 over the last two dimensions of `[N, C, H, W]` (odd trailing
/// rows/columns are dropped, as PyTorch's floor mode does). Ties go to the first maximum in
/// row-major window order. Piecewise linear: tangents and adjoints follow the recorded argmax.
/// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` if not rank 4 or smaller than 2×2.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func maxPool2x2<S>(_ x: Variable<S>) throws -> Variable<S> {
    guard x.shape.count == 4, x.shape[2] >= 2, x.shape[3] >= 2 else {
        throw TensorError.invalidShape(operation: "maxPool2x2", shape: x.shape, reason: "expected [N, C, H ≥ 2, W ≥ 2]")
    }
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (ho, wo) = (h / 2, w / 2)
    let outShape = [x.shape[0], x.shape[1], ho, wo]
    var argmax = [Int](repeating: 0, count: planes * ho * wo)
    var out = [S](repeating: 0, count: planes * ho * wo)
    x.value.withUnsafeBufferPointer { xp in
        var k = 0
        for plane in 0..<planes {
            let base = plane * h * w
            for p in 0..<ho {
                for q in 0..<wo {
                    let top = base + 2 * p * w + 2 * q
                    var best = top
                    if xp[top + 1] > xp[best] { best = top + 1 }
                    if xp[top + w] > xp[best] { best = top + w }
                    if xp[top + w + 1] > xp[best] { best = top + w + 1 }
                    argmax[k] = best
                    out[k] = xp[best]
                    k += 1
                }
            }
        }
    }
    let gather: (Tensor<S>) -> Tensor<S> = { t in
        Tensor(uncheckedShape: outShape, scalars: t.withUnsafeBufferPointer { tp in argmax.map { tp[$0] } })
    }
    let inputShape = x.shape
    let scatter: (Tensor<S>) -> Tensor<S> = { t in
        var result = [S](repeating: 0, count: inputShape.reduce(1, *))
        t.withUnsafeBufferPointer { tp in for (k, index) in argmax.enumerated() { result[index] += tp[k] } }
        return Tensor(uncheckedShape: inputShape, scalars: result)
    }
    let node = x.node
    return x.tape.record(
        value: Tensor(uncheckedShape: outShape, scalars: out), tangent: x.tangent.map(gather), inputs: [x]
    ) { adjoint, adjointTangent, tape in
        tape.accumulate(node, adjoint: scatter(adjoint), tangent: adjointTangent.map(scatter))
    }
}

/// Mean softmax cross-entropy of `logits [N, C]` against class `labels` (N values in
/// `0..<C`): `L = (1/N) Σᵢ (log Σ_c e^{z_ic} − z_{i,yᵢ})`, computed stably with the row
/// maximum subtracted (log-sum-exp).
///
/// With `p = softmax(z)`: pullback `z̄ = L̄ (p − onehot(y)) / N`; JVP `L̇ = (1/N) Σᵢ (pᵢ·żᵢ − ż_{i,yᵢ})`;
/// tangent of the pullback `ż̄ = L̄̇ (p − onehot)/N + L̄ ṗ / N` with `ṗᵢ = pᵢ ⊙ (żᵢ − pᵢ·żᵢ)`.
/// - Throws: ``TensorError`` on shape mismatch or a label out of range.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func softmaxCrossEntropy<S>(logits: Variable<S>, labels: [Int]) throws -> Variable<S> {
    guard logits.shape.count == 2, logits.shape[0] == labels.count, logits.shape[1] > 0 else {
        throw TensorError.shapeMismatch(operation: "softmaxCrossEntropy (logits [N, C], N labels)", shapes: [logits.shape, [labels.count]])
    }
    let (n, classes) = (logits.shape[0], logits.shape[1])
    if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
        throw TensorError.outOfBounds(operation: "softmaxCrossEntropy label", index: bad, count: classes)
    }
    var probabilities = [S](repeating: 0, count: n * classes)
    var total: S = 0
    logits.value.withUnsafeBufferPointer { z in
        for i in 0..<n {
            let row = i * classes
            var m = z[row]
            for c in 1..<classes { m = Swift.max(m, z[row + c]) }
            var sumExp: S = 0
            for c in 0..<classes {
                let e = S.exp(z[row + c] - m)
                probabilities[row + c] = e
                sumExp += e
            }
            for c in 0..<classes { probabilities[row + c] /= sumExp }
            total += m + S.log(sumExp) - z[row + labels[i]]
        }
    }
    let inverseN = 1 / S(n)
    // pᵢ·żᵢ for each row.
    func rowDots(_ zDot: Tensor<S>) -> [S] {
        (0..<n).map { i in (0..<classes).reduce(S(0)) { $0 + probabilities[i * classes + $1] * zDot.scalars[i * classes + $1] } }
    }
    var tangent: Tensor<S>? = nil
    if let zDot = logits.tangent {
        let dots = rowDots(zDot)
        var t: S = 0
        for i in 0..<n { t += dots[i] - zDot.scalars[i * classes + labels[i]] }
        tangent = Tensor(scalar: t * inverseN)
    }
    let node = logits.node
    return logits.tape.record(value: Tensor(scalar: total * inverseN), tangent: tangent, inputs: [logits]) {
        adjoint, adjointTangent, tape in
        let lBar = adjoint.scalars[0]
        // (p − onehot) / N
        var residual = probabilities
        for i in 0..<n { residual[i * classes + labels[i]] -= 1 }
        let zBar = Tensor(uncheckedShape: [n, classes], scalars: residual.map { $0 * lBar * inverseN })
        var zBarDot: Tensor<S>? = nil
        if tape.tracksTangents {
            if let adjointTangent {
                let lBarDot = adjointTangent.scalars[0]
                zBarDot = Tensor(uncheckedShape: [n, classes], scalars: residual.map { $0 * lBarDot * inverseN })
            }
            if let zDot = node.tangent {
                let dots = rowDots(zDot)
                var pDot = [S](repeating: 0, count: n * classes)
                for i in 0..<n {
                    for c in 0..<classes {
                        let k = i * classes + c
                        pDot[k] = probabilities[k] * (zDot.scalars[k] - dots[i]) * lBar * inverseN
                    }
                }
                zBarDot = addTangents(zBarDot, Tensor(uncheckedShape: [n, classes], scalars: pDot))
            }
        }
        tape.accumulate(node, adjoint: zBar, tangent: zBarDot)
    }
}
