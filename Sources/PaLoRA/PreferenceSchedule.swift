import Foundation
import LinearAlgebra

/// The deterministic base rays `λ̃₁ … λ̃_M` of PaLoRA Algorithm 1 (§4.1).
///
/// Two tasks: `λ̃_m = (p_m, 1 − p_m)` with `p = linspace(ε, 1 − ε, M)` — `ε = 0.01` in the
/// public code (the default), `ε = 0` gives App. C's `linspace(0, 1, M)`. As numpy's
/// `linspace`, `M = 1` gives the single value `ε`. `T ≥ 3` tasks: the even simplex lattice
/// (Das–Dennis) with `H` divisions, every ray `ε + (1 − Tε) k/H` with `k ∈ ℕᵀ`, `Σ k = H`;
/// `M` must be one of the lattice sizes `C(H + T − 1, T − 1)` (for `T = 2` the lattice is the
/// linspace above with `H = M − 1`). Rays are ordered lexicographically by decreasing `k₁`
/// for `T ≥ 3`, by increasing `p` for `T = 2`.
public struct EvenRays: Sendable, Equatable, Codable {
    /// `M`, the number of rays per batch.
    public var count: Int
    /// `T`.
    public var taskCount: Int
    /// The margin `ε` from the simplex faces.
    public var epsilon: Double

    /// Rays; defaults follow the public code (`ε = 0.01`, 2 tasks).
    public init(count: Int, taskCount: Int = 2, epsilon: Double = 0.01) {
        self.count = count
        self.taskCount = taskCount
        self.epsilon = epsilon
    }

    /// The `M` base rays.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for `M < 1`, `T < 2`, `ε` outside
    ///   `[0, 1/T)`, or (`T ≥ 3`) an `M` that is no lattice size.
    public func rays() throws -> [[Double]] {
        guard count >= 1 else { throw PaLoRAError.invalidConfiguration("ray count must be at least 1, got \(count)") }
        guard taskCount >= 2 else { throw PaLoRAError.invalidConfiguration("rays need at least 2 tasks, got \(taskCount)") }
        guard epsilon >= 0, epsilon * Double(taskCount) < 1 else {
            throw PaLoRAError.invalidConfiguration("ε = \(epsilon) must lie in [0, 1/\(taskCount))")
        }
        if taskCount == 2 {
            if count == 1 { return [[epsilon, 1 - epsilon]] }
            return (0..<count).map { m in
                let p = epsilon + (1 - 2 * epsilon) * Double(m) / Double(count - 1)
                return [p, 1 - p]
            }
        }
        var divisions = 0
        while Self.latticeSize(divisions: divisions, tasks: taskCount) < count { divisions += 1 }
        guard Self.latticeSize(divisions: divisions, tasks: taskCount) == count else {
            let sizes = (0...divisions).map { Self.latticeSize(divisions: $0, tasks: taskCount) }
            throw PaLoRAError.invalidConfiguration("\(count) rays is no simplex-lattice size for \(taskCount) tasks (sizes: \(sizes))")
        }
        let shrink = 1 - Double(taskCount) * epsilon
        return Self.compositions(of: divisions, parts: taskCount).map { k in
            k.map { epsilon + shrink * (divisions == 0 ? 1 / Double(taskCount) : Double($0) / Double(divisions)) }
        }
    }

    static func latticeSize(divisions: Int, tasks: Int) -> Int {
        var size = 1
        for i in 1..<tasks { size = size * (divisions + i) / i }
        return size
    }

    static func compositions(of total: Int, parts: Int) -> [[Int]] {
        if parts == 1 { return [[total]] }
        return stride(from: total, through: 0, by: -1).flatMap { first in
            compositions(of: total - first, parts: parts - 1).map { [first] + $0 }
        }
    }
}

/// Which exponent the annealing `g_{τ,Q}(λ̃) = λ̃^e / Σₜ λ̃ₜ^e` uses.
public enum AnnealingConvention: String, Sendable, Equatable, Codable {
    /// `e = Q·τ` — the public code (the default). At `τ = 1` the rays are the base rays raised
    /// to `Q` and renormalised: pushed past them toward the faces (fits the paper's Fig. 9,
    /// "higher temperatures give larger fronts").
    case publicCode
    /// `e = τ/Q` — PaLoRA eq. 3 as printed. At `τ = 1` the rays end inside the base rays
    /// (`λ̃^{1/Q}`, for `Q > 1`).
    case paper

    /// The exponent at progress `τ` and temperature `Q`.
    public func exponent(progress: Double, temperature: Double) -> Double {
        switch self {
        case .publicCode: return temperature * progress
        case .paper: return progress / temperature
        }
    }
}

/// The annealed deterministic schedule of PaLoRA eq. 3 / Algorithm 1: at training progress
/// `τ = step / total steps ∈ [0, 1]` (updated every step), ray `m` is
/// `λ_m(τ) = λ̃_m^e / Σₜ λ̃_{m,t}^e` with `e` from ``convention``. At `τ = 0` every ray is the
/// centre `(1/T, …, 1/T)`. With ``isAnnealed`` false the rays stay at their `τ = 1` values
/// throughout (App. D's "deterministic without annealing": eq. 3 at `τ = 1`).
public struct AnnealedRays: Sendable, Equatable, Codable {
    /// The base rays.
    public var base: EvenRays
    /// The temperature `Q` (> 0; public default 5).
    public var temperature: Double
    /// The exponent convention.
    public var convention: AnnealingConvention
    /// Whether `τ` advances (otherwise fixed at 1).
    public var isAnnealed: Bool

    /// A schedule; defaults are the public code's (`Q = 5`, `e = Q·τ`, annealed).
    public init(base: EvenRays, temperature: Double = 5, convention: AnnealingConvention = .publicCode, isAnnealed: Bool = true) {
        self.base = base
        self.temperature = temperature
        self.convention = convention
        self.isAnnealed = isAnnealed
    }

    /// The rays at progress `τ`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for `τ ∉ [0, 1]`, `Q ≤ 0` or bad base rays.
    public func rays(progress: Double) throws -> [[Double]] {
        guard temperature.isFinite, temperature > 0 else {
            throw PaLoRAError.invalidConfiguration("temperature must be positive, got \(temperature)")
        }
        guard (0...1).contains(progress) else { throw PaLoRAError.invalidConfiguration("progress \(progress) outside [0, 1]") }
        let e = convention.exponent(progress: isAnnealed ? progress : 1, temperature: temperature)
        return try base.rays().map { ray in
            let powered = ray.map { Foundation.pow($0, e) }
            let total = powered.reduce(0, +)
            return powered.map { $0 / total }
        }
    }
}

/// Random rays: `M` independent draws from the symmetric Dirichlet `Dir(p·1)` per step
/// (PaLoRA Fig. 2(a) `M = 1`, 2(b) `M > 1`; App. D). A `Gamma(p)` draw per task, normalised
/// (Marsaglia–Tsang for `p ≥ 1`; `Gamma(p + 1)·U^{1/p}` for `p < 1`).
public struct DirichletRays: Sendable, Equatable, Codable {
    /// `M`.
    public var count: Int
    /// `T`.
    public var taskCount: Int
    /// The concentration `p > 0` (1 is uniform on the simplex).
    public var concentration: Double

    /// A schedule.
    public init(count: Int, taskCount: Int = 2, concentration: Double = 1) {
        self.count = count
        self.taskCount = taskCount
        self.concentration = concentration
    }

    /// `M` draws from `generator`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` for `M < 1`, `T < 2` or `p ≤ 0`.
    public func rays(using generator: inout SeededGenerator) throws -> [[Double]] {
        guard count >= 1, taskCount >= 2 else {
            throw PaLoRAError.invalidConfiguration("Dirichlet rays need M ≥ 1 and T ≥ 2, got M = \(count), T = \(taskCount)")
        }
        guard concentration.isFinite, concentration > 0 else {
            throw PaLoRAError.invalidConfiguration("Dirichlet concentration must be positive, got \(concentration)")
        }
        return (0..<count).map { _ in
            let draws = (0..<taskCount).map { _ in Self.gamma(shape: concentration, using: &generator) }
            let total = draws.reduce(0, +)
            return draws.map { $0 / total }
        }
    }

    /// A `Gamma(shape, 1)` variate (Marsaglia & Tsang, ACM TOMS 26, 2000).
    static func gamma(shape: Double, using generator: inout SeededGenerator) -> Double {
        if shape < 1 {
            let u = 1 - generator.unitDouble()
            return gamma(shape: shape + 1, using: &generator) * Foundation.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = generator.gaussian()
            let v = Foundation.pow(1 + c * x, 3)
            guard v > 0 else { continue }
            let u = 1 - generator.unitDouble()
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }
}

/// The preference schedule of a PaLoRA run: which rays `λ_1 … λ_M` each step uses.
public enum PreferenceSchedule: Sendable, Equatable, Codable {
    /// The base rays, every step.
    case deterministic(EvenRays)
    /// Annealed (or fixed at `τ = 1`) deterministic rays, eq. 3.
    case annealed(AnnealedRays)
    /// Fresh Dirichlet draws every step.
    case dirichlet(DirichletRays)

    /// The public code's default for `M` rays and 2 tasks: annealed, `ε = 0.01`, `Q = 5`, `e = Q·τ`.
    public static func publicDefault(rays: Int, taskCount: Int = 2) -> PreferenceSchedule {
        .annealed(AnnealedRays(base: EvenRays(count: rays, taskCount: taskCount)))
    }

    /// `M`.
    public var rayCount: Int {
        switch self {
        case .deterministic(let rays): return rays.count
        case .annealed(let rays): return rays.base.count
        case .dirichlet(let rays): return rays.count
        }
    }

    /// `T`.
    public var taskCount: Int {
        switch self {
        case .deterministic(let rays): return rays.taskCount
        case .annealed(let rays): return rays.base.taskCount
        case .dirichlet(let rays): return rays.taskCount
        }
    }

    /// The rays of a step at progress `τ ∈ [0, 1]`; random schedules draw from `generator`.
    /// - Throws: ``PaLoRAError/invalidConfiguration(_:)`` as the cases' `rays` functions.
    public func rays(progress: Double, using generator: inout SeededGenerator) throws -> [[Double]] {
        switch self {
        case .deterministic(let rays): return try rays.rays()
        case .annealed(let rays): return try rays.rays(progress: progress)
        case .dirichlet(let rays): return try rays.rays(using: &generator)
        }
    }
}
