import Expansion
import Foundation
import MultiObjective

/// The result of ``StitchedRun/stitch(_:reference:options:method:directory:evaluate:)``.
public struct StitchedRunResult: Sendable {
    /// The contents of the stitched run's `front.json`.
    public var front: FrontFile
    /// The stitched front (vertices with their families and coordinates).
    public var stitched: StitchedFront
    /// The families, in the stitched front's canonical order.
    public var families: [RunFamily]
    /// Models evaluated at crossings.
    public var evaluations: Int
}

/// One front from the families of many runs (``FrontStitcher``), as a run directory of its
/// own: `front.json`/`front.csv` in the shared schema, each point with its stitched `t ∈ [0, 1]`,
/// its family and its coordinate there, and a `stitch` record of the families (their run
/// directories, identities and hypervolumes w.r.t. the same reference), crossings, pieces
/// and gaps. Reading the directory back (``RunFamilies/load(from:)``) gives the input families,
/// so stitching it again, alone or with runs already in it, changes nothing.
public enum StitchedRun {
    /// Stitches `families` (duplicates, by identity, count once).
    /// - Parameters:
    ///   - reference: the hypervolume reference; `nil`: the one the runs share.
    ///   - method: the front file's `method` (`stitched`, `hybrid`).
    ///   - directory: where the stitched run will be written (the families' run directories
    ///     are recorded relative to it).
    ///   - evaluate: `f` of a family's model at a coordinate, in the space of the families'
    ///     curves (test loss for networks); ``analyticEvaluator`` for analytic runs.
    /// - Throws: ``StitchingError/incompatible(_:)`` for no families, runs of different
    ///   problems or data, or different references without `reference`; stitcher errors.
    public static func stitch(
        _ families: [RunFamily], reference: [Double]? = nil, options: StitchOptions = StitchOptions(), method: String = "stitched",
        directory: URL, evaluate: (RunFamily, FamilyCoordinate) throws -> [Double]
    ) throws -> StitchedRunResult {
        guard let first = families.first else { throw StitchingError.incompatible("no families to stitch") }
        for family in families.dropFirst() {
            guard family.problem == first.problem else {
                throw StitchingError.incompatible("\(first.name) is a \(first.problem) run, \(family.name) a \(family.problem) run")
            }
            guard family.isNetwork == first.isNetwork, family.model?.architecture == first.model?.architecture else {
                throw StitchingError.incompatible("\(first.name) and \(family.name) are runs of different models")
            }
            guard family.front.testImages == first.front.testImages else {
                throw StitchingError.incompatible(
                    "\(first.name) measured its curve on \(first.front.testImages ?? 0) test composites, \(family.name) on \(family.front.testImages ?? 0)")
            }
        }
        let referencePoint: [Double]
        if let reference {
            referencePoint = reference
        } else {
            guard families.allSatisfy({ $0.front.reference == first.front.reference }) else {
                let listed = families.map { "\($0.name): \($0.front.reference)" }.joined(separator: "; ")
                throw StitchingError.incompatible("the runs use different hypervolume references (\(listed)); give one reference for all")
            }
            referencePoint = first.front.reference
        }
        var evaluations = 0
        let stitched = try FrontStitcher.stitch(
            families.map { StitchCurve(identity: $0.identity, samples: $0.curve) }, options: options
        ) { index, coordinate in
            evaluations += 1
            return try evaluate(families[index], coordinate)
        }
        let ordered = stitched.sources.map { families[$0] }
        // Run-level fields from the first family in canonical order, so the input order never shows.
        let lead = ordered.first ?? first
        let points = try stitched.vertices.enumerated().map { index, vertex in
            let family = ordered[vertex.family]
            return FrontFile.Point(
                id: index, t: vertex.t, preference: vertex.coordinate.preference,
                parameters: family.isNetwork ? nil : try family.parameters(at: vertex.coordinate), objectives: vertex.objectives,
                family: vertex.family, localT: vertex.coordinate.t, origin: vertex.origin.rawValue)
        }
        let curve = stitched.vertices.map { vertex in
            FrontFile.Sample(CurveSample(coordinate: .t(vertex.t), objectives: vertex.objectives))
        }
        let record = FrontFile.Stitch(
            families: try ordered.enumerated().map { index, family in
                FrontFile.Stitch.Family(
                    name: family.name, run: relativePath(of: family.directory, from: directory), kind: family.kind.rawValue,
                    identity: family.identity, samples: family.curve.count,
                    hypervolume: try Hypervolume.compute(family.curve.map(\.objectives).filter { $0.allSatisfy(\.isFinite) }, reference: referencePoint),
                    vertices: stitched.vertices.filter { $0.family == index }.count)
            },
            crossings: stitched.crossings.map { crossing in
                FrontFile.Stitch.Crossing(
                    objectives: crossing.objectives, families: crossing.families, localT: crossing.coordinates.map(\.t),
                    preference: crossing.coordinates.map(\.preference), point: crossing.vertex)
            },
            pieces: stitched.pieces,
            gaps: stitched.gaps.map { FrontFile.Stitch.Gap(t: $0.t, from: $0.from, to: $0.to, distance: $0.distance) },
            gapTolerance: stitched.gapTolerance, length: stitched.length, objectives: lead.isNetwork ? "test loss" : "f")
        let hypervolume = try stitched.hypervolume(reference: referencePoint)
        let front = FrontFile(
            problem: lead.problem, architecture: lead.model?.architecture, seed: lead.front.seed, method: method,
            reference: referencePoint,
            referenceRule: families.allSatisfy({ $0.front.reference == referencePoint }) ? lead.front.referenceRule : "given",
            hypervolume: hypervolume, pointsHypervolume: hypervolume, points: points, curve: curve,
            evaluations: EvaluationCounts(objectives: evaluations), candidates: 0, rejected: 0,
            trainImages: lead.front.trainImages, testImages: lead.front.testImages, stitch: record)
        return StitchedRunResult(front: front, stitched: stitched, families: ordered, evaluations: evaluations)
    }

    /// `f` at a coordinate of an analytic family (``RunFamily/analyticObjectives(at:)``).
    public static func analyticEvaluator(_ family: RunFamily, _ coordinate: FamilyCoordinate) throws -> [Double] {
        try family.analyticObjectives(at: coordinate)
    }

    /// The family and coordinate at stitched parameter `t` of the stitched run `front`
    /// (``StitchedFront/locate(_:t:families:coordinates:pieces:)``), with the family loaded
    /// from `families` (``RunFamilies/load(from:)`` of the stitched run's directory).
    /// - Throws: ``StitchingError`` when `front` is not a stitched run; ``ExpansionError`` for `t`
    ///   outside `[0, 1]`.
    public static func locate(_ t: Double, in front: FrontFile, families: [RunFamily]) throws -> (family: RunFamily, coordinate: FamilyCoordinate) {
        guard let stitch = front.stitch else { throw StitchingError.notARun(path: front.problem, reason: "not a stitched run") }
        let coordinates = try front.points.map { point -> FamilyCoordinate in
            if let lambda = point.preference { return .preference(lambda) }
            if let t = point.localT { return .t(t) }
            throw StitchingError.notARun(path: front.problem, reason: "point \(point.id) has no coordinate on its family")
        }
        let (index, coordinate) = try StitchedFront.locate(
            t, t: front.points.map { $0.t ?? 0 }, families: front.points.map { $0.family ?? 0 }, coordinates: coordinates, pieces: stitch.pieces)
        guard stitch.families.indices.contains(index),
              let family = families.first(where: { $0.identity == stitch.families[index].identity })
        else { throw StitchingError.missingSource(run: stitch.families.indices.contains(index) ? stitch.families[index].run : "?", identity: "#\(index)") }
        return (family, coordinate)
    }

    /// `target`'s path relative to `base` (`../seed-1`), or its absolute path when they share
    /// no prefix.
    static func relativePath(of target: URL, from base: URL) -> String {
        let t = target.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let b = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < min(t.count, b.count) && t[common] == b[common] { common += 1 }
        guard common > 1 else { return target.standardizedFileURL.path }
        let components = Array(repeating: "..", count: b.count - common) + t[common...]
        return components.isEmpty ? "." : components.joined(separator: "/")
    }
}
