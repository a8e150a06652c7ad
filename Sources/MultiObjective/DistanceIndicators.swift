/// Distance-based quality indicators of an approximation set `A` against a reference front `Z`
/// (minimisation), with pymoo's definitions (`pymoo.indicators.gd`, `igd`, `gd_plus`,
/// `igd_plus`; no normalisation):
///
///     GD(A)   = (1/|A|) Σ_{a ∈ A} min_{z ∈ Z} ‖a − z‖₂
///     IGD(A)  = (1/|Z|) Σ_{z ∈ Z} min_{a ∈ A} ‖a − z‖₂
///     GD⁺(A)  = (1/|A|) Σ_{a ∈ A} min_{z ∈ Z} d⁺(z, a)
///     IGD⁺(A) = (1/|Z|) Σ_{z ∈ Z} min_{a ∈ A} d⁺(z, a),   d⁺(z, a) = ‖max(a − z, 0)‖₂
///
/// (Van Veldhuizen & Lamont 1998 for GD; Coello & Reyes Sierra 2004 for IGD; Ishibuchi, Masuda,
/// Tanigaki, Nojima, "Modified distance calculation in generational distance and inverted
/// generational distance", EMO 2015, for GD⁺/IGD⁺, which count only the objectives in which `a`
/// is worse than `z`, making IGD⁺ weakly Pareto compliant.)
///
/// Each is O(|A|·|Z|·m). Both sets must be non-empty, of one dimension, and finite; otherwise
/// ``MultiObjectiveError`` is thrown.
public enum DistanceIndicators {
    /// Generational distance: mean over `points` of the distance to the nearest reference point.
    public static func generationalDistance(_ points: [[Double]], referenceFront: [[Double]]) throws -> Double {
        try meanNearest(from: points, to: referenceFront, operation: "generationalDistance") { a, z in
            euclidean(a, z)
        }
    }

    /// Inverted generational distance: mean over `referenceFront` of the distance to the nearest
    /// point of `points`.
    public static func invertedGenerationalDistance(_ points: [[Double]], referenceFront: [[Double]]) throws -> Double {
        try meanNearest(from: referenceFront, to: points, operation: "invertedGenerationalDistance") { z, a in
            euclidean(a, z)
        }
    }

    /// GD⁺: mean over `points` of the smallest modified distance `d⁺(z, a)` to a reference point.
    public static func generationalDistancePlus(_ points: [[Double]], referenceFront: [[Double]]) throws -> Double {
        try meanNearest(from: points, to: referenceFront, operation: "generationalDistancePlus") { a, z in
            modifiedDistance(z: z, a: a)
        }
    }

    /// IGD⁺: mean over `referenceFront` of the smallest modified distance `d⁺(z, a)` to a point.
    public static func invertedGenerationalDistancePlus(_ points: [[Double]], referenceFront: [[Double]]) throws -> Double {
        try meanNearest(from: referenceFront, to: points, operation: "invertedGenerationalDistancePlus") { z, a in
            modifiedDistance(z: z, a: a)
        }
    }

    private static func meanNearest(
        from sources: [[Double]], to targets: [[Double]], operation: String,
        distance: ([Double], [Double]) -> Double
    ) throws -> Double {
        let m = try commonDimension(sources, operation: operation)
        guard !targets.isEmpty else { throw MultiObjectiveError.emptyInput(operation: operation) }
        try validate(targets, dimension: m, operation: operation)
        var total = 0.0
        for source in sources {
            var nearest = Double.infinity
            for target in targets { nearest = Swift.min(nearest, distance(source, target)) }
            total += nearest
        }
        return total / Double(sources.count)
    }

    private static func euclidean(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += (a[i] - b[i]) * (a[i] - b[i]) }
        return sum.squareRoot()
    }

    private static func modifiedDistance(z: [Double], a: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices {
            let excess = Swift.max(a[i] - z[i], 0)
            sum += excess * excess
        }
        return sum.squareRoot()
    }
}
