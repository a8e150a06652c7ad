import MultiObjective

/// A sample of one family's continuous front in objective space (two objectives).
public struct FamilySample: Sendable, Equatable {
    /// Which family (index into the list given to ``Stitching/stitch(_:)``).
    public var family: Int
    /// The family's own parameter `t` of this sample.
    public var t: Double
    /// `(f₁, f₂)`.
    public var objectives: [Double]

    public init(family: Int, t: Double, objectives: [Double]) {
        self.family = family
        self.t = t
        self.objectives = objectives
    }
}

/// A point where two families' fronts cross, inserted on both.
public struct StitchPoint: Sendable, Equatable {
    /// The crossing in objective space.
    public var objectives: [Double]
    /// The two families.
    public var families: [Int]
    /// The parameter `t` of the crossing on each family (linear within the crossing segments).
    public var parameters: [Double]
}

/// One continuous front stitched from several families.
public struct StitchedFront: Sendable {
    /// The front: non-dominated samples of all families plus stitching points, by increasing f₁.
    public var samples: [FamilySample]
    /// Where families cross.
    public var stitchPoints: [StitchPoint]

    /// Hypervolume of the stitched front w.r.t. `reference` (minimisation).
    public func hypervolume(reference: [Double]) throws -> Double {
        try Hypervolume.compute(samples.map(\.objectives), reference: reference)
    }

    /// The family pieces in f₁ order: (family, first t, last t) for each maximal run.
    public var pieces: [(family: Int, tStart: Double, tEnd: Double)] {
        var runs: [(Int, Double, Double)] = []
        for sample in samples {
            if let last = runs.last, last.0 == sample.family {
                runs[runs.count - 1].2 = sample.t
            } else {
                runs.append((sample.family, sample.t, sample.t))
            }
        }
        return runs.map { (family: $0.0, tStart: $0.1, tEnd: $0.2) }
    }
}

/// Stitching of continuous fronts (two objectives).
///
/// Each family is a curve in objective space, given as samples in the order of its own
/// parameter `t`. Wherever two families' polylines cross, the crossing is inserted on both as
/// a stitching point (Ma et al. 2020 §5 describe the idea; ParetoKit defines it precisely
/// here); then every sample dominated by a sample of another family (or by a stitching point)
/// is cropped. What remains, ordered by f₁, is one front that switches family only at
/// stitching points or where one family's front ends. Stitch many families by passing them
/// all at once.
public enum Stitching {
    /// Segment intersection of `p0→p1` and `q0→q1` in the plane: the parameters `(a, b)` in
    /// [0, 1]² of the crossing, or `nil` (parallel or disjoint).
    static func crossing(_ p0: [Double], _ p1: [Double], _ q0: [Double], _ q1: [Double]) -> (Double, Double)? {
        let r = (p1[0] - p0[0], p1[1] - p0[1]), s = (q1[0] - q0[0], q1[1] - q0[1])
        let denominator = r.0 * s.1 - r.1 * s.0
        if denominator == 0 { return nil }
        let w = (q0[0] - p0[0], q0[1] - p0[1])
        let a = (w.0 * s.1 - w.1 * s.0) / denominator
        let b = (w.0 * r.1 - w.1 * r.0) / denominator
        return (0...1).contains(a) && (0...1).contains(b) ? (a, b) : nil
    }

    /// Stitches families given as `t`-ordered sample lists.
    /// - Throws: ``ExpansionError/invalidOption(_:)`` unless every sample has two objectives.
    public static func stitch(_ families: [[FamilySample]]) throws -> StitchedFront {
        guard families.allSatisfy({ $0.allSatisfy { $0.objectives.count == 2 } }) else {
            throw ExpansionError.invalidOption("stitching needs two objectives")
        }
        var stitchPoints: [StitchPoint] = []
        for i in families.indices {
            for j in families.indices where j > i {
                let a = families[i], b = families[j]
                // Segments are half-open ([start, end), the last one closed) so that a crossing at
                // a shared sample is found once.
                for p in 0..<max(0, a.count - 1) {
                    for q in 0..<max(0, b.count - 1) {
                        guard let (s, u) = crossing(a[p].objectives, a[p + 1].objectives, b[q].objectives, b[q + 1].objectives),
                              s < 1 || p == a.count - 2, u < 1 || q == b.count - 2
                        else { continue }
                        let objectives = zip(a[p].objectives, a[p + 1].objectives).map { $0 + s * ($1 - $0) }
                        stitchPoints.append(StitchPoint(
                            objectives: objectives, families: [i, j],
                            parameters: [a[p].t + s * (a[p + 1].t - a[p].t), b[q].t + u * (b[q + 1].t - b[q].t)]))
                    }
                }
            }
        }
        var candidates = families.flatMap { $0 }
        for point in stitchPoints {
            for (family, t) in zip(point.families, point.parameters) {
                candidates.append(FamilySample(family: family, t: t, objectives: point.objectives))
            }
        }
        let keep = try nonDominatedIndices(candidates.map(\.objectives))
        var kept = keep.map { candidates[$0] }
        kept.sort { ($0.objectives[0], $0.objectives[1], $0.family, $0.t) < ($1.objectives[0], $1.objectives[1], $1.family, $1.t) }
        return StitchedFront(samples: kept, stitchPoints: stitchPoints)
    }
}
