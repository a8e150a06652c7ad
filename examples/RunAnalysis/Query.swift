import Foundation
import ParetoKit

/// The continuous set at each `t`: x(t) on the chain, f(x(t)) evaluated on the problem, and the
/// distance of f(x(t)) to the analytic front.
func query(run: String, at parameters: [Double]) throws {
    let front = try loadFront(run)
    let problem = try problem(of: front)
    let family = try chain(of: front)
    print("run: \(run) (\(front.problem), \(front.points.count) points, chain of \(family.nodes.count))")
    for t in parameters {
        let x = try family.parameters(at: t)
        let f = try problem.values(at: x)
        print("t: \(exact(t)) f: \(f.map(exact).joined(separator: ",")) distance_to_front: \(exact(problem.distanceToParetoFront(f))) "
              + "x: \(x.map(exact).joined(separator: ","))")
    }
}
