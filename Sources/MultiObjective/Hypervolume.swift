/// Exact hypervolume indicators (minimisation).
///
/// The hypervolume of a point set `P ⊂ Rᵐ` with respect to a reference point `r` is the
/// Lebesgue measure of the region the set dominates, bounded by `r`:
///
///     HV(P; r) = λ( ⋃_{p ∈ P, p < r} [p₁, r₁] × … × [pₘ, rₘ] )
///
/// (Zitzler & Thiele, "Multiobjective optimization using evolutionary algorithms — a comparative
/// case study", PPSN V, 1998). Points that do not strictly dominate `r` (some `pᵢ ≥ rᵢ`) span a
/// box of zero volume and contribute nothing. Dominated points and duplicates do not change the
/// value. The empty set has hypervolume 0.
///
/// All entry points validate their input and throw ``MultiObjectiveError`` on a dimension
/// mismatch, an empty reference point, or non-finite coordinates.
public enum Hypervolume {
    /// The hypervolume, dispatched on the dimension `m = reference.count`: `m = 1` is
    /// `r₁ − min p₁`, `m = 2` ``twoDimensional(_:reference:)``, `m = 3`
    /// ``threeDimensional(_:reference:)``, `m ≥ 4` ``wfg(_:reference:)``.
    public static func compute(_ points: [[Double]], reference: [Double]) throws -> Double {
        switch reference.count {
        case 2:
            return try twoDimensional(points, reference: reference)
        case 3:
            let flat = try contributingCoordinates(points, reference: reference, operation: "Hypervolume.compute")
            return sweep3D(flat: flat, reference: reference)
        default:
            let contributing = try prepare(points, reference: reference, operation: "Hypervolume.compute")
            if reference.count == 1 { return contributing.map { reference[0] - $0[0] }.max() ?? 0 }
            return wfgRecursive(nonDominated(contributing), reference: reference)
        }
    }

    /// Exact 2-D hypervolume by sorting and summing strips.
    ///
    /// With the contributing points sorted by ascending `f₁` and `b₀ = r₂`,
    /// `bₖ = min(bₖ₋₁, f₂(pₖ))`:
    ///
    ///     HV = Σₖ (r₁ − f₁(pₖ)) · (bₖ₋₁ − bₖ)
    ///
    /// (each point adds the horizontal strip between its `f₂` and the lowest `f₂` seen so far;
    /// dominated points add 0; points with equal `f₁` may come in any order, their strips
    /// telescope). The sort is a radix sort on 64-bit images of `f₁`, so the whole computation is
    /// O(N) (at most 8 linear passes) — within the O(N log N) of the comparison-sort formulation.
    /// - Throws: ``MultiObjectiveError`` unless `reference.count == 2` and all points match it.
    public static func twoDimensional(_ points: [[Double]], reference: [Double]) throws -> Double {
        guard reference.count == 2 else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "Hypervolume.twoDimensional", expected: 2, actual: reference.count, index: nil)
        }
        let operation = "Hypervolume.twoDimensional"
        guard reference.allSatisfy({ $0.isFinite }) else {
            throw MultiObjectiveError.nonFiniteValue(operation: "\(operation) (reference point)", index: nil)
        }
        // One validating pass straight into the sort's key and payload arrays.
        var keys: [UInt64] = []
        var seconds: [UInt64] = []
        keys.reserveCapacity(points.count)
        seconds.reserveCapacity(points.count)
        for (index, point) in points.enumerated() {
            guard point.count == 2 else {
                throw MultiObjectiveError.dimensionMismatch(operation: operation, expected: 2, actual: point.count, index: index)
            }
            let (x, y) = (point[0], point[1])
            guard x.isFinite && y.isFinite else {
                throw MultiObjectiveError.nonFiniteValue(operation: operation, index: index)
            }
            if x < reference[0] && y < reference[1] {
                keys.append(RadixSort.image(x))
                seconds.append(y.bitPattern)
            }
        }
        return sweep2D(keys: &keys, seconds: &seconds, reference: reference)
    }

    /// Exact 3-D hypervolume by a sweep in `f₃` over a 2-D staircase kept in a balanced ordered
    /// container, O(N log N) (Beume, Fonseca, López-Ibáñez, Paquete, Vahrenhold, "On the
    /// complexity of computing the hypervolume indicator", IEEE TEC 13(5), 2009; Fonseca,
    /// Paquete, López-Ibáñez, CEC 2006).
    ///
    /// Points are processed by ascending `f₃`. `A(z)` is the area dominated in the `(f₁, f₂)`
    /// plane by the points with `f₃ ≤ z`, so
    ///
    ///     HV = Σₖ A(z₍ₖ₎) · (z₍ₖ₊₁₎ − z₍ₖ₎),   z₍ₙ₊₁₎ = r₃.
    ///
    /// The staircase (the 2-D non-dominated projections, ascending `f₁`, descending `f₂`) lives
    /// in an ordered set over the points' ranks in `(f₁, f₂)` order (a 64-ary bit tree: insert,
    /// delete, predecessor and successor in O(log₆₄ N) word operations). Inserting `p`: if its
    /// predecessor has `f₂ ≤ p₂`, `p` adds nothing; otherwise the successors with `f₂ ≥ p₂` are
    /// removed (each point is removed at most once) and the area grows by the rectangles between
    /// `p₂` and the old staircase over `[p₁, x_next)`. The two orders come from radix sorts
    /// (runs of equal `f₁` are then sorted by `f₂` with a comparison sort), so the total is
    /// O(N log N) in the worst case (many equal `f₁`) and O(N log₆₄ N) otherwise.
    /// - Throws: ``MultiObjectiveError`` unless `reference.count == 3` and all points match it.
    public static func threeDimensional(_ points: [[Double]], reference: [Double]) throws -> Double {
        guard reference.count == 3 else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "Hypervolume.threeDimensional", expected: 3, actual: reference.count, index: nil)
        }
        let flat = try contributingCoordinates(points, reference: reference, operation: "Hypervolume.threeDimensional")
        return sweep3D(flat: flat, reference: reference)
    }

    /// Exact hypervolume for any `m ≥ 2` by the WFG algorithm (While, Bradstreet, Barone, "A fast
    /// way of calculating exact hypervolumes", IEEE TEC 16(1), 2012), in its slicing form.
    ///
    /// With the non-dominated contributing points sorted by ascending last objective `fₘ`,
    /// each point's slab from `fₘ(pₖ)` to `rₘ` adds its *exclusive* (m−1)-dimensional
    /// hypervolume with respect to the points before it:
    ///
    ///     HVₘ(P) = Σₖ (rₘ − fₘ(pₖ)) · [ Πᵢ<ₘ (rᵢ − pₖᵢ) − HVₘ₋₁( nds{ max(pₖ, pⱼ) : j < k } ) ]
    ///
    /// where `max` is componentwise over the first m−1 objectives (the *limit set*: the part of
    /// the earlier points' boxes inside `pₖ`'s box) and `nds` keeps its non-dominated points.
    /// The recursion bottoms out at `m = 2` with the sort-and-sum algorithm (so for `m = 2` this
    /// *is* ``twoDimensional(_:reference:)``). Worst case exponential in `m`; fast in practice for
    /// the small `m` of multi-task learning (e.g. 100 points on a sphere: ~3 ms for m = 4,
    /// ~10 ms for m = 5, ~60 ms for m = 6 on this project's 2-core machine).
    /// - Throws: ``MultiObjectiveError`` on invalid input or `reference.count < 2`.
    public static func wfg(_ points: [[Double]], reference: [Double]) throws -> Double {
        guard reference.count >= 2 else {
            throw MultiObjectiveError.invalidArgument(
                operation: "Hypervolume.wfg", reason: "needs at least 2 objectives, got \(reference.count)")
        }
        let contributing = try prepare(points, reference: reference, operation: "Hypervolume.wfg")
        return wfgRecursive(nonDominated(contributing), reference: reference)
    }

    /// Validates the input and returns the points that strictly dominate `reference`.
    static func prepare(_ points: [[Double]], reference: [Double], operation: String) throws -> [[Double]] {
        guard !reference.isEmpty else { throw MultiObjectiveError.noObjectives(operation: operation) }
        guard reference.allSatisfy({ $0.isFinite }) else {
            throw MultiObjectiveError.nonFiniteValue(operation: "\(operation) (reference point)", index: nil)
        }
        try validate(points, dimension: reference.count, operation: operation)
        return points.filter { strictlyDominates($0, reference) }
    }

    /// Validates the input in one pass and returns the coordinates of the points that strictly
    /// dominate `reference`, row-major and contiguous.
    static func contributingCoordinates(_ points: [[Double]], reference: [Double], operation: String) throws -> [Double] {
        let m = reference.count
        guard m >= 1 else { throw MultiObjectiveError.noObjectives(operation: operation) }
        guard reference.allSatisfy({ $0.isFinite }) else {
            throw MultiObjectiveError.nonFiniteValue(operation: "\(operation) (reference point)", index: nil)
        }
        var flat: [Double] = []
        flat.reserveCapacity(points.count * m)
        for (index, point) in points.enumerated() {
            guard point.count == m else {
                throw MultiObjectiveError.dimensionMismatch(operation: operation, expected: m, actual: point.count, index: index)
            }
            var finite = true
            var inside = true
            for i in 0..<m {
                finite = finite && point[i].isFinite
                inside = inside && point[i] < reference[i]
            }
            guard finite else { throw MultiObjectiveError.nonFiniteValue(operation: operation, index: index) }
            if inside { flat.append(contentsOf: point) }
        }
        return flat
    }

    private static func nonDominated(_ points: [[Double]]) -> [[Double]] {
        guard let m = points.first?.count else { return [] }
        return nonDominatedIndicesUnchecked(points, dimension: m).map { points[$0] }
    }

    /// 2-D sweep on points that strictly dominate `reference`.
    static func sweep2D(_ points: [[Double]], reference: [Double]) -> Double {
        var keys = points.map { RadixSort.image($0[0]) }
        var seconds = points.map { $0[1].bitPattern }
        return sweep2D(keys: &keys, seconds: &seconds, reference: reference)
    }

    /// 2-D sweep on points given as ``RadixSort/image(_:)`` of `f₁` and bit patterns of `f₂`,
    /// all strictly dominating `reference`. Points with equal `f₁` may be visited in any order:
    /// their strips telescope to the same sum.
    static func sweep2D(keys: inout [UInt64], seconds: inout [UInt64], reference: [Double]) -> Double {
        RadixSort.sort(keys: &keys, payloads: &seconds)
        var volume = 0.0
        var lowestSecond = reference[1]
        for k in keys.indices {
            let y = Double(bitPattern: seconds[k])
            if y < lowestSecond {
                volume += (reference[0] - RadixSort.value(keys[k])) * (lowestSecond - y)
                lowestSecond = y
            }
        }
        return volume
    }

    /// 3-D sweep on row-major coordinates of points that strictly dominate `reference`.
    static func sweep3D(flat: [Double], reference: [Double]) -> Double {
        let n = flat.count / 3
        if n == 0 { return 0 }
        let px = (0..<n).map { flat[3 * $0] }
        let py = (0..<n).map { flat[3 * $0 + 1] }
        let pz = (0..<n).map { flat[3 * $0 + 2] }
        // Rank in (f₁, f₂) order keys the staircase container: sort by f₁, then each run of
        // equal f₁ by f₂.
        var planeOrder = RadixSort.sortedPermutation(px)
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && px[planeOrder[end]] == px[planeOrder[start]] { end += 1 }
            if end - start > 1 { planeOrder[start..<end].sort { py[$0] < py[$1] } }
            start = end
        }
        var rank = [Int](repeating: 0, count: n)
        var xs = [Double](repeating: 0, count: n)
        var ys = [Double](repeating: 0, count: n)
        for (r, i) in planeOrder.enumerated() {
            rank[i] = r
            xs[r] = px[i]
            ys[r] = py[i]
        }
        let depthOrder = RadixSort.sortedPermutation(pz)

        var staircase = OrderedIndexSet(capacity: n)
        var area = 0.0
        var volume = 0.0
        var previousDepth = pz[depthOrder[0]]
        for i in depthOrder {
            let depth = pz[i]
            volume += area * (depth - previousDepth)
            previousDepth = depth
            let r = rank[i]
            let (x, y) = (xs[r], ys[r])
            var ceiling = reference[1]
            if let predecessor = staircase.previous(r - 1) {
                if ys[predecessor] <= y { continue }
                ceiling = ys[predecessor]
            }
            // Remove the staircase points p dominates in the plane, adding the area between
            // the old staircase and the level y over [x, next x).
            var left = x
            var successor = staircase.next(r + 1)
            while let s = successor, ys[s] >= y {
                area += (xs[s] - left) * (ceiling - y)
                left = xs[s]
                ceiling = ys[s]
                staircase.remove(s)
                successor = staircase.next(s + 1)
            }
            let right = successor.map { xs[$0] } ?? reference[0]
            area += (right - left) * (ceiling - y)
            staircase.insert(r)
        }
        volume += area * (reference[2] - previousDepth)
        return volume
    }

    /// WFG recursion on non-dominated points that strictly dominate `reference`.
    static func wfgRecursive(_ points: [[Double]], reference: [Double]) -> Double {
        let m = reference.count
        if points.isEmpty { return 0 }
        if m == 2 { return sweep2D(points, reference: reference) }
        if points.count == 1 { return boxVolume(points[0], reference: reference, dimensions: m) }
        let sorted = points.sorted { $0[m - 1] < $1[m - 1] }
        let lowerReference = Array(reference.prefix(m - 1))
        var volume = 0.0
        var limitSet: [[Double]] = []
        limitSet.reserveCapacity(sorted.count)
        for k in sorted.indices {
            let p = sorted[k]
            let height = reference[m - 1] - p[m - 1]
            var exclusive = boxVolume(p, reference: reference, dimensions: m - 1)
            if k > 0 {
                limitSet.removeAll(keepingCapacity: true)
                var covered = false
                for j in 0..<k {
                    let q = sorted[j]
                    var limited = [Double](repeating: 0, count: m - 1)
                    var equalsP = true
                    for i in 0..<(m - 1) {
                        limited[i] = Swift.max(p[i], q[i])
                        if limited[i] != p[i] { equalsP = false }
                    }
                    if equalsP { covered = true; break }
                    limitSet.append(limited)
                }
                if covered { continue }
                let limitFront = nonDominatedIndicesUnchecked(limitSet, dimension: m - 1).map { limitSet[$0] }
                exclusive -= wfgRecursive(limitFront, reference: lowerReference)
            }
            volume += height * exclusive
        }
        return volume
    }

    private static func boxVolume(_ p: [Double], reference: [Double], dimensions: Int) -> Double {
        var volume = 1.0
        for i in 0..<dimensions { volume *= reference[i] - p[i] }
        return volume
    }
}
