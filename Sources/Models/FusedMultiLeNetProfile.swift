import Autodiff
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernels of a ``FusedMultiLeNetLoss`` sweep, as ``FusedMultiLeNetProfile`` times them.
public enum FusedMultiLeNetKernel: String, CaseIterable, Sendable {
    /// conv1 → bias → max-pool → ReLU, the direct convolution (counted as the dense conv1
    /// product, `2·25·576·10` FLOPs per image).
    case conv1Forward = "conv1 direct forward"
    /// conv1's tangent at the active units (a gather of receptive fields; `2·25` FLOPs per unit).
    case conv1Tangent = "conv1 tangent gather"
    /// conv1's weight and bias adjoints at the active units (`2·25` FLOPs per unit).
    case conv1ParameterAdjoint = "conv1 adjoint gather"
    /// conv2's im2col copies (bytes read + written).
    case im2col = "conv2 im2col"
    /// conv2's col2im accumulation (bytes read + written).
    case col2im = "conv2 col2im"
    /// conv2's GEMMs (`2·m·n·k`).
    case conv2GEMM = "conv2 GEMMs"
    /// conv2's max-pooling forward, tangent and adjoint with bias and ReLU (bytes read + written).
    case pooling = "conv2 pooling"
    /// fc1 and the heads' GEMMs (`2·m·n·k`).
    case denseGEMM = "fc1 + heads GEMMs"
    /// Softmax cross-entropy, biases, ReLU masks, bias sums and the weight stacking (not rated).
    case elementwise = "softmax, biases, masks"
    /// The reduction of the shards' results and the finiteness checks, outside the shards
    /// (bytes read + written).
    case reduction = "shard reduction + checks"

    /// Whether the kernel's work is counted in FLOPs (else in bytes, or not at all).
    public var isArithmetic: Bool { [.conv1Forward, .conv1Tangent, .conv1ParameterAdjoint, .conv2GEMM, .denseGEMM].contains(self) }
}

/// Where the time of one fused evaluation goes: per kernel, the seconds summed over all
/// shards (so with several tasks, thread-seconds), and the work done (FLOPs or bytes, see
/// ``FusedMultiLeNetKernel``). Produced by ``FusedMultiLeNetLoss/profiledHessianVectorProduct(at:along:weights:)``.
public struct FusedMultiLeNetProfile: Sendable {
    /// Seconds, FLOPs and bytes of one kernel.
    public struct Entry: Sendable {
        /// Wall seconds summed over the shards that ran the kernel.
        public var seconds: Double = 0
        /// Floating-point operations (arithmetic kernels).
        public var flop: Double = 0
        /// Bytes read plus written (memory-bound kernels).
        public var bytes: Double = 0
        /// Invocations.
        public var calls: Int = 0
    }

    /// One entry per kernel.
    public var entries: [FusedMultiLeNetKernel: Entry] = [:]
    /// Wall seconds of the whole profiled evaluation (kernels, untimed glue and task start-up).
    public var wallSeconds: Double = 0
    /// Concurrent tasks that ran the shards (``FusedMultiLeNetLoss/parallelism``, at most the shard count).
    public var tasks: Int = 1

    /// The sum of all kernels' seconds.
    public var totalSeconds: Double { entries.values.reduce(0) { $0 + $1.seconds } }

    /// An empty profile.
    public init() {}

    /// Adds `other`'s seconds, work and calls kernel by kernel (its wall time and tasks too).
    public mutating func add(_ other: FusedMultiLeNetProfile) {
        wallSeconds += other.wallSeconds
        tasks = Swift.max(tasks, other.tasks)
        for (kernel, entry) in other.entries {
            var sum = entries[kernel] ?? Entry()
            sum.seconds += entry.seconds
            sum.flop += entry.flop
            sum.bytes += entry.bytes
            sum.calls += entry.calls
            entries[kernel] = sum
        }
    }
}

/// The per-shard recorder behind ``FusedMultiLeNetProfile`` (one per shard, so the tasks
/// share nothing).
final class FusedMultiLeNetRecorder {
    var profile = FusedMultiLeNetProfile()

    /// Runs `body`, adding its wall time and the given work to `kernel`.
    @inline(__always)
    func measure(_ kernel: FusedMultiLeNetKernel, flop: Double = 0, bytes: Double = 0, _ body: () -> Void) {
        let start = Self.now()
        body()
        let seconds = Self.now() - start
        var entry = profile.entries[kernel] ?? FusedMultiLeNetProfile.Entry()
        entry.seconds += seconds
        entry.flop += flop
        entry.bytes += bytes
        entry.calls += 1
        profile.entries[kernel] = entry
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

extension FusedMultiLeNetLoss {
    /// ``hessianVectorProduct(at:along:weights:)`` with every kernel timed: the same sweeps
    /// and the same (bit-identical) result, plus where the time went. The timers add a clock
    /// read per kernel call (tens of nanoseconds; a few hundred calls per shard).
    /// - Throws: as ``hessianVectorProduct(at:along:weights:)``.
    public func profiledHessianVectorProduct(
        at x: [Scalar], along v: [Scalar], weights: [Scalar]
    ) throws -> (result: HessianVectorProduct<Scalar>, profile: FusedMultiLeNetProfile) {
        let recorders = shards.map { _ in FusedMultiLeNetRecorder() }
        let own = FusedMultiLeNetRecorder()
        for (shard, recorder) in zip(shards, recorders) { shard.recorder = recorder }
        recorder = own
        defer {
            for shard in shards { shard.recorder = nil }
            recorder = nil
        }
        let start = FusedMultiLeNetRecorder.now()
        let result = try hessianVectorProduct(at: x, along: v, weights: weights)
        var profile = own.profile
        profile.wallSeconds = FusedMultiLeNetRecorder.now() - start
        profile.tasks = Swift.min(parallelism, shards.count)
        for recorder in recorders { profile.add(recorder.profile) }
        return (result, profile)
    }
}

extension Optional where Wrapped == FusedMultiLeNetRecorder {
    /// Runs `body`, timed when a recorder is present (the profiling path), directly otherwise.
    @inline(__always)
    func measure(_ kernel: FusedMultiLeNetKernel, flop: @autoclosure () -> Double = 0, bytes: @autoclosure () -> Double = 0, _ body: () -> Void) {
        if let recorder = self { recorder.measure(kernel, flop: flop(), bytes: bytes(), body) } else { body() }
    }
}
