// swift-tools-version:6.0
// libFuzzer targets for ParetoKit's parsers. Not part of the main package graph: build and run
// them with `scripts/fuzz.sh TARGET SECONDS`, which passes the sanitizer and coverage flags
// (AddressSanitizer plus libFuzzer's instrumentation) and libFuzzer on the command line, so no
// `unsafeFlags` reach the library products. Each target's `main` hands control to libFuzzer's
// `LLVMFuzzerRunDriver` (FuzzSupport). See docs/reliability.md.
import PackageDescription

let paretoKit: Target.Dependency = .product(name: "ParetoKit", package: "ParetoKit")
let dependencies: [Target.Dependency] = [paretoKit, "FuzzSupport"]

let package = Package(
    name: "ParetoKitFuzz",
    dependencies: [.package(name: "ParetoKit", path: "..")],
    targets: [
        // The declaration of LLVMFuzzerRunDriver, and the Swift driver around it.
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
        // SafetensorsFile.parse on arbitrary bytes; accepted files must round-trip.
        .executableTarget(name: "fuzz-safetensors", dependencies: dependencies, path: "Sources/safetensors"),
        // DataFile.gunzip then IDXFile.parseImages / parseLabels; accepted files must round-trip.
        .executableTarget(name: "fuzz-idx", dependencies: dependencies, path: "Sources/idx"),
        // MlxtendCSV.parse (after gunzip when gzip); accepted files must round-trip.
        .executableTarget(name: "fuzz-csv", dependencies: dependencies, path: "Sources/csv"),
        // The run-directory readers: state.json (NetworkRunRecord) and front.json (FrontFile.read).
        .executableTarget(name: "fuzz-rundir", dependencies: dependencies, path: "Sources/rundir"),
        // The CLI's number-list parser, NumberList.parse.
        .executableTarget(name: "fuzz-numberlist", dependencies: dependencies, path: "Sources/numberlist"),
    ]
)
