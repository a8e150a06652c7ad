import MultiObjective

/// One input of ``FrontStitcher``: a family's curve in objective space, sampled in the order
/// of the family's own parameter (a chain's `t`, a 2-task segment's `λ₁` or `λ₂`).
public struct StitchCurve: Sendable, Equatable {
    /// A key that identifies the family whatever its directory or its place in the input
    /// list (e.g. a digest of its samples). The stitcher orders and de-duplicates families by
    /// it, so its output does not depend on the input order.
    public var identity: String
    /// The samples, `f(x(c))` evaluated at coordinates `c` in the family's order.
    public var samples: [CurveSample]

    public init(identity: String, samples: [CurveSample]) {
        self.identity = identity
        self.samples = samples
    }
}

/// Options of ``FrontStitcher/stitch(_:options:evaluate:)``.
public struct StitchOptions: Sendable, Equatable {
    /// The longest junction between two families (or two non-adjacent samples of one) that
    /// still counts as continuous. `nil`: the longest edge between adjacent samples of one
    /// family on the stitched front, i.e. the input's own sampling resolution.
    public var gapTolerance: Double? = nil

    public init(gapTolerance: Double? = nil) {
        self.gapTolerance = gapTolerance
    }
}

/// A vertex of the stitched front.
public struct StitchedVertex: Sendable, Equatable {
    /// How the vertex entered the front.
    public enum Origin: String, Sendable, Equatable, Codable {
        /// A sample of an input family.
        case sample
        /// A crossing of two families' curves, inserted on the family that represents it.
        case crossing
    }

    /// The stitched parameter, `t ∈ [0, 1]`, by arc length in objective space.
    public var t: Double
    /// The family (index into ``StitchedFront/identities``).
    public var family: Int
    /// Its place in the family's sequence of samples and inserted crossings.
    public var position: Int
    /// Where it lies in the family's own domain.
    public var coordinate: FamilyCoordinate
    /// `f` evaluated at the family's model there.
    public var objectives: [Double]
    public var origin: Origin
}

/// Two families' curves cross: the point and where it lies on each.
public struct StitchCrossing: Sendable, Equatable {
    /// The crossing of the two sampled curves (polylines) in objective space.
    public var objectives: [Double]
    /// The two families (indices into ``StitchedFront/identities``), in canonical order.
    public var families: [Int]
    /// The crossing's coordinate on each family (linear between the samples around it).
    public var coordinates: [FamilyCoordinate]
    /// The vertex that represents it on the front, or `nil` when the evaluated models there
    /// are dominated (or not finite) and it was left out.
    public var vertex: Int?
}

/// A maximal run of consecutive vertices that are adjacent samples of one family: along it
/// the family's own interpolation is the front.
public struct StitchPiece: Sendable, Equatable, Codable {
    /// The family (index into ``StitchedFront/identities``).
    public var family: Int
    /// The first and last vertex (indices into ``StitchedFront/vertices``).
    public var from: Int
    public var to: Int

    public init(family: Int, from: Int, to: Int) {
        self.family = family
        self.from = from
        self.to = to
    }
}

/// Two consecutive vertices of the stitched front between which no family runs: the front
/// is disconnected there and no model is invented to bridge it.
public struct StitchGap: Sendable, Equatable {
    /// `t` at the gap (`t` does not advance across it: the vertex after it has the same `t`).
    public var t: Double
    /// The vertices on either side (indices into ``StitchedFront/vertices``).
    public var from: Int
    public var to: Int
    /// Their distance in objective space.
    public var distance: Double
}

/// One continuous front stitched from several families (``FrontStitcher``).
public struct StitchedFront: Sendable, Equatable {
    /// The families' identities in canonical (sorted) order, duplicates removed.
    public var identities: [String]
    /// For each family, its index in the input list.
    public var sources: [Int]
    /// The front: mutually non-dominated vertices by increasing f₁ (so decreasing f₂).
    public var vertices: [StitchedVertex]
    /// The crossings found between families.
    public var crossings: [StitchCrossing]
    /// The pieces, in order (every vertex lies in exactly one).
    public var pieces: [StitchPiece]
    /// Where the front is disconnected.
    public var gaps: [StitchGap]
    /// The tolerance that separated continuous junctions from gaps.
    public var gapTolerance: Double
    /// The front's arc length in objective space, gaps excluded.
    public var length: Double

    /// Hypervolume of the vertices w.r.t. `reference` (minimisation).
    public func hypervolume(reference: [Double]) throws -> Double {
        try Hypervolume.compute(vertices.map(\.objectives), reference: reference)
    }

    /// The family and the coordinate in its domain at stitched parameter `t`
    /// (``StitchedFront/locate(_:t:families:coordinates:pieces:)``).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for `t` outside `[0, 1]` or an empty front.
    public func locate(_ t: Double) throws -> (family: Int, coordinate: FamilyCoordinate) {
        try Self.locate(t, t: vertices.map(\.t), families: vertices.map(\.family), coordinates: vertices.map(\.coordinate), pieces: pieces)
    }

    /// The family and coordinate at stitched parameter `t` of a front given by its vertices'
    /// `t`, families and coordinates and its pieces (as a stitched run's `front.json` stores
    /// them): inside a piece, the coordinate linear in `t` between the two vertices around it;
    /// on a junction between pieces, the nearer vertex's; at a gap, where `t` does not advance,
    /// the vertex after it (`t` is right-continuous).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` for `t` outside `[0, 1]`, an empty front
    ///   or inconsistent arrays.
    public static func locate(
        _ t: Double, t vertexT: [Double], families: [Int], coordinates: [FamilyCoordinate], pieces: [StitchPiece]
    ) throws -> (family: Int, coordinate: FamilyCoordinate) {
        guard t.isFinite, t >= 0, t <= 1 else { throw ExpansionError.invalidOption("t must lie in [0, 1], got \(t)") }
        guard !vertexT.isEmpty, vertexT.count == families.count, vertexT.count == coordinates.count else {
            throw ExpansionError.invalidOption("the stitched front is empty or inconsistent")
        }
        var i = 0
        while i + 1 < vertexT.count && vertexT[i + 1] <= t { i += 1 }
        guard i + 1 < vertexT.count, vertexT[i + 1] > vertexT[i] else { return (families[i], coordinates[i]) }
        let w = (t - vertexT[i]) / (vertexT[i + 1] - vertexT[i])
        let samePiece = pieces.contains { $0.from <= i && i + 1 <= $0.to }
        guard samePiece else { return w < 0.5 ? (families[i], coordinates[i]) : (families[i + 1], coordinates[i + 1]) }
        return (families[i], FrontStitcher.interpolate(coordinates[i], coordinates[i + 1], weight: w))
    }
}

/// Stitching of continuous Pareto fronts (two objectives) from several families.
///
/// Ma et al. (2020, Figure 7) combine expansions from several seeds into one front but
/// publish no procedure; ParetoKit defines one:
///
/// 1. **Crossings.** Each family's samples form a polyline in objective space. Wherever the
///    polylines of two families cross (segments intersect, the crossing strictly inside at
///    least one of them), the crossing's coordinate on each family is interpolated linearly,
///    both models are evaluated there, and the crossing is inserted once: on the family whose
///    evaluated point dominates the other's, else on the one whose point lies nearer the
///    geometric crossing.
/// 2. **Dominated stretches cut.** Of all samples and inserted crossings, only the mutually
///    non-dominated ones are kept (exact duplicates once, the first family in canonical
///    order). Only evaluated models decide dominance; a polyline's chord never does (on a
///    concave front the chord would dominate the true front between samples).
/// 3. **One curve.** In two objectives the kept points are totally ordered by f₁. Between
///    consecutive vertices that are adjacent samples of one family, that family's own
///    interpolation is the front; any other junction is continuous when it is no longer
///    than ``StitchOptions/gapTolerance`` and a reported gap otherwise.
/// 4. **One parameter.** `t ∈ [0, 1]` is arc length in objective space along the vertices,
///    gaps excluded; ``StitchedFront/locate(_:)`` maps `t` to a family and a coordinate.
///
/// Families are ordered by ``StitchCurve/identity`` before anything else, so permuting the
/// input changes nothing, and a family given twice counts once, so stitching a stitched run's
/// families again reproduces it.
public enum FrontStitcher {
    /// Stitches `curves`.
    /// - Parameter evaluate: `f` of input curve `index`'s model at a coordinate of its domain
    ///   (called once per family for each crossing).
    /// - Throws: ``ExpansionError/invalidOption(_:)`` unless every sample has two objectives
    ///   or for a family mixing coordinate kinds; errors of `evaluate`.
    public static func stitch(
        _ curves: [StitchCurve], options: StitchOptions = StitchOptions(),
        evaluate: (_ curve: Int, _ coordinate: FamilyCoordinate) throws -> [Double]
    ) throws -> StitchedFront {
        for curve in curves {
            guard curve.samples.allSatisfy({ $0.objectives.count == 2 }) else {
                throw ExpansionError.invalidOption("stitching is defined for two objectives; family \(curve.identity) has samples with \(curve.samples.first?.objectives.count ?? 0)")
            }
            let chains = curve.samples.filter { $0.coordinate.t != nil }.count
            guard chains == 0 || chains == curve.samples.count else {
                throw ExpansionError.invalidOption("family \(curve.identity) mixes chain and preference coordinates")
            }
        }
        if let tolerance = options.gapTolerance, !(tolerance.isFinite && tolerance >= 0) {
            throw ExpansionError.invalidOption("the gap tolerance must be finite and non-negative, got \(tolerance)")
        }
        var sources: [Int] = []
        for index in curves.indices.sorted(by: { (curves[$0].identity, $0) < (curves[$1].identity, $1) })
        where sources.last.map({ curves[$0].identity != curves[index].identity }) ?? true {
            sources.append(index)
        }
        // Each family's sequence: its finite samples, crossings inserted in place.
        var sequences: [[Entry]] = sources.map { index in
            curves[index].samples.filter { $0.objectives.allSatisfy(\.isFinite) }.map {
                Entry(coordinate: $0.coordinate, objectives: $0.objectives, origin: .sample, segmentParameter: 0, crossing: nil)
            }
        }
        var crossings = try findCrossings(sequences, sources: sources, evaluate: evaluate)
        for (index, found) in crossings.enumerated() {
            guard let evaluated = found.evaluated else { continue }
            let (family, segment, parameter) = found.representative
            sequences[family].append(Entry(
                coordinate: found.crossing.coordinates[found.side], objectives: evaluated, origin: .crossing,
                segmentParameter: Double(segment) + parameter, crossing: index))
        }
        for family in sequences.indices {
            // Samples keep their index as segment parameter; crossings sit inside their segment.
            var sampleIndex = 0
            for k in sequences[family].indices where sequences[family][k].origin == .sample {
                sequences[family][k].segmentParameter = Double(sampleIndex)
                sampleIndex += 1
            }
            sequences[family].sort { ($0.segmentParameter, $0.crossing ?? -1) < ($1.segmentParameter, $1.crossing ?? -1) }
        }
        // Candidates, exact duplicates once (the first in canonical order).
        var candidates: [(family: Int, position: Int)] = []
        var seen = Set<[Double]>()
        for family in sequences.indices {
            for position in sequences[family].indices where seen.insert(sequences[family][position].objectives).inserted {
                candidates.append((family, position))
            }
        }
        let keep = try nonDominatedIndices(candidates.map { sequences[$0.family][$0.position].objectives })
        var kept = keep.map { candidates[$0] }
        kept.sort { a, b in
            let (fa, fb) = (sequences[a.family][a.position].objectives, sequences[b.family][b.position].objectives)
            return (fa[0], -fa[1], a.family, a.position) < (fb[0], -fb[1], b.family, b.position)
        }
        var vertices = kept.map { k -> StitchedVertex in
            let entry = sequences[k.family][k.position]
            return StitchedVertex(t: 0, family: k.family, position: k.position, coordinate: entry.coordinate, objectives: entry.objectives, origin: entry.origin)
        }
        for (index, k) in kept.enumerated() {
            if let crossing = sequences[k.family][k.position].crossing { crossings[crossing].crossing.vertex = index }
        }
        func isFamilyEdge(_ i: Int) -> Bool {
            vertices[i].family == vertices[i + 1].family && abs(vertices[i].position - vertices[i + 1].position) == 1
        }
        var pieces: [StitchPiece] = []
        for i in vertices.indices {
            if i > 0 && isFamilyEdge(i - 1) { pieces[pieces.count - 1].to = i } else { pieces.append(StitchPiece(family: vertices[i].family, from: i, to: i)) }
        }
        var front = StitchedFront(
            identities: sources.map { curves[$0].identity }, sources: sources, vertices: vertices,
            crossings: crossings.map(\.crossing), pieces: pieces, gaps: [], gapTolerance: 0, length: 0)
        let edges = zip(vertices, vertices.dropFirst()).map { Vector.distance($0.objectives, $1.objectives) }
        front.gapTolerance = options.gapTolerance ?? edges.indices.filter(isFamilyEdge).map { edges[$0] }.max() ?? 0
        var arc = 0.0
        for i in edges.indices {
            if !isFamilyEdge(i) && edges[i] > front.gapTolerance {
                front.gaps.append(StitchGap(t: arc, from: i, to: i + 1, distance: edges[i]))
            } else {
                arc += edges[i]
            }
            vertices[i + 1].t = arc
        }
        front.length = arc
        for i in vertices.indices { vertices[i].t = arc > 0 ? min(vertices[i].t / arc, 1) : 0 }
        for g in front.gaps.indices { front.gaps[g].t = arc > 0 ? front.gaps[g].t / arc : 0 }
        front.vertices = vertices
        return front
    }

    /// `(1 − w) a + w b` for two coordinates of one kind.
    public static func interpolate(_ a: FamilyCoordinate, _ b: FamilyCoordinate, weight w: Double) -> FamilyCoordinate {
        switch (a, b) {
        case (.t(let s), .t(let u)): return .t(s + w * (u - s))
        case (.preference(let p), .preference(let q)) where p.count == q.count:
            return .preference(zip(p, q).map { $0 + w * ($1 - $0) })
        default: return w < 0.5 ? a : b
        }
    }

    /// A member of a family's sequence.
    struct Entry {
        var coordinate: FamilyCoordinate
        var objectives: [Double]
        var origin: StitchedVertex.Origin
        /// Samples: their index; crossings: segment index + parameter in the segment.
        var segmentParameter: Double
        var crossing: Int?
    }

    /// A crossing found, with the family it is inserted on.
    struct FoundCrossing {
        var crossing: StitchCrossing
        /// 0 or 1: which of ``StitchCrossing/families`` represents it.
        var side: Int
        /// `f` of the representative's model, `nil` when neither side's is finite.
        var evaluated: [Double]?
        /// (family, segment, parameter in the segment) of the representative.
        var representative: (Int, Int, Double)
    }

    /// The crossings of every pair of families' polylines (among ``candidatePairs(_:)``), each
    /// evaluated on both families. A crossing is inserted only on a family where it lies strictly
    /// inside a segment (at a sample, the sample is already there); segments are half-open, so
    /// a crossing at a shared sample is found once.
    static func findCrossings(
        _ sequences: [[Entry]], sources: [Int], evaluate: (Int, FamilyCoordinate) throws -> [Double]
    ) throws -> [FoundCrossing] {
        let interior = 1e-9
        var found: [FoundCrossing] = []
        for (a, i, b, j) in candidatePairs(sequences.map { $0.map(\.objectives) }) {
            let (p, q) = (sequences[a], sequences[b])
            guard let (s, u) = segmentCrossing(p[i].objectives, p[i + 1].objectives, q[j].objectives, q[j + 1].objectives),
                  s < 1 || i == p.count - 2, u < 1 || j == q.count - 2
            else { continue }
            let insideA = s > interior && s < 1 - interior, insideB = u > interior && u < 1 - interior
            guard insideA || insideB else { continue }
            let point = zip(p[i].objectives, p[i + 1].objectives).map { $0 + s * ($1 - $0) }
            let coordinates = [
                interpolate(p[i].coordinate, p[i + 1].coordinate, weight: s),
                interpolate(q[j].coordinate, q[j + 1].coordinate, weight: u),
            ]
            let crossing = StitchCrossing(objectives: point, families: [a, b], coordinates: coordinates, vertex: nil)
            func evaluated(_ side: Int) throws -> [Double]? {
                guard side == 0 ? insideA : insideB else { return nil }
                let f = try evaluate(sources[side == 0 ? a : b], coordinates[side])
                return f.count == 2 && f.allSatisfy(\.isFinite) ? f : nil
            }
            let (fa, fb) = (try evaluated(0), try evaluated(1))
            let side: Int
            switch (fa, fb) {
            case (nil, nil):
                found.append(FoundCrossing(crossing: crossing, side: 0, evaluated: nil, representative: (a, i, s)))
                continue
            case (.some, nil): side = 0
            case (nil, .some): side = 1
            case (.some(let fa), .some(let fb)):
                if dominates(fa, fb) { side = 0 }
                else if dominates(fb, fa) { side = 1 }
                else { side = Vector.distance(fb, point) < Vector.distance(fa, point) ? 1 : 0 }
            }
            found.append(FoundCrossing(
                crossing: crossing, side: side, evaluated: side == 0 ? fa : fb,
                representative: side == 0 ? (a, i, s) : (b, j, u)))
        }
        return found
    }

    /// The pairs `(a, i, b, j)`, `a < b`, of segment `i` of polyline `a` and segment `j` of
    /// polyline `b` whose bounding boxes meet — every pair that can cross — in the order
    /// `(a, b, i, j)`. A uniform grid (cells of the median segment's size) finds them in about
    /// linear time for curves; a segment spanning more than 4,096 cells is paired with every
    /// segment of the other polylines directly. ``segmentPairsBruteForce(_:)`` is the reference.
    public static func candidatePairs(_ polylines: [[[Double]]]) -> [(Int, Int, Int, Int)] {
        typealias Box = (x0: Double, y0: Double, x1: Double, y1: Double)
        var segments: [(line: Int, index: Int, box: Box)] = []
        for (line, points) in polylines.enumerated() where points.count >= 2 {
            for i in 0..<(points.count - 1) {
                let (p, q) = (points[i], points[i + 1])
                segments.append((line, i, (min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))))
            }
        }
        guard polylines.count > 1, !segments.isEmpty else { return [] }
        let sizes = segments.map { max($0.box.x1 - $0.box.x0, $0.box.y1 - $0.box.y0) }.filter { $0 > 0 && $0.isFinite }.sorted()
        let cell = sizes.isEmpty ? 1 : sizes[sizes.count / 2]
        var grid: [[Int]: [Int]] = [:]
        var large: [Int] = []
        for (k, segment) in segments.enumerated() {
            let box = segment.box
            guard box.x0.isFinite, box.y0.isFinite, box.x1.isFinite, box.y1.isFinite else { continue }
            let (cx0, cy0) = (Int((box.x0 / cell).rounded(.down)), Int((box.y0 / cell).rounded(.down)))
            let (cx1, cy1) = (Int((box.x1 / cell).rounded(.down)), Int((box.y1 / cell).rounded(.down)))
            if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 4096 {
                large.append(k)
                continue
            }
            for cx in cx0...cx1 { for cy in cy0...cy1 { grid[[cx, cy], default: []].append(k) } }
        }
        func meet(_ a: Box, _ b: Box) -> Bool { a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1 }
        var pairs = Set<[Int]>()
        func consider(_ k: Int, _ l: Int) {
            let (s, t) = (segments[k], segments[l])
            guard s.line != t.line, meet(s.box, t.box) else { return }
            pairs.insert(s.line < t.line ? [s.line, s.index, t.line, t.index] : [t.line, t.index, s.line, s.index])
        }
        for members in grid.values where members.count > 1 {
            for x in members.indices { for y in members.indices where y > x { consider(members[x], members[y]) } }
        }
        for k in large { for l in segments.indices where l != k { consider(k, l) } }
        return pairs.map { ($0[0], $0[1], $0[2], $0[3]) }.sorted { ($0.0, $0.2, $0.1, $0.3) < ($1.0, $1.2, $1.1, $1.3) }
    }

    /// Every pair of segments of different polylines whose bounding boxes meet, by trying all
    /// (the reference for ``candidatePairs(_:)``).
    public static func segmentPairsBruteForce(_ polylines: [[[Double]]]) -> [(Int, Int, Int, Int)] {
        var pairs: [(Int, Int, Int, Int)] = []
        for a in polylines.indices {
            for b in polylines.indices where b > a {
                for i in 0..<max(0, polylines[a].count - 1) {
                    for j in 0..<max(0, polylines[b].count - 1) {
                        let (p0, p1, q0, q1) = (polylines[a][i], polylines[a][i + 1], polylines[b][j], polylines[b][j + 1])
                        if min(p0[0], p1[0]) <= max(q0[0], q1[0]) && min(q0[0], q1[0]) <= max(p0[0], p1[0])
                            && min(p0[1], p1[1]) <= max(q0[1], q1[1]) && min(q0[1], q1[1]) <= max(p0[1], p1[1]) {
                            pairs.append((a, i, b, j))
                        }
                    }
                }
            }
        }
        return pairs
    }

    /// The intersection of segments `p0→p1` and `q0→q1` in the plane: the parameters
    /// `(s, u) ∈ [0, 1]²` of the crossing, or `nil` (parallel, collinear or disjoint).
    static func segmentCrossing(_ p0: [Double], _ p1: [Double], _ q0: [Double], _ q1: [Double]) -> (Double, Double)? {
        let r = (p1[0] - p0[0], p1[1] - p0[1]), d = (q1[0] - q0[0], q1[1] - q0[1])
        let denominator = r.0 * d.1 - r.1 * d.0
        guard denominator != 0, denominator.isFinite else { return nil }
        let w = (q0[0] - p0[0], q0[1] - p0[1])
        let s = (w.0 * d.1 - w.1 * d.0) / denominator
        let u = (w.0 * r.1 - w.1 * r.0) / denominator
        return (0...1).contains(s) && (0...1).contains(u) ? (s, u) : nil
    }
}
