import Foundation
import ParetoKit

/// Two runs side by side, for a shared reference point (default: the componentwise maximum of
/// both runs' references): points, hypervolumes, evaluations, the largest distance to the
/// analytic front, and how many of each run's points the other run's continuous front dominates.
func compare(_ a: String, _ b: String, reference: [Double]?) throws {
    let runs = [try loadFront(a), try loadFront(b)]
    let shared = reference ?? zip(runs[0].reference, runs[1].reference).map { max($0, $1) }
    let problems = try runs.map(problem(of:))
    let vectors = runs.map(frontVectors)
    print("reference: \(shared.map(exact).joined(separator: ","))")
    for (index, (run, name)) in zip(runs, [a, b]).enumerated() {
        let other = vectors[1 - index]
        let dominated = run.points.filter { p in (other.points + other.curve).contains { dominates($0, p.objectives) } }.count
        let distance = run.points.map { problems[index].distanceToParetoFront($0.objectives) }.max() ?? 0
        print("run \(index + 1): \(name)")
        print("  method: \(run.method) points: \(run.points.count) candidates: \(run.candidates) rejected: \(run.rejected)")
        print("  evaluations: \(run.evaluations.gradients) gradients, \(run.evaluations.hvps) hvps")
        print("  points_hypervolume: \(exact(try hypervolume(of: vectors[index].points, reference: shared)))")
        print("  continuous_hypervolume: \(exact(try hypervolume(of: vectors[index].points + vectors[index].curve, reference: shared)))")
        print("  largest_distance_to_front: \(exact(distance))")
        print("  points_dominated_by_the_other_run: \(dominated)")
    }
}
