// swift-tools-version:6.0
// ParetoKit: continuous Pareto sets for multi-task learning.
import PackageDescription

let propertyBased: Target.Dependency = .product(name: "PropertyBased", package: "swift-property-based")

let package = Package(
    name: "ParetoKit",
    products: [
        .library(name: "ParetoKit", targets: ["ParetoKit"]),
        .executable(name: "pareto", targets: ["pareto"]),
        .executable(name: "pareto-bench", targets: ["pareto-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
        // Generators for the property-based tests of the parsers (test targets only).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // `swift package generate-documentation` for the DocC catalogs (scripts/build-docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries (found with pkg-config).
        .systemLibrary(
            name: "CLinearAlgebra", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CLAPACKE", pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // cpuid feature detection and run-time-dispatched vector kernels (C, no unsafe flags).
        .target(name: "CKernels"),
        // Linear algebra: Tensor, BLAS and LAPACK wrappers.
        .target(
            name: "LinearAlgebra",
            dependencies: [
                "CLinearAlgebra", "CLAPACKE", "CKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ]),
        // Reverse mode and forward-over-reverse automatic differentiation.
        .target(name: "Autodiff", dependencies: ["LinearAlgebra", .product(name: "RealModule", package: "swift-numerics")]),
        // Matrix-free Krylov solvers (MINRES, CG).
        .target(name: "Krylov", dependencies: ["LinearAlgebra"]),
        // Smooth unconstrained minimisation (L-BFGS with a strong Wolfe line search).
        .target(name: "Optimization", dependencies: ["LinearAlgebra"]),
        // Dominance, fronts, hypervolume, distance indicators, min-norm weights.
        .target(name: "MultiObjective", dependencies: ["LinearAlgebra"]),
        // Analytic benchmark problems (ZDT1–6, the ZDT2 variant) on the autodiff engine.
        .target(
            name: "Problems",
            dependencies: ["LinearAlgebra", "Autodiff", "MultiObjective", .product(name: "RealModule", package: "swift-numerics")]),
        // The safetensors file format.
        .target(name: "Safetensors"),
        // IDX / CSV readers, MultiMNIST builder, synthetic digits, batching.
        .target(name: "Datasets", dependencies: ["LinearAlgebra", "CZlib"]),
        // Multi-task networks, their fused kernels, the architecture registry, checkpoints.
        .target(name: "Models", dependencies: ["LinearAlgebra", "Autodiff", "Safetensors", "CKernels"]),
        // Scalarization trainers that produce checkpoints; test metrics.
        .target(name: "Training", dependencies: ["LinearAlgebra", "Autodiff", "Models", "Datasets", "MultiObjective", "Optimization"]),
        // The core: ParetoOptimize, tangent directions, Algorithm 1, families, stitching, front files.
        .target(
            name: "Expansion",
            dependencies: [
                "LinearAlgebra", "Autodiff", "Krylov", "MultiObjective", .product(name: "RealModule", package: "swift-numerics"),
            ]),
        // Expansion of networks over data: objectives, run directories, resume, null space, empirical fronts.
        .target(
            name: "NetworkExpansion",
            dependencies: ["LinearAlgebra", "Autodiff", "MultiObjective", "Optimization", "Datasets", "Models", "Training", "Expansion"]),
        // PaLoRA: Pareto low-rank adapters (a second continuous family).
        .target(
            name: "PaLoRA",
            dependencies: ["LinearAlgebra", "Autodiff", "Models", "Datasets", "Training", "MultiObjective", "Safetensors", "Expansion"]),
        // Families from run directories, one stitched front from many, the hybrid method.
        .target(
            name: "Stitching",
            dependencies: [
                "LinearAlgebra", "Autodiff", "MultiObjective", "Problems", "Datasets", "Models", "Training", "Expansion",
                "NetworkExpansion", "PaLoRA",
            ]),
        // SVG figures: axes, ticks, legends, colour bars (Foundation only).
        .target(name: "Plotting"),
        // The self-contained HTML report of a run directory.
        .target(name: "Report", dependencies: ["Plotting", "MultiObjective", "Problems", .product(name: "Plot", package: "Plot")]),
        // Umbrella module for analysis scripts.
        .target(
            name: "ParetoKit",
            dependencies: [
                "LinearAlgebra", "Autodiff", "Krylov", "Optimization", "MultiObjective", "Problems", "Safetensors",
                "Datasets", "Models", "Training", "Expansion", "NetworkExpansion", "PaLoRA", "Stitching", "Plotting", "Report",
            ]),
        .executableTarget(
            name: "pareto",
            dependencies: [
                "ParetoKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "pareto-bench",
            dependencies: [
                "ParetoKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "zdt2-expansion-example", dependencies: ["ParetoKit"], path: "examples/ZDT2Expansion"),
        .executableTarget(
            name: "null-space-example", dependencies: ["ParetoKit"], path: "examples/NullSpace"),
        .executableTarget(name: "palora-example", dependencies: ["ParetoKit"], path: "examples/PaLoRA"),
        .executableTarget(
            name: "report-example", dependencies: ["ParetoKit"], path: "examples/RunReport"),
        .executableTarget(name: "notebooks-example", dependencies: ["ParetoKit"], path: "examples/Notebooks"),
        .executableTarget(name: "run-analysis-example", dependencies: ["ParetoKit"], path: "examples/RunAnalysis"),

        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "LinearAlgebra"]),
        .testTarget(name: "KrylovTests", dependencies: ["Krylov", "LinearAlgebra"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "LinearAlgebra"]),
        .testTarget(name: "MultiObjectiveTests", dependencies: ["MultiObjective", "LinearAlgebra"]),
        .testTarget(name: "ProblemsTests", dependencies: ["Problems", "MultiObjective", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors", propertyBased]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "LinearAlgebra", propertyBased]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Autodiff", "LinearAlgebra", "Safetensors"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Models", "Datasets", "LinearAlgebra", "Autodiff", "Problems", "MultiObjective", "Optimization"]),
        .testTarget(
            name: "ExpansionTests",
            dependencies: [
                "Expansion", "Problems", "MultiObjective", "Autodiff", "Krylov", "LinearAlgebra", "Models", propertyBased,
            ]),
        .testTarget(
            name: "NetworkExpansionTests",
            dependencies: [
                "NetworkExpansion", "Expansion", "MultiObjective", "Optimization", "Autodiff", "LinearAlgebra", "Models",
                "Datasets", "Training", propertyBased,
            ]),
        .testTarget(name: "CLITests", dependencies: ["ParetoKit"]),
        .testTarget(
            name: "PaLoRATests",
            dependencies: ["PaLoRA", "Autodiff", "Krylov", "LinearAlgebra", "Models", "Datasets", "Training", "MultiObjective", "Safetensors"]),
        .testTarget(
            name: "StitchingTests",
            dependencies: ["Stitching", "Expansion", "Problems", "MultiObjective", "LinearAlgebra", "Datasets", "Models", "NetworkExpansion", "PaLoRA"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Plotting"], exclude: ["Fixtures"]),
    ]
)
