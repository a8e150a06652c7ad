import CKernels
import LinearAlgebra

/// The maximum of a 2×2 window `(v₀, v₁; v₂, v₃)` (row-major) and its index 0…3; ties go to
/// the first maximum, as in the tape's `maxPool2x2`.
@inline(__always)
func windowMaximum<S: BLASScalar>(_ v0: S, _ v1: S, _ v2: S, _ v3: S) -> (S, UInt8) {
    var best = v0, index: UInt8 = 0
    let greater1 = v1 > best
    best = greater1 ? v1 : best
    index = greater1 ? 1 : index
    let greater2 = v2 > best
    best = greater2 ? v2 : best
    index = greater2 ? 2 : index
    let greater3 = v3 > best
    best = greater3 ? v3 : best
    index = greater3 ? 3 : index
    return (best, index)
}

/// 2×2 max-pooling with stride 2 of channel-major convolution outputs `[C, N, side, side]`,
/// fused with the per-channel bias before it and the ReLU after it (`relu(maxpool(y + b))`,
/// as the tape computes it). Ties go to the first maximum in row-major window order and the
/// ReLU's derivative at 0 is 0, as in the tape's `maxPool2x2` and `relu`.
///
/// The pooled output of channel `c`, image `n`, window `(r, s)` is stored at
/// `c·outputChannelStride + n·outputImageStride + r·(side/2) + s`, so conv2's pooling writes
/// the flattened `[N, C·H·W]` layout fc1 reads. The argmax (0…3 within the window) is cached
/// at the same index.
struct FusedMultiLeNetPooling {
    let channels: Int
    let batch: Int
    let side: Int
    let outputChannelStride: Int
    let outputImageStride: Int

    private var half: Int { side / 2 }

    /// Whether this is conv2's pooling (`[20, N, 8, 8]` into the flattened `[N, 320]`), which
    /// CKernels' `ck_pool2_*` implement for `Float` and `Double` (4 windows per vector step).
    private var isConv2: Bool {
        channels == 20 && side == 8 && outputChannelStride == 16 && outputImageStride == 320
    }

    /// `a = relu(maxpool(y + b))`, recording the argmax of each window.
    func forward<S: BLASScalar>(
        _ y: UnsafePointer<S>, bias: UnsafePointer<S>, output a: UnsafeMutablePointer<S>,
        argmax: UnsafeMutablePointer<UInt8>
    ) {
        if isConv2, S.self == Float.self {
            return ck_pool2_forward_f32(rebound(y, Float.self), batch, rebound(bias, Float.self), reboundMutable(a, Float.self), argmax)
        } else if isConv2, S.self == Double.self {
            return ck_pool2_forward_f64(rebound(y, Double.self), batch, rebound(bias, Double.self), reboundMutable(a, Double.self), argmax)
        }
        let (side, half) = (side, half)
        for c in 0..<channels {
            let b = bias[c]
            for n in 0..<batch {
                let input = y + (c * batch + n) * side * side
                let out = c * outputChannelStride + n * outputImageStride
                for r in 0..<half {
                    for s in 0..<half {
                        let top = input + 2 * r * side + 2 * s
                        let (best, index) = windowMaximum(top[0] + b, top[1] + b, top[side] + b, top[side + 1] + b)
                        argmax[out + r * half + s] = index
                        a[out + r * half + s] = Swift.max(best, 0)
                    }
                }
            }
        }
    }

    /// The tangent `ȧ = [a > 0] (ẏ + ḃ)[argmax]`.
    func tangent<S: BLASScalar>(
        _ yDot: UnsafePointer<S>, biasTangent: UnsafePointer<S>, reference a: UnsafePointer<S>,
        argmax: UnsafePointer<UInt8>, output aDot: UnsafeMutablePointer<S>
    ) {
        if isConv2, S.self == Float.self {
            return ck_pool2_tangent_f32(
                rebound(yDot, Float.self), batch, rebound(biasTangent, Float.self), rebound(a, Float.self), argmax,
                reboundMutable(aDot, Float.self))
        } else if isConv2, S.self == Double.self {
            return ck_pool2_tangent_f64(
                rebound(yDot, Double.self), batch, rebound(biasTangent, Double.self), rebound(a, Double.self), argmax,
                reboundMutable(aDot, Double.self))
        }
        let (side, half) = (side, half)
        for c in 0..<channels {
            let bDot = biasTangent[c]
            for n in 0..<batch {
                let input = yDot + (c * batch + n) * side * side
                let out = c * outputChannelStride + n * outputImageStride
                for r in 0..<half {
                    for s in 0..<half {
                        let k = out + r * half + s
                        let index = Int(argmax[k])
                        let source = input + (2 * r + (index >> 1)) * side + 2 * s + (index & 1)
                        aDot[k] = a[k] > 0 ? source[0] + bDot : 0
                    }
                }
            }
        }
    }

    /// The adjoint: `ȳ` (every element of `[C, N, side, side]` written: `[a > 0] ā` at the
    /// argmax, 0 elsewhere) and the bias adjoint `b̄_c = Σ ȳ_c`.
    func backward<S: BLASScalar>(
        _ aBar: UnsafePointer<S>, reference a: UnsafePointer<S>, argmax: UnsafePointer<UInt8>,
        into yBar: UnsafeMutablePointer<S>, biasAdjoint: UnsafeMutablePointer<S>
    ) {
        if isConv2, S.self == Float.self {
            return ck_pool2_backward_f32(
                rebound(aBar, Float.self), batch, rebound(a, Float.self), argmax, reboundMutable(yBar, Float.self),
                reboundMutable(biasAdjoint, Float.self))
        } else if isConv2, S.self == Double.self {
            return ck_pool2_backward_f64(
                rebound(aBar, Double.self), batch, rebound(a, Double.self), argmax, reboundMutable(yBar, Double.self),
                reboundMutable(biasAdjoint, Double.self))
        }
        let (side, half) = (side, half)
        for c in 0..<channels {
            var sum: S = 0
            for n in 0..<batch {
                let target = yBar + (c * batch + n) * side * side
                let out = c * outputChannelStride + n * outputImageStride
                for r in 0..<half {
                    for s in 0..<half {
                        let k = out + r * half + s
                        let g: S = a[k] > 0 ? aBar[k] : 0
                        let top = target + 2 * r * side + 2 * s
                        top[0] = 0; top[1] = 0; top[side] = 0; top[side + 1] = 0
                        let index = Int(argmax[k])
                        top[(index >> 1) * side + (index & 1)] = g
                        sum += g
                    }
                }
            }
            biasAdjoint[c] = sum
        }
    }
}
