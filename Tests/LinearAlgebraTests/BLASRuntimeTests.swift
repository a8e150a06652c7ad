import LinearAlgebra
import XCTest

/// The BLAS core check: the pure decision on a table of processors and environments, and the
/// facts it reads from this process.
final class BLASRuntimeTests: XCTestCase {
    /// Family 6 model 207 (Emerald Rapids) with AVX-512 BF16: OpenBLAS 0.3.21 falls through to Prescott.
    private let emeraldRapids = CPUFeatures(vendorString: "GenuineIntel", family: 6, model: 207, avx: true, avx2FMA: true, avx512: true, avx512BF16: true)
    private let haswellClass = CPUFeatures(vendorString: "GenuineIntel", family: 6, model: 60, avx: true, avx2FMA: true, avx512: false)
    private let zen3 = CPUFeatures(vendorString: "AuthenticAMD", family: 25, model: 33, avx: true, avx2FMA: true, avx512: false)
    private let zen5 = CPUFeatures(vendorString: "AuthenticAMD", family: 26, model: 2, avx: true, avx2FMA: true, avx512: true, avx512BF16: true)
    private let hygon = CPUFeatures(vendorString: "HygonGenuine", family: 24, model: 1, avx: true, avx2FMA: true, avx512: false)
    private let sandyBridge = CPUFeatures(vendorString: "GenuineIntel", family: 6, model: 42, avx: true, avx2FMA: false, avx512: false)
    /// AVX2 hardware whose OS does not save the YMM state: every AVX flag is off.
    private let noOSSupport = CPUFeatures(vendorString: "GenuineIntel", family: 6, model: 63, avx: false, avx2FMA: false, avx512: false)
    private let nonX86 = CPUFeatures(vendorString: "", family: 0, model: 0, avx: false, avx2FMA: false, avx512: false)

    func testRecommendedCoreTypes() {
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: emeraldRapids), "SkylakeX")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: zen5), "SkylakeX")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: haswellClass), "Haswell")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: zen3), "Zen")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: hygon), "Zen")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(for: sandyBridge), "Sandybridge")
        XCTAssertNil(BLASRuntime.recommendedCoreType(for: noOSSupport))
        XCTAssertNil(BLASRuntime.recommendedCoreType(for: nonX86))
    }

    func testDecisionTable() {
        let marker = BLASStartup.restartMarker
        let cases: [(core: String, cpu: CPUFeatures, environment: [String: String], expected: BLASCoreDecision, line: UInt)] = [
            // The machine: generic fallback, nothing set → restart with SkylakeX.
            ("Prescott", emeraldRapids, [:], .restart(coreType: "SkylakeX"), #line),
            // Case-insensitive core names; other generic cores.
            ("PRESCOTT", emeraldRapids, [:], .restart(coreType: "SkylakeX"), #line),
            ("Nehalem", haswellClass, [:], .restart(coreType: "Haswell"), #line),
            ("Core2", zen3, [:], .restart(coreType: "Zen"), #line),
            ("Barcelona", zen5, [:], .restart(coreType: "SkylakeX"), #line),
            ("Unknown", sandyBridge, [:], .restart(coreType: "Sandybridge"), #line),
            // An empty OPENBLAS_CORETYPE is no choice.
            ("Prescott", emeraldRapids, ["OPENBLAS_CORETYPE": ""], .restart(coreType: "SkylakeX"), #line),
            // A user-set core type is always respected, even a generic one.
            ("Prescott", emeraldRapids, ["OPENBLAS_CORETYPE": "Prescott"], .keep(.userSelected("Prescott")), #line),
            ("Haswell", zen5, ["OPENBLAS_CORETYPE": "Haswell"], .keep(.userSelected("Haswell")), #line),
            // After the restart (marker set): keep, whatever the core, never loop.
            ("Prescott", emeraldRapids, ["OPENBLAS_CORETYPE": "SkylakeX", marker: "SkylakeX"], .keep(.restarted("SkylakeX")), #line),
            ("Prescott", emeraldRapids, [marker: "SkylakeX"], .keep(.restarted(nil)), #line),
            // AVX kernels already, or nothing better to offer.
            ("Cooperlake", zen5, [:], .keep(.suitable), #line),
            ("Haswell", zen5, [:], .keep(.suitable), #line),
            ("Zen", zen3, [:], .keep(.suitable), #line),
            ("Nehalem", noOSSupport, [:], .keep(.noBetterKernels), #line),
            ("Prescott", nonX86, [:], .keep(.noBetterKernels), #line),
        ]
        for c in cases {
            XCTAssertEqual(BLASRuntime.decide(coreName: c.core, features: c.cpu, environment: c.environment), c.expected,
                           "\(c.core), \(c.cpu), \(c.environment)", line: c.line)
        }
    }

    func testWarningNamesTheFallbackAndTheCure() throws {
        let fallback = BLASCoreCheck(coreName: "Prescott", threadCount: 2, features: emeraldRapids, environment: [:])
        XCTAssertTrue(fallback.isFallback)
        let warning = try XCTUnwrap(fallback.warning)
        XCTAssertTrue(warning.contains("Prescott") && warning.contains("OPENBLAS_CORETYPE=SkylakeX"), warning)
        let userSet = BLASCoreCheck(coreName: "Prescott", threadCount: 2, features: emeraldRapids, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(userSet.decision, .keep(.userSelected("Prescott")))
        XCTAssertNotNil(userSet.warning, "a user-set generic core is kept, but the library warning still tells")
        for suitable in [("SkylakeX", emeraldRapids), ("Zen", zen3), ("Nehalem", noOSSupport)] {
            XCTAssertNil(BLASCoreCheck(coreName: suitable.0, threadCount: 1, features: suitable.1, environment: [:]).warning)
        }
    }

    /// The live check agrees with what OpenBLAS and /proc/cpuinfo say about this process.
    func testLiveCheckReportsThisProcess() throws {
        let check = BLASRuntime.check()
        XCTAssertEqual(check.coreName, BLASRuntime.coreName)
        XCTAssertFalse(check.coreName.isEmpty)
        XCTAssertTrue(BLASRuntime.configuration.contains("OpenBLAS"), BLASRuntime.configuration)
        XCTAssertGreaterThanOrEqual(check.threadCount, 1)
        XCTAssertEqual(check.requestedCoreType, ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 })
        #if arch(x86_64)
        // The kernel's view of the same cpuid bits.
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }).split(separator: " ").map(String.init))
        let features = CPUFeatures.current
        XCTAssertEqual(features.avx, flags.contains("avx"))
        XCTAssertEqual(features.avx2FMA, flags.contains("avx2") && flags.contains("fma"))
        XCTAssertEqual(features.avx512, ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains))
        XCTAssertEqual(features.avx512BF16, features.avx512 && flags.contains("avx512_bf16"))
        let family = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("cpu family") })
        XCTAssertEqual(family.split(separator: ":").last.map { Int($0.trimmingCharacters(in: .whitespaces)) }, features.family)
        let vendor = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("vendor_id") })
        XCTAssertEqual(vendor.split(separator: ":").last?.trimmingCharacters(in: .whitespaces), features.vendorString)
        #endif
    }
}
