import LinearAlgebra
import Models

/// Which layers of the MultiLeNet carry PaLoRA adapters (PaLoRA §4; DESIGN.md "PaLoRA
/// reference settings").
public enum AdapterPlacement: String, Sendable, Equatable, Codable, CaseIterable {
    /// The shared encoder `conv1`, `conv2`, `fc1` (the paper's 12.5 % overhead at `r = 1`).
    case encoder
    /// Every layer, the heads `fc3_1`, `fc3_2` included (`--adapt all`).
    case all

    /// The adapted layers' module names, in the model's layout order.
    public var layerNames: [String] {
        switch self {
        case .encoder: return ["conv1", "conv2", "fc1"]
        case .all: return ["conv1", "conv2", "fc1", "fc3_1", "fc3_2"]
        }
    }
}

/// The adapter options of PaLoRA eq. 2, `W(λ) = W₀ + (a/r) Σₜ λₜ Bₜ Aₜ`: rank `r`, scale
/// `a`, placement and number of tasks `T` (one `(Aₜ, Bₜ)` pair per task and adapted layer).
public struct AdapterConfiguration: Sendable, Equatable, Codable {
    /// The rank `r ≥ 1`.
    public var rank: Int
    /// The scale `a` (LoRA's `lora_alpha`); the update is multiplied by `a / r`.
    public var scale: Double
    /// The adapted layers.
    public var placement: AdapterPlacement
    /// The number of tasks `T`.
    public var taskCount: Int

    /// A configuration; the defaults are the public MultiMNIST settings (`r = 1`, `a = 1`,
    /// the encoder, 2 tasks).
    public init(rank: Int = 1, scale: Double = 1, placement: AdapterPlacement = .encoder, taskCount: Int = 2) {
        self.rank = rank
        self.scale = scale
        self.placement = placement
        self.taskCount = taskCount
    }

    /// `c = a / r`, the factor of eq. 2.
    public var scaling: Double { scale / Double(rank) }

    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for a rank or task count below 1 or
    ///   a non-finite scale.
    public func validate() throws {
        guard rank >= 1 else { throw PaLoRAError.invalidConfiguration("rank must be at least 1, got \(rank)") }
        guard taskCount >= 1 else { throw PaLoRAError.invalidConfiguration("task count must be at least 1, got \(taskCount)") }
        guard scale.isFinite else { throw PaLoRAError.invalidConfiguration("scale must be finite, got \(scale)") }
    }
}

/// One adapted layer: its weight viewed as a `rows × columns` row-major matrix `W` and the
/// factors `Aₜ [innerRank, columns]`, `Bₜ [rows, innerRank]`.
///
/// Linear `[out, in]`: `W` is the weight itself, `innerRank = r`. Conv2d `[C_out, C_in, k, k]`
/// as loralib's `ConvLoRA`: `Aₜ [r·k, C_in·k]`, `Bₜ [C_out·k, r·k]`, and the product `Bₜ Aₜ`
/// (`[C_out·k, C_in·k]`) is read row-major as the kernel `[C_out, C_in, k, k]` — the same
/// memory as the weight, so `W` is the weight's flat storage viewed as `[C_out·k, C_in·k]`.
public struct AdaptedLayer: Sendable, Equatable {
    /// Module name (`conv1`, `fc1`, …).
    public let name: String
    /// The weight tensor's name in the base layout (`conv1.weight`).
    public let weightName: String
    /// The weight's shape (PyTorch layout).
    public let weightShape: [Int]
    /// Rows of the matrix view of the weight (`out`, or `C_out·k`).
    public let rows: Int
    /// Columns of the matrix view (`in`, or `C_in·k`).
    public let columns: Int
    /// Inner dimension of each product (`r`, or `r·k`).
    public let innerRank: Int
    /// Shape of each `Aₜ`.
    public var aShape: [Int] { [innerRank, columns] }
    /// Shape of each `Bₜ`.
    public var bShape: [Int] { [rows, innerRank] }
    /// `lora_A.t`'s tensor name, PyTorch `ParameterList` style (`conv1.lora_A.0`).
    public func aName(task: Int) -> String { "\(name).lora_A.\(task)" }
    /// `lora_B.t`'s tensor name (`conv1.lora_B.0`).
    public func bName(task: Int) -> String { "\(name).lora_B.\(task)" }

    /// The layer for weight entry `entry` at rank `rank`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for a weight that is neither
    ///   `[out, in]` nor a square-kernel `[C_out, C_in, k, k]`.
    init(name: String, entry: ParameterLayout.Entry, rank: Int) throws {
        self.name = name
        weightName = entry.name
        weightShape = entry.shape
        switch entry.shape.count {
        case 2:
            (rows, columns, innerRank) = (entry.shape[0], entry.shape[1], rank)
        case 4 where entry.shape[2] == entry.shape[3]:
            let k = entry.shape[2]
            (rows, columns, innerRank) = (entry.shape[0] * k, entry.shape[1] * k, rank * k)
        default:
            throw PaLoRAError.invalidConfiguration("\(entry.name) of shape \(entry.shape) is neither Linear nor a square Conv2d kernel")
        }
    }
}

/// The adapters of a model: the adapted layers and the flat adapter parameter vector `p`
/// (``layout``), with the maps of PaLoRA eq. 2 between `(θ₀, p, λ)` and the model's flat
/// parameters `θ(λ)`, and the chain rule back.
///
/// The layout packs, layer by layer, `lora_A.0 … lora_A.{T−1}`, then `lora_B.0 … lora_B.{T−1}`
/// (the `state_dict` order of two PyTorch `ParameterList`s). At `r = 1` on the MultiLeNet the
/// encoder has 2 × 1,395 = 2,790 adapter parameters, every layer 3,030.
public struct PaLoRAAdapters: Sendable, Equatable {
    /// The options.
    public let configuration: AdapterConfiguration
    /// The base model's layout (the plain ``MultiLeNet`` by default).
    public let baseLayout: ParameterLayout
    /// The adapted layers, in layout order.
    public let layers: [AdaptedLayer]
    /// The adapter tensors (`conv1.lora_A.0`, …) packed into `p`.
    public let layout: ParameterLayout
    /// Offsets of each layer's weight in `θ` and of its `Aₜ`, `Bₜ` in `p`.
    let weightOffsets: [Int]
    let aOffsets: [[Int]], bOffsets: [[Int]]

    /// The number of adapter parameters `|p|`.
    public var parameterCount: Int { layout.parameterCount }

    /// Adapters for `configuration` on `baseLayout`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for a bad configuration, or
    ///   ``ModelError/unknownParameter(_:)`` if the layout lacks an adapted layer's weight.
    public init(configuration: AdapterConfiguration = AdapterConfiguration(), baseLayout: ParameterLayout = MultiLeNet.parameterLayout) throws {
        try configuration.validate()
        self.configuration = configuration
        self.baseLayout = baseLayout
        layers = try configuration.placement.layerNames.map { name in
            try AdaptedLayer(name: name, entry: baseLayout.entry("\(name).weight"), rank: configuration.rank)
        }
        var tensors: [(name: String, shape: [Int])] = []
        for layer in layers {
            for t in 0..<configuration.taskCount { tensors.append((layer.aName(task: t), layer.aShape)) }
            for t in 0..<configuration.taskCount { tensors.append((layer.bName(task: t), layer.bShape)) }
        }
        layout = ParameterLayout(tensors)
        weightOffsets = try layers.map { try baseLayout.entry($0.weightName).offset }
        let (tasks, adapterLayout) = (configuration.taskCount, layout)
        aOffsets = try layers.map { layer in try (0..<tasks).map { try adapterLayout.entry(layer.aName(task: $0)).offset } }
        bOffsets = try layers.map { layer in try (0..<tasks).map { try adapterLayout.entry(layer.bName(task: $0)).offset } }
    }

    /// The initial adapters of loralib's `reset_parameters`: every `Aₜ` as PyTorch's
    /// `kaiming_uniform_(a=√5)`, i.e. uniform in `±1/√fan_in` with `fan_in = Aₜ.shape[1]`,
    /// drawn `(2u − 1)/√fan_in`, `u = SeededGenerator(seed, stream "LORA").unitDouble()`, in
    /// layout order; every `Bₜ` zero, so `θ(λ) = θ₀` for every `λ`.
    public func initialAdapters<S: BLASScalar>(seed: UInt64) -> [S] {
        var generator = SeededGenerator(seed: seed, stream: 0x4C4F_5241 << 32)
        var p = [S](repeating: 0, count: parameterCount)
        for entry in layout.entries where entry.name.contains(".lora_A.") {
            let bound = 1 / Double(entry.shape[1]).squareRoot()
            for i in 0..<entry.count { p[entry.offset + i] = S((2 * generator.unitDouble() - 1) * bound) }
        }
        return p
    }

    func checkPreference(_ preference: [Double]) throws {
        guard preference.count == configuration.taskCount else {
            throw PaLoRAError.dimensionMismatch(argument: "preference", expected: configuration.taskCount, actual: preference.count)
        }
        if preference.contains(where: { !$0.isFinite }) { throw PaLoRAError.nonFinite("preference \(preference)") }
    }

    func check<S>(_ vector: [S], _ argument: String, _ expected: Int) throws {
        guard vector.count == expected else {
            throw PaLoRAError.dimensionMismatch(argument: argument, expected: expected, actual: vector.count)
        }
    }

    /// `θ(λ) = θ₀ + (a/r) Σₜ λₜ Bₜ Aₜ` on the adapted weights (eq. 2), the other entries of
    /// `θ₀` (biases, unadapted layers) unchanged: a plain parameter vector of ``baseLayout``.
    /// - Throws: ``PaLoRAError`` on wrong lengths or a non-finite preference.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func materialize<S: BLASScalar>(base: [S], adapters p: [S], preference: [Double]) throws -> [S] {
        try check(base, "base parameters", baseLayout.parameterCount)
        try check(p, "adapter parameters", parameterCount)
        try checkPreference(preference)
        var theta = base
        accumulateProducts(into: &theta, left: p, right: p, preference: preference)
        return theta
    }

    /// `J v`, the tangent of `θ(λ)` along `(v₀, v_p)`: `v₀ + c Σₜ λₜ (Ḃₜ Aₜ + Bₜ Ȧₜ)` (`v₀ = 0`
    /// for a frozen base).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func tangent<S: BLASScalar>(baseTangent: [S]?, adapters p: [S], adapterTangent v: [S], preference: [Double]) -> [S] {
        var thetaDot = baseTangent ?? [S](repeating: 0, count: baseLayout.parameterCount)
        accumulateProducts(into: &thetaDot, left: v, right: p, preference: preference)
        accumulateProducts(into: &thetaDot, left: p, right: v, preference: preference)
        return thetaDot
    }

    /// `θ[W] += c λₜ B(left) A(right)` for every layer and task.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private func accumulateProducts<S: BLASScalar>(into theta: inout [S], left: [S], right: [S], preference: [Double]) {
        let c = configuration.scaling
        theta.withUnsafeMutableBufferPointer { w in
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in
                    for (index, layer) in layers.enumerated() {
                        for t in 0..<configuration.taskCount where preference[t] != 0 {
                            S.gemm(
                                transposeA: .none, transposeB: .none, m: layer.rows, n: layer.columns, k: layer.innerRank,
                                alpha: S(c * preference[t]), a: l.baseAddress! + bOffsets[index][t], lda: layer.innerRank,
                                b: r.baseAddress! + aOffsets[index][t], ldb: layer.columns,
                                beta: 1, c: w.baseAddress! + weightOffsets[index], ldc: layer.columns)
                        }
                    }
                }
            }
        }
    }

    /// The chain rule of eq. 2 for a gradient `g = ∇_θ` at `θ(λ)`: with `Ḡ` each adapted
    /// weight's block of `g` viewed as the layer's matrix, `Āₜ = c λₜ Bₜᵀ Ḡ` and
    /// `B̄ₜ = c λₜ Ḡ Aₜᵀ`, added to `into` (a vector of ``parameterCount``).
    ///
    /// With the factors `p` replaced by a tangent `v_p` the same formulas give the bilinear
    /// term of the adapter Hessian, `c λₜ Ḃₜᵀ Ḡ` and `c λₜ Ḡ Ȧₜᵀ` (see ``PaLoRAObjective``).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func pullBack<S: BLASScalar>(gradient g: [S], adapters p: [S], preference: [Double], into result: inout [S]) throws {
        try check(g, "parameter gradient", baseLayout.parameterCount)
        try check(p, "adapter parameters", parameterCount)
        try check(result, "adapter gradient", parameterCount)
        try checkPreference(preference)
        let c = configuration.scaling
        g.withUnsafeBufferPointer { gp in
            p.withUnsafeBufferPointer { pp in
                result.withUnsafeMutableBufferPointer { out in
                    for (index, layer) in layers.enumerated() {
                        let gBlock = gp.baseAddress! + weightOffsets[index]
                        for t in 0..<configuration.taskCount where preference[t] != 0 {
                            let alpha = S(c * preference[t])
                            // Āₜ [r', C] += α Bₜᵀ [r', R] Ḡ [R, C]
                            S.gemm(
                                transposeA: .transposed, transposeB: .none, m: layer.innerRank, n: layer.columns, k: layer.rows,
                                alpha: alpha, a: pp.baseAddress! + bOffsets[index][t], lda: layer.innerRank,
                                b: gBlock, ldb: layer.columns, beta: 1, c: out.baseAddress! + aOffsets[index][t], ldc: layer.columns)
                            // B̄ₜ [R, r'] += α Ḡ [R, C] Aₜᵀ [C, r']
                            S.gemm(
                                transposeA: .none, transposeB: .transposed, m: layer.rows, n: layer.innerRank, k: layer.columns,
                                alpha: alpha, a: gBlock, lda: layer.columns, b: pp.baseAddress! + aOffsets[index][t], ldb: layer.columns,
                                beta: 1, c: out.baseAddress! + bOffsets[index][t], ldc: layer.innerRank)
                        }
                    }
                }
            }
        }
    }

    /// `ΔWₜ = c Bₜ Aₜ` of layer `layer` and task `task` as a flat row-major block (the kernel
    /// layout for a convolution), e.g. to compare tasks' adapters.
    /// - Throws: ``PaLoRAError`` on a wrong length or index.
    public func weightUpdate<S: BLASScalar>(layer: Int, task: Int, adapters p: [S]) throws -> [S] {
        try check(p, "adapter parameters", parameterCount)
        guard layers.indices.contains(layer), (0..<configuration.taskCount).contains(task) else {
            throw PaLoRAError.invalidConfiguration("no adapter for layer \(layer), task \(task)")
        }
        var block = [S](repeating: 0, count: layers[layer].rows * layers[layer].columns)
        let l = layers[layer]
        p.withUnsafeBufferPointer { pp in
            S.gemm(
                transposeA: .none, transposeB: .none, m: l.rows, n: l.columns, k: l.innerRank, alpha: S(configuration.scaling),
                a: pp.baseAddress! + bOffsets[layer][task], lda: l.innerRank, b: pp.baseAddress! + aOffsets[layer][task],
                ldb: l.columns, beta: 0, c: &block, ldc: l.columns)
        }
        return block
    }

    /// The cosine similarity `⟨ΔW₁, ΔW₂⟩ / (‖ΔW₁‖ ‖ΔW₂‖)` of two tasks' weight updates in
    /// every adapted layer (0 where an update is zero): the LORPMAN §4.6 disentanglement measure.
    public func taskCosineSimilarities<S: BLASScalar>(adapters p: [S], tasks: (Int, Int) = (0, 1)) throws -> [Double] {
        try layers.indices.map { layer in
            let u = try weightUpdate(layer: layer, task: tasks.0, adapters: p).map { Double($0) }
            let w = try weightUpdate(layer: layer, task: tasks.1, adapters: p).map { Double($0) }
            let dot = zip(u, w).reduce(0) { $0 + $1.0 * $1.1 }
            let norms = (u.reduce(0) { $0 + $1 * $1 } * w.reduce(0) { $0 + $1 * $1 }).squareRoot()
            return norms > 0 ? dot / norms : 0
        }
    }
}
