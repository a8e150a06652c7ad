import ArgumentParser
import Foundation
import ParetoKit

extension ExpandCommand {
    /// `pareto expand --from RUN_DIR --at t=…|lambda=… --out FILE.safetensors`: the model at
    /// `t` of a tangent run's chain (``NetworkChain``), at `λ` of a PaLoRA run's segment
    /// (``PaLoRASegment``) or at `t ∈ [0, 1]` of a stitched run (``StitchedRun``), as a plain
    /// checkpoint of its architecture; for analytic runs, the decision vector as JSON.
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
        if front.stitch != nil || !front.points.contains(where: { $0.checkpoint != nil }) {
            try materializeFamily(directory: directory, front: front, at: coordinate)
            return
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

    /// The model at `coordinate` of a stitched run (`t ∈ [0, 1]` along its front) or of an
    /// analytic run's family: a checkpoint for networks, a JSON record (`t`, family,
    /// coordinate, parameters, objectives) for analytic problems.
    private func materializeFamily(directory: URL, front: FrontFile, at coordinate: FamilyCoordinate) throws {
        let families = try RunFamilies.load(from: directory)
        let family: RunFamily
        let local: FamilyCoordinate
        if front.stitch != nil {
            guard case .t(let t) = coordinate, (0...1).contains(t) else {
                throw ValidationError("\(directory.path) is a stitched run: give --at t=VALUE with VALUE in [0, 1] (its parameter along the stitched front)")
            }
            (family, local) = try StitchedRun.locate(t, in: front, families: families)
        } else {
            guard let only = families.first, only.family.domain.contains(coordinate) else {
                throw ValidationError("--at \(coordinate) is outside the run's domain (a chain: t in [-1, 1]; a segment: lambda in [0, 1])")
            }
            (family, local) = (only, coordinate)
        }
        if family.isNetwork {
            let checkpoint = try family.checkpoint(at: local)
            try checkpoint.write(to: URL(fileURLWithPath: out))
            print("wrote \(out): \(checkpoint.metadata.architecture ?? "network") at \(coordinate) of \(directory.path) (\(family.name), \(local))")
            return
        }
        let x = try family.parameters(at: local)
        let record = MaterializedPoint(
            run: directory.path, at: coordinate.description, family: family.name, local: local.description, parameters: x,
            objectives: try family.analyticObjectives(at: local))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(record), to: URL(fileURLWithPath: out))
        print("wrote \(out): x at \(coordinate) of \(directory.path) (\(family.name), \(local)), f = \(formatted(record.objectives))")
    }
}

/// The JSON written by `pareto expand --from RUN_DIR --at …` for an analytic run.
struct MaterializedPoint: Codable {
    var run: String
    var at: String
    var family: String
    var local: String
    var parameters: [Double]
    var objectives: [Double]
}
