import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --from RUN_DIR --at t=…|lambda=… --out FILE.safetensors`: the model at
    /// `t` of a tangent run's chain (``NetworkChain``) or at `λ` of a PaLoRA run's segment
    /// (``PaLoRASegment``), as a plain checkpoint of its architecture.
    func materialize(run: String, at coordinate: FamilyCoordinate) throws {
        if run.hasSuffix(".safetensors") {
            // A PaLoRA file (pareto train --method palora): its segment directly.
            guard case .preference(let lambda) = coordinate, FamilyDomain.simplex(tasks: 2).contains(coordinate) else {
                throw ValidationError("--from \(run) is a PaLoRA file: give --at lambda=VALUE with VALUE in [0, 1]")
            }
            let checkpoint = try PaLoRASegment(PaLoRACheckpoint.load(from: URL(fileURLWithPath: run))).checkpoint(at: lambda)
            try checkpoint.write(to: URL(fileURLWithPath: out))
            print("wrote \(out): MultiLeNet at \(coordinate) of \(run)")
            return
        }
        let directory = URL(fileURLWithPath: run, isDirectory: true)
        let front: FrontFile
        do {
            front = try NetworkRun.front(in: directory)
        } catch NetworkRunError.noRun(let path) {
            throw CommandLineError(
                description: "--from \(path) holds no finished network run (no front.json); --at reads a run directory", status: .missingInput)
        }
        let checkpoint: Checkpoint
        switch (front.method, coordinate) {
        case ("palora", .preference(let lambda)):
            guard FamilyDomain.simplex(tasks: 2).contains(coordinate) else {
                throw ValidationError("--at lambda=\(lambda[0]) is outside [0, 1]")
            }
            checkpoint = try PaLoRARun.segment(in: directory).checkpoint(at: lambda)
        case ("palora", .t):
            throw ValidationError("\(run) is a PaLoRA run: give --at lambda=VALUE (the preference of task 1)")
        case (_, .preference):
            throw ValidationError("\(run) is a \(front.method) run (a chain): give --at t=VALUE")
        case (_, .t(let t)):
            guard FamilyDomain.chain.contains(coordinate) else {
                throw ValidationError("--at t=\(t) is outside the chain's domain: t must lie in [-1, 1]")
            }
            checkpoint = try NetworkChain(directory: directory).checkpoint(at: t)
        }
        try checkpoint.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(checkpoint.metadata.architecture ?? "network") at \(coordinate) of \(directory.path)")
    }
}
