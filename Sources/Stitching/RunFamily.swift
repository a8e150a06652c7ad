import Expansion
import Foundation
import LinearAlgebra
import Models
import NetworkExpansion
import PaLoRA
import Problems

/// One family of a run directory, as ``RunFamilies/load(from:)`` reads it: the family itself
/// (its map from its own parameter to parameters `x`), the curve the run sampled along it and
/// where it came from. A script queries it at its own parameter (``parameters(at:)``) and, for
/// networks, gets a checkpoint there (``checkpoint(at:)``).
public struct RunFamily: @unchecked Sendable {
    /// What kind of family.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// A tangent chain, `t ∈ [−1, 1]` (Ma et al. 2020, §5).
        case tangentChain = "tangent-chain"
        /// A segment over the preference simplex, `λ` (PaLoRA's `θ(λ)`, Dimitriadis et al. eq. 2,
        /// or an analytic linear family `x(λ) = x₀ + Σₜ λₜ dₜ`).
        case segment
    }

    /// A readable name: the run directory's name (with the part, for a hybrid's parts).
    public let name: String
    /// The run directory it was read from.
    public let directory: URL
    /// The run's `front.json`.
    public let front: FrontFile
    public let kind: Kind
    /// The family.
    public let family: any ParetoFamily
    /// The curve the run sampled along the family: for analytic problems `f`, for networks the
    /// test loss per task.
    public let curve: [CurveSample]
    /// The architecture (network runs), `nil` for analytic problems.
    public let model: (any MultiTaskModel)?
    /// A digest of the kind, the problem and the curve's coordinates and objectives: the same
    /// family read from anywhere has the same identity.
    public let identity: String

    /// The problem or data set (`zdt2`, `multimnist`, …).
    public var problem: String { front.problem }

    /// Whether the family's models are networks (checkpoints) rather than analytic decision vectors.
    public var isNetwork: Bool { model != nil }

    init(name: String, directory: URL, front: FrontFile, kind: Kind, family: any ParetoFamily, model: (any MultiTaskModel)?) {
        self.name = name
        self.directory = directory
        self.front = front
        self.kind = kind
        self.family = family
        self.model = model
        curve = front.curve.compactMap { sample -> CurveSample? in
            let coordinate: FamilyCoordinate
            if let lambda = sample.preference { coordinate = .preference(lambda) }
            else if let t = sample.t { coordinate = .t(t) }
            else { return nil }
            return CurveSample(coordinate: coordinate, objectives: sample.objectives, accuracy: sample.testAccuracy, dominated: sample.dominated)
        }
        var digest = ContentDigest()
        for byte in "\(kind.rawValue) \(front.problem)".utf8 { digest.combine(byte) }
        for sample in curve {
            switch sample.coordinate {
            case .t(let t): digest.combine([t])
            case .preference(let lambda): digest.combine(lambda)
            }
            digest.combine(sample.objectives)
        }
        identity = digest.hex
    }

    /// The parameters `x` at `coordinate` of the family's domain.
    /// - Throws: ``ExpansionError/invalidCoordinate(_:domain:)`` outside the domain; file errors.
    public func parameters(at coordinate: FamilyCoordinate) throws -> [Double] {
        try family.parameters(at: coordinate)
    }

    /// The network at `coordinate` as a plain checkpoint of its architecture (`Float` weights),
    /// its metadata naming the run and the coordinate.
    /// - Throws: ``StitchingError/notANetwork(_:)`` for an analytic family; as ``parameters(at:)``.
    public func checkpoint(at coordinate: FamilyCoordinate) throws -> Checkpoint {
        guard let model else { throw StitchingError.notANetwork(name) }
        let x = try parameters(at: coordinate)
        var other = ["run": directory.path]
        switch coordinate {
        case .t(let t): other["t"] = "\(t)"
        case .preference(let lambda): other["lambda"] = lambda.map { "\($0)" }.joined(separator: ",")
        }
        let metadata = CheckpointMetadata(architecture: model.architecture, method: "expand-\(front.method)-at", seed: front.seed, other: other)
        return try Checkpoint(layout: model.layout, parameters: x.map { Double(Float($0)) }, precision: .float32, metadata: metadata)
    }

    /// `f` at `coordinate` for an analytic family, through the same objective the run sampled
    /// its curve with (the problem named in the front file, its box constraints).
    /// - Throws: ``StitchingError/notAnalytic(_:)`` for a network family; problem errors.
    public func analyticObjectives(at coordinate: FamilyCoordinate) throws -> [Double] {
        guard model == nil else { throw StitchingError.notAnalytic(name) }
        let x = try parameters(at: coordinate)
        let problem = try Problems.named(front.problem, dimension: x.count)
        return try ParetoObjective(problem, bounds: problem.bounds).values(at: x)
    }
}

/// Errors of reading and stitching run directories.
public enum StitchingError: Error, Equatable, CustomStringConvertible {
    /// The directory holds no run this toolkit can read as families.
    case notARun(path: String, reason: String)
    /// The runs measure different things and cannot share one front.
    case incompatible(String)
    /// A checkpoint was asked of an analytic family.
    case notANetwork(String)
    /// An analytic evaluation was asked of a network family.
    case notAnalytic(String)
    /// A stitched run's input is missing or has changed since it was stitched.
    case missingSource(run: String, identity: String)

    public var description: String {
        switch self {
        case .notARun(let path, let reason): return "\(path) is not a run directory ParetoKit can read: \(reason)"
        case .incompatible(let reason): return "cannot stitch these runs: \(reason)"
        case .notANetwork(let name): return "\(name) is an analytic family: it has decision vectors, not checkpoints"
        case .notAnalytic(let name): return "\(name) is a network family: evaluate its checkpoints on data"
        case .missingSource(let run, let identity):
            return "the stitched run's family \(identity) from \(run) is missing or has changed since it was stitched"
        }
    }
}

/// Reading any run directory as a list of families.
public enum RunFamilies {
    /// The families of the run in `directory`:
    /// * an analytic tangent (or gradient) run: its chain, `x(t)` between the points' stored parameters;
    /// * a network tangent run: its chain, `x(t)` between the points' checkpoints (``NetworkChain``);
    /// * a PaLoRA run: its segment `θ(λ)` (``PaLoRASegment``);
    /// * an analytic linear-family run (the hybrid's segment): `x(λ) = Σᵢ λᵢ vᵢ` (``LinearSegment``);
    /// * a stitched or hybrid run: the families it was stitched from (read from their run
    ///   directories, recorded relative to it), each checked against its recorded identity.
    /// - Throws: ``StitchingError`` for a directory that holds none of these; ``FrontFileError``
    ///   and checkpoint errors for invalid files.
    public static func load(from directory: URL) throws -> [RunFamily] {
        let url = directory.appendingPathComponent("front.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StitchingError.notARun(path: directory.path, reason: "no front.json")
        }
        let front = try FrontFile.read(from: url)
        let name = directory.standardizedFileURL.lastPathComponent
        if let stitch = front.stitch {
            return try stitch.families.map { recorded in
                let source = URL(fileURLWithPath: recorded.run, relativeTo: directory).standardizedFileURL
                guard let family = try? load(from: source).first(where: { $0.identity == recorded.identity }) else {
                    throw StitchingError.missingSource(run: source.path, identity: recorded.identity)
                }
                return family
            }
        }
        if front.method == "palora" {
            let segment = try PaLoRARun.segment(in: directory)
            let model = try ModelRegistry.model(named: front.architecture ?? MultiLeNet().architecture)
            return [RunFamily(name: name, directory: directory, front: front, kind: .segment, family: segment, model: model)]
        }
        if front.method == LinearSegment.method {
            let segment = try LinearSegment(front: front)
            return [RunFamily(name: name, directory: directory, front: front, kind: .segment, family: segment, model: nil)]
        }
        if front.points.contains(where: { $0.checkpoint != nil }) {
            let chain = try NetworkChain(directory: directory)
            return [RunFamily(name: name, directory: directory, front: front, kind: .tangentChain, family: chain.family, model: chain.model)]
        }
        let chainPoints = front.points.filter { $0.t != nil }.sorted { $0.t! < $1.t! }
        guard !chainPoints.isEmpty else {
            throw StitchingError.notARun(path: directory.path, reason: "its front has no chain points (t) and no segment")
        }
        let parameters = try Dictionary(uniqueKeysWithValues: chainPoints.map { point -> (Int, [Double]) in
            guard let x = point.parameters else {
                throw StitchingError.notARun(path: directory.path, reason: "chain point \(point.id) has neither parameters nor a checkpoint")
            }
            return (point.id, x)
        })
        let chain = try TangentChain(
            nodes: chainPoints.map { FamilyNode(id: $0.id, coordinate: .t($0.t!), objectives: $0.objectives) },
            nodeParameters: { id in
                guard let x = parameters[id] else { throw ExpansionError.invalidOption("chain point \(id) is not in the run") }
                return x
            })
        return [RunFamily(name: name, directory: directory, front: front, kind: .tangentChain, family: chain, model: nil)]
    }

    /// The families of several run directories, in the given order.
    public static func load(from directories: [URL]) throws -> [RunFamily] {
        try directories.flatMap { try load(from: $0) }
    }
}
