/// A multi-objective problem whose Pareto set and front are known in closed form, so that a
/// computed front can be measured against them (distances, hypervolume of the exact front).
///
/// The protocol says nothing about how the objectives are evaluated: the `Problems` module's
/// `BenchmarkProblem` adds that (values, gradients and Hessian-vector products from the
/// autodiff engine); an expansion only needs the distances.
public protocol KnownParetoSet: Sendable {
    /// The problem's name as used on the command line (`zdt2`, `zdt2-variant`, …).
    var name: String { get }
    /// `count` points evenly spaced along the analytic Pareto front (in the front's own
    /// parameter), sorted by the first objective.
    func paretoFront(count: Int) -> [[Double]]
    /// The Euclidean distance in objective space from `objectives` to the analytic front.
    func distanceToParetoFront(_ objectives: [Double]) -> Double
    /// The Euclidean distance in parameter space from `x` to the analytic Pareto set.
    func distanceToParetoSet(_ x: [Double]) -> Double
    /// A point of the analytic Pareto set whose first objective is `f1`, or the nearest such
    /// point when `f1` lies outside the front's range (or in a gap of a disconnected front).
    func paretoOptimalPoint(firstObjective f1: Double) -> [Double]
}
