import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --from RUN_DIR --at t=… --out FILE.safetensors`: the model at `t` of the
    /// run's continuous chain (``NetworkChain``), as a plain checkpoint of its architecture.
    func materialize(run: String, t: Double) throws {
        let chain: NetworkChain
        do {
            chain = try NetworkChain(directory: URL(fileURLWithPath: run, isDirectory: true))
        } catch NetworkRunError.noRun(let path) {
            throw ValidationError("--from \(path) holds no finished network run (no front.json); --at reads a run directory")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try chain.checkpoint(at: t)
        } catch ExpansionError.invalidCoordinate(let coordinate, _) {
            throw ValidationError("--at \(coordinate) is outside the chain's domain: t must lie in [-1, 1]")
        }
        try checkpoint.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(chain.model.architecture) at t = \(t) of \(chain.directory.path)")
    }
}
