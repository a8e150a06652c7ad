// swift-tools-version:6.0
// ParetoKit: continuous Pareto sets for multi-task learning.
import PackageDescription

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
        // Dominance, fronts, hypervolume, min-norm weights, benchmark problems.
        .target(
            name: "MultiObjective",
            dependencies: ["LinearAlgebra", "Autodiff", .product(name: "RealModule", package: "swift-numerics")]),
        // The safetensors file format.
        .target(name: "Safetensors"),
        // IDX / CSV readers, MultiMNIST builder, batching.
        .target(name: "Datasets", dependencies: ["LinearAlgebra", "CZlib"]),
        // Layers, the multi-task LeNet, checkpoints.
        .target(name: "Models", dependencies: ["LinearAlgebra", "Autodiff", "Safetensors", "Datasets", "CKernels"]),
        // Scalarization trainers that produce checkpoints.
        .target(name: "Training", dependencies: ["Models", "Datasets", "MultiObjective"]),
        // Algorithm 1, continuous parametrisation, stitching.
        .target(
            name: "Expansion",
            dependencies: [
                "Autodiff", "Krylov", "MultiObjective", "Models", "Datasets", "Training",
                .product(name: "RealModule", package: "swift-numerics"),
            ]),
        // Umbrella module for analysis scripts.
        .target(
            name: "ParetoKit",
            dependencies: [
                "LinearAlgebra", "Autodiff", "Krylov", "MultiObjective", "Safetensors",
                "Datasets", "Models", "Training", "Expansion",
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

        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "LinearAlgebra"]),
        .testTarget(name: "KrylovTests", dependencies: ["Krylov", "LinearAlgebra"]),
        .testTarget(name: "MultiObjectiveTests", dependencies: ["MultiObjective", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "LinearAlgebra"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Autodiff", "LinearAlgebra", "Safetensors"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Datasets"]),
        .testTarget(
            name: "ExpansionTests",
            dependencies: ["Expansion", "MultiObjective", "Autodiff", "Krylov", "LinearAlgebra", "Models", "Datasets", "Training"]),
        .testTarget(name: "CLITests", dependencies: ["ParetoKit"]),
    ]
)
