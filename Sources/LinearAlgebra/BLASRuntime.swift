import CKernels
import CLinearAlgebra

/// What OpenBLAS runs in this process, and whether its kernels suit the processor.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's `libopenblas0`) picks a kernel set ("core")
/// when the library loads: the `OPENBLAS_CORETYPE` environment variable if it names a core,
/// otherwise its own `cpuid` table (`driver/others/dynamic.c`). A processor newer than that
/// table may get a generic pre-AVX core: OpenBLAS 0.3.21 sends an unknown Intel family-6
/// model (e.g. Emerald Rapids, model 207) to `Prescott`, whose sgemm is ~5× slower than the
/// `SkylakeX` kernels the processor supports. ``check(environment:)`` detects that; the command-line tools
/// restart themselves once with a better `OPENBLAS_CORETYPE` (``BLASStartup``).
public enum BLASRuntime {
    /// The environment variable OpenBLAS reads at load time to force a core.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"

    /// OpenBLAS's name of the kernel set in use (`openblas_get_corename()`), e.g. "Haswell".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration (`openblas_get_config()`), e.g.
    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The number of threads OpenBLAS currently uses (``BLASThreads/count``).
    public static var threadCount: Int { BLASThreads.count }

    /// OpenBLAS's x86-64 cores that use no AVX: what its `dynamic.c` selects for processors
    /// it does not know (`Prescott` for an unknown Intel family-6 model, `Nehalem`/`Barcelona`
    /// when the OS does not save the AVX state), plus the legacy cores of its table. Compared
    /// case-insensitively.
    public static let genericCores: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat",
    ]

    /// Whether `coreName` is one of the pre-AVX ``genericCores``.
    public static func isGenericCore(_ coreName: String) -> Bool {
        genericCores.contains(coreName.lowercased())
    }

    /// The `OPENBLAS_CORETYPE` value whose kernels best match `features`, or `nil` when no
    /// AVX core applies (then the generic cores are the right ones):
    /// * AVX-512 (F, DQ, BW, VL, OS-saved) → `SkylakeX` on any vendor (OpenBLAS itself picks
    ///   SkylakeX/Cooperlake for AVX-512 Zen 4). Not `Cooperlake`: 0.3.21's `force_coretype`
    ///   matches only the first 24 names of its table, so a forced "Cooperlake" is rejected
    ///   ("Core not found") and detection runs again; its sgemm kernels are SkylakeX's.
    /// * AVX2 + FMA → `Zen` on AMD/Hygon, `Haswell` otherwise.
    /// * AVX → `Sandybridge`.
    public static func recommendedCoreType(for features: CPUFeatures) -> String? {
        if features.avx512 { return "SkylakeX" }
        if features.avx2FMA { return features.vendor == .amd ? "Zen" : "Haswell" }
        if features.avx { return "Sandybridge" }
        return nil
    }

    /// Decides, from the core OpenBLAS reports, the processor's features and the process's
    /// environment, whether to keep the current kernels or restart with `OPENBLAS_CORETYPE`
    /// set. Pure: no process state is read.
    ///
    /// A non-empty `OPENBLAS_CORETYPE` is always kept (the user's choice, or this process's
    /// own restart when ``BLASStartup/restartMarker`` is set); so is a core with AVX kernels.
    /// A generic core is replaced only when ``recommendedCoreType(for:)`` offers a better one
    /// and no restart has happened yet (the marker guards against loops).
    public static func decide(coreName: String, features: CPUFeatures, environment: [String: String]) -> BLASCoreDecision {
        let requested = environment[coreTypeVariable].flatMap { $0.isEmpty ? nil : $0 }
        let restarted = environment[BLASStartup.restartMarker].map { !$0.isEmpty } ?? false
        if let requested { return .keep(restarted ? .restarted(requested) : .userSelected(requested)) }
        if restarted { return .keep(.restarted(nil)) }
        guard isGenericCore(coreName) else { return .keep(.suitable) }
        guard let better = recommendedCoreType(for: features) else { return .keep(.noBetterKernels) }
        return .restart(coreType: better)
    }

    /// The check of this process: OpenBLAS's core, the CPU's features and the environment,
    /// with ``decide(coreName:features:environment:)``'s decision and, when OpenBLAS runs
    /// generic kernels on a processor that has better ones, a warning to show the user.
    /// Library users call it once (e.g. at start-up) and print ``BLASCoreCheck/warning``.
    public static func check(environment: [String: String] = currentEnvironment()) -> BLASCoreCheck {
        BLASCoreCheck(coreName: coreName, threadCount: threadCount, features: .current, environment: environment)
    }

    /// This process's environment as a dictionary.
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        guard var entry = ck_environment() else { return result }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}

/// What to do about OpenBLAS's kernel choice (``BLASRuntime/decide(coreName:features:environment:)``).
public enum BLASCoreDecision: Sendable, Equatable {
    /// Keep the kernels in use, for the reason given.
    case keep(BLASCoreKeepReason)
    /// Restart the process with `OPENBLAS_CORETYPE=coreType`.
    case restart(coreType: String)
}

/// Why OpenBLAS's kernels are kept.
public enum BLASCoreKeepReason: Sendable, Equatable {
    /// `OPENBLAS_CORETYPE` was set by the user (always respected).
    case userSelected(String)
    /// This process was restarted by ``BLASStartup`` (with the core type it set, if still set).
    case restarted(String?)
    /// OpenBLAS runs AVX (or better) kernels.
    case suitable
    /// The core is generic, but the processor has no AVX kernels to offer.
    case noBetterKernels
}

/// The result of ``BLASRuntime/check(environment:)``.
public struct BLASCoreCheck: Sendable, Equatable {
    /// OpenBLAS's core in use (`openblas_get_corename()`).
    public let coreName: String
    /// OpenBLAS's thread count at the time of the check.
    public let threadCount: Int
    /// The processor's features.
    public let features: CPUFeatures
    /// `OPENBLAS_CORETYPE` as set in the environment (non-empty), else `nil`.
    public let requestedCoreType: String?
    /// The best core type for the processor (``BLASRuntime/recommendedCoreType(for:)``).
    public let recommendedCoreType: String?
    /// Keep or restart.
    public let decision: BLASCoreDecision

    /// Builds the check from its inputs (the decision is ``BLASRuntime/decide(coreName:features:environment:)``).
    public init(coreName: String, threadCount: Int, features: CPUFeatures, environment: [String: String]) {
        self.coreName = coreName
        self.threadCount = threadCount
        self.features = features
        requestedCoreType = environment[BLASRuntime.coreTypeVariable].flatMap { $0.isEmpty ? nil : $0 }
        recommendedCoreType = BLASRuntime.recommendedCoreType(for: features)
        decision = BLASRuntime.decide(coreName: coreName, features: features, environment: environment)
    }

    /// Whether OpenBLAS runs one of its generic pre-AVX cores although the processor supports
    /// a better one (``recommendedCoreType``).
    public var isFallback: Bool { BLASRuntime.isGenericCore(coreName) && recommendedCoreType != nil }

    /// `nil` when the kernels suit the processor; otherwise one sentence for the user: which
    /// generic core runs, why (a user-set `OPENBLAS_CORETYPE` or OpenBLAS's own detection),
    /// and which `OPENBLAS_CORETYPE` to set before the process starts (OpenBLAS chooses its
    /// kernels when the library loads, so it cannot be changed from inside the process).
    public var warning: String? {
        guard isFallback, let better = recommendedCoreType else { return nil }
        let cause: String
        if let requestedCoreType {
            cause = requestedCoreType.lowercased() == coreName.lowercased()
                ? "as OPENBLAS_CORETYPE=\(requestedCoreType) in the environment asks"
                : "although OPENBLAS_CORETYPE=\(requestedCoreType) is set (OpenBLAS did not accept it)"
        } else {
            cause = "because it does not recognise this processor"
        }
        return "OpenBLAS runs its generic \(coreName) kernels \(cause), but this \(features) supports its \(better) kernels: "
            + "start the process with OPENBLAS_CORETYPE=\(better) for full BLAS speed"
    }

    /// One line for reports: "OpenBLAS core Haswell (OPENBLAS_CORETYPE=Haswell), 2 threads".
    public var summary: String {
        let source = requestedCoreType.map { "OPENBLAS_CORETYPE=\($0)" } ?? "detected"
        return "OpenBLAS core \(coreName) (\(source)), \(threadCount) thread\(threadCount == 1 ? "" : "s")"
    }
}
