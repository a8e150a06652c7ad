// `import ParetoKit` re-exports every library module, for analysis scripts.
@_exported import LinearAlgebra
@_exported import Autodiff
@_exported import Krylov
@_exported import Optimization
@_exported import MultiObjective
@_exported import Problems
@_exported import Safetensors
@_exported import Datasets
@_exported import Models
@_exported import Training
@_exported import Expansion
@_exported import NetworkExpansion
@_exported import PaLoRA
@_exported import Stitching
@_exported import Plotting
@_exported import Report

/// The toolkit's identity, recorded with every run (`run.json`) and shown in reports.
public enum ParetoKitInfo {
    /// The version of this build.
    public static let version = "0.5.0-dev"
}
