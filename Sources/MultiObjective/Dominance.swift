/// Pareto dominance between objective vectors (all objectives minimised).
///
/// For `a, b ∈ Rᵐ`:
/// * `a` *weakly dominates* `b` (`a ≼ b`) iff `aᵢ ≤ bᵢ` for every `i`;
/// * `a` *dominates* `b` (`a ≺ b`) iff `a ≼ b` and `a ≠ b`;
/// * `a` *strictly dominates* `b` iff `aᵢ < bᵢ` for every `i`.
///
/// (Deb, *Multi-Objective Optimization Using Evolutionary Algorithms*, 2001, §2.4;
/// Zitzler et al., "Performance assessment of multiobjective optimizers", IEEE TEC 7(2), 2003.)
public enum DominanceRelation: Sendable, Equatable {
    /// `a ≺ b`: `a` is no worse in every objective and better in at least one.
    case dominates
    /// `b ≺ a`.
    case isDominated
    /// `a = b` componentwise.
    case equal
    /// Neither weakly dominates the other: each is better in some objective.
    case incomparable

    /// The relation between `a` and `b` in one pass over the objectives.
    /// - Precondition: `a.count == b.count` (comparing points of different dimension is a
    ///   programming error; the validated entry points such as ``nonDominatedIndices(_:)``
    ///   throw instead).
    public init(_ a: [Double], _ b: [Double]) {
        precondition(a.count == b.count, "DominanceRelation: dimensions \(a.count) and \(b.count) differ")
        var aBetter = false
        var bBetter = false
        for i in a.indices {
            if a[i] < b[i] { aBetter = true } else if b[i] < a[i] { bBetter = true }
        }
        switch (aBetter, bBetter) {
        case (true, false): self = .dominates
        case (false, true): self = .isDominated
        case (false, false): self = .equal
        case (true, true): self = .incomparable
        }
    }
}

/// Whether `a` Pareto-dominates `b` (minimisation): `aᵢ ≤ bᵢ` for all `i` and `a ≠ b`.
/// - Precondition: equal dimensions.
public func dominates(_ a: [Double], _ b: [Double]) -> Bool {
    DominanceRelation(a, b) == .dominates
}

/// Whether `a` weakly dominates `b` (minimisation): `aᵢ ≤ bᵢ` for all `i` (equal points
/// weakly dominate each other).
/// - Precondition: equal dimensions.
public func weaklyDominates(_ a: [Double], _ b: [Double]) -> Bool {
    precondition(a.count == b.count, "weaklyDominates: dimensions \(a.count) and \(b.count) differ")
    for i in a.indices where a[i] > b[i] { return false }
    return true
}

/// Whether `a` strictly dominates `b` (minimisation): `aᵢ < bᵢ` for all `i`. A point
/// contributes to the hypervolume with reference `r` iff it strictly dominates `r`.
/// - Precondition: equal dimensions.
public func strictlyDominates(_ a: [Double], _ b: [Double]) -> Bool {
    precondition(a.count == b.count, "strictlyDominates: dimensions \(a.count) and \(b.count) differ")
    for i in a.indices where !(a[i] < b[i]) { return false }
    return true
}

/// Lexicographic order on objective vectors of equal dimension.
@inline(__always)
func lexicographicallyPrecedes(_ a: [Double], _ b: [Double]) -> Bool {
    for i in a.indices where a[i] != b[i] { return a[i] < b[i] }
    return false
}

/// The indices of the non-dominated points of `points`, in increasing index order.
///
/// A point is kept iff no other point dominates it; of several *exact duplicates* (equal in
/// every objective) only the first, i.e. the one with the smallest index, is kept, so the result
/// never contains two equal points and depends on nothing but the input.
///
/// Algorithms (minimisation):
/// * `m = 2`: sort by `(f₁, f₂, index)` and sweep, keeping a point iff its `f₂` is strictly below
///   the smallest `f₂` seen so far — O(N log N) (Kung, Luccio, Preparata, J. ACM 22(4), 1975).
/// * `m ≠ 2`: sort lexicographically (ties by index); a point can only be weakly dominated by a
///   point that precedes it, and weak dominance is transitive, so each point is compared with the
///   non-dominated points kept so far — O(N log N + N·K·m) for a front of K points, at most O(N²m).
///
/// - Throws: ``MultiObjectiveError`` if the points have different dimensions, no objectives, or
///   non-finite values. An empty input returns `[]`.
public func nonDominatedIndices(_ points: [[Double]]) throws -> [Int] {
    if points.isEmpty { return [] }
    let m = try commonDimension(points, operation: "nonDominatedIndices")
    return nonDominatedIndicesUnchecked(points, dimension: m)
}

/// ``nonDominatedIndices(_:)`` on points already validated to have `dimension` finite components.
func nonDominatedIndicesUnchecked(_ points: [[Double]], dimension m: Int) -> [Int] {
    let order = points.indices.sorted { i, j in
        let a = points[i], b = points[j]
        for k in 0..<m where a[k] != b[k] { return a[k] < b[k] }
        return i < j
    }
    var kept: [Int] = []
    if m == 2 {
        var bestSecond = Double.infinity
        for i in order where points[i][1] < bestSecond {
            kept.append(i)
            bestSecond = points[i][1]
        }
    } else {
        for i in order {
            let candidate = points[i]
            if !kept.contains(where: { weaklyDominates(points[$0], candidate) }) { kept.append(i) }
        }
    }
    kept.sort()
    return kept
}
