import Foundation
import ParetoKit

/// The hypervolume of a run recomputed for another reference point: of the accepted points
/// alone and of the points with the non-dominated curve samples (the continuous front), next
/// to the value stored in front.json for the run's own reference.
func hypervolume(run: String, reference: [Double]) throws {
    let front = try loadFront(run)
    guard reference.count == front.reference.count else {
        throw AnalysisError(description: "the reference has \(reference.count) entries, the run \(front.reference.count) objectives")
    }
    let (points, curve) = frontVectors(front)
    print("run: \(run)")
    print("stored_reference: \(front.reference.map(exact).joined(separator: ",")) stored_hypervolume: \(exact(front.hypervolume))")
    print("reference: \(reference.map(exact).joined(separator: ","))")
    print("points_hypervolume: \(exact(try hypervolume(of: points, reference: reference)))")
    print("continuous_hypervolume: \(exact(try hypervolume(of: points + curve, reference: reference)))")
}
