/// A set of mutually non-dominated objective vectors of a fixed dimension `m` (minimisation),
/// kept in lexicographic order — for `m = 2`, ascending `f₁` and hence strictly descending `f₂`.
///
/// Invariant: no stored point weakly dominates another (in particular there are no duplicates;
/// see ``dominates(_:_:)`` and ``weaklyDominates(_:_:)``). Each point may carry an `Int` payload
/// (an id, an index into the caller's models, …) so that callers can map points back.
public struct ParetoFront: Sendable, Equatable {
    /// One point of the front with its optional payload.
    public struct Entry: Sendable, Equatable {
        /// The objective vector (`dimension` finite values).
        public let objectives: [Double]
        /// The caller's identifier for this point, if any.
        public let payload: Int?

        /// An entry with the given objectives and payload.
        public init(objectives: [Double], payload: Int? = nil) {
            self.objectives = objectives
            self.payload = payload
        }
    }

    /// The number of objectives `m`.
    public let dimension: Int
    /// The entries in lexicographic order of their objectives.
    public private(set) var entries: [Entry]

    /// An empty front of `dimension` objectives.
    /// - Throws: ``MultiObjectiveError/noObjectives(operation:)`` if `dimension < 1`.
    public init(dimension: Int) throws {
        guard dimension >= 1 else { throw MultiObjectiveError.noObjectives(operation: "ParetoFront") }
        self.dimension = dimension
        self.entries = []
    }

    /// The front of the non-dominated points of `points` (of exact duplicates the first is kept,
    /// as in ``nonDominatedIndices(_:)``).
    ///
    /// - Parameters:
    ///   - dimension: The number of objectives.
    ///   - points: Candidate points, each of `dimension` finite values.
    ///   - payloads: `nil`, or one payload per point.
    /// - Throws: ``MultiObjectiveError`` on a dimension mismatch, non-finite values, or a payload
    ///   count different from the point count.
    public init(dimension: Int, points: [[Double]], payloads: [Int]? = nil) throws {
        try self.init(dimension: dimension)
        try validate(points, dimension: dimension, operation: "ParetoFront")
        if let payloads, payloads.count != points.count {
            throw MultiObjectiveError.invalidArgument(
                operation: "ParetoFront",
                reason: "\(payloads.count) payloads for \(points.count) points")
        }
        let kept = nonDominatedIndicesUnchecked(points, dimension: dimension)
        entries = kept.map { Entry(objectives: points[$0], payload: payloads?[$0]) }
        entries.sort { lexicographicallyPrecedes($0.objectives, $1.objectives) }
    }

    /// The front of the non-dominated points of a non-empty list; the dimension is that of the
    /// first point.
    /// - Throws: ``MultiObjectiveError`` on an empty list, a dimension mismatch, non-finite
    ///   values, or a payload count different from the point count.
    public init(points: [[Double]], payloads: [Int]? = nil) throws {
        let m = try commonDimension(points, operation: "ParetoFront")
        try self.init(dimension: m, points: points, payloads: payloads)
    }

    /// The objective vectors in lexicographic order.
    public var points: [[Double]] { entries.map(\.objectives) }
    /// The payloads, in the order of ``points``.
    public var payloads: [Int?] { entries.map(\.payload) }
    /// The number of points.
    public var count: Int { entries.count }
    /// Whether the front has no points.
    public var isEmpty: Bool { entries.isEmpty }

    /// Inserts `point` unless a stored point weakly dominates it (an exact duplicate of a stored
    /// point is rejected: the first one is kept); removes the stored points that `point` dominates.
    ///
    /// For `m = 2` the position is found by binary search: the lexicographic predecessor has
    /// the smallest `f₂` among the points with smaller `f₁`, so `point` is weakly dominated iff
    /// that predecessor's `f₂ ≤ point.f₂`, and the points it dominates are the contiguous run of
    /// successors with `f₂ ≥ point.f₂`. General `m` scans the front, O(K·m).
    ///
    /// - Returns: `true` if the point was inserted.
    /// - Throws: ``MultiObjectiveError`` on a dimension mismatch or non-finite values.
    @discardableResult
    public mutating func insert(_ point: [Double], payload: Int? = nil) throws -> Bool {
        try validate(point, dimension: dimension, operation: "ParetoFront.insert")
        let position = insertionIndex(of: point)
        if dimension == 2 {
            if position > 0 && entries[position - 1].objectives[1] <= point[1] { return false }
            if position < entries.count && entries[position].objectives == point { return false }
            var end = position
            while end < entries.count && entries[end].objectives[1] >= point[1] { end += 1 }
            entries.replaceSubrange(position..<end, with: [Entry(objectives: point, payload: payload)])
            return true
        }
        if entries.contains(where: { weaklyDominates($0.objectives, point) }) { return false }
        let before = entries[..<position].filter { !weaklyDominates(point, $0.objectives) }
        let after = entries[position...].filter { !weaklyDominates(point, $0.objectives) }
        entries = before + [Entry(objectives: point, payload: payload)] + after
        return true
    }

    /// The first index whose entry does not lexicographically precede `point` (binary search).
    private func insertionIndex(of point: [Double]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if lexicographicallyPrecedes(entries[middle].objectives, point) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The front of the non-dominated points of `self ∪ other`. Where a point of `self` equals a
    /// point of `other`, the entry (and payload) of `self` is kept.
    /// - Throws: ``MultiObjectiveError/dimensionMismatch(operation:expected:actual:index:)`` if the
    ///   fronts have different dimensions.
    public func union(_ other: ParetoFront) throws -> ParetoFront {
        guard other.dimension == dimension else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "ParetoFront.union", expected: dimension, actual: other.dimension, index: nil)
        }
        let all = entries + other.entries
        let kept = nonDominatedIndicesUnchecked(all.map(\.objectives), dimension: dimension)
        var result = self
        result.entries = kept.map { all[$0] }
        result.entries.sort { lexicographicallyPrecedes($0.objectives, $1.objectives) }
        return result
    }

    /// Replaces `self` by ``union(_:)``.
    public mutating func formUnion(_ other: ParetoFront) throws {
        self = try union(other)
    }

    /// Removes the points that some point of `other` dominates (``dominates(_:_:)``: no worse
    /// everywhere and different). Points equal to a point of `other` are kept. Used when
    /// stitching two families of solutions into one front.
    /// - Throws: ``MultiObjectiveError/dimensionMismatch(operation:expected:actual:index:)``.
    public mutating func crop(dominatedBy other: ParetoFront) throws {
        guard other.dimension == dimension else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "ParetoFront.crop(dominatedBy:)", expected: dimension,
                actual: other.dimension, index: nil)
        }
        entries.removeAll { entry in other.entries.contains { dominates($0.objectives, entry.objectives) } }
    }

    /// A copy with the points dominated by `other` removed (see ``crop(dominatedBy:)``).
    public func cropped(dominatedBy other: ParetoFront) throws -> ParetoFront {
        var result = self
        try result.crop(dominatedBy: other)
        return result
    }

    /// Keeps only the points inside the closed box `lower ≤ p ≤ upper` (componentwise).
    /// - Throws: ``MultiObjectiveError`` if a bound has the wrong dimension or is NaN
    ///   (infinite bounds are allowed: an unbounded side).
    public mutating func crop(lower: [Double], upper: [Double]) throws {
        for bound in [lower, upper] {
            guard bound.count == dimension else {
                throw MultiObjectiveError.dimensionMismatch(
                    operation: "ParetoFront.crop(lower:upper:)", expected: dimension, actual: bound.count, index: nil)
            }
            guard !bound.contains(where: \.isNaN) else {
                throw MultiObjectiveError.nonFiniteValue(operation: "ParetoFront.crop(lower:upper:)", index: nil)
            }
        }
        entries.removeAll { entry in
            entry.objectives.indices.contains { entry.objectives[$0] < lower[$0] || entry.objectives[$0] > upper[$0] }
        }
    }

    /// A copy with only the points inside the closed box `lower ≤ p ≤ upper`.
    public func cropped(lower: [Double], upper: [Double]) throws -> ParetoFront {
        var result = self
        try result.crop(lower: lower, upper: upper)
        return result
    }

    /// The hypervolume of the front with respect to `reference` (``Hypervolume/compute(_:reference:)``).
    public func hypervolume(reference: [Double]) throws -> Double {
        guard reference.count == dimension else {
            throw MultiObjectiveError.dimensionMismatch(
                operation: "ParetoFront.hypervolume", expected: dimension, actual: reference.count, index: nil)
        }
        return try Hypervolume.compute(points, reference: reference)
    }
}
