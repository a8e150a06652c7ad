import Expansion
import Problems
import XCTest

/// ParetoOptimize at a vertex of the box where every coordinate is fixed by its bound (ZDT2's
/// x = 0: ∂f₁/∂x₁ = 1 and ∂f₂/∂x₁ = −2x₁/g = 0 push x₁ against 0, and both gradients push
/// x₂…xₙ against 0): no feasible descent direction exists, so every method must stop there
/// as stationary instead of failing on an empty set of free coordinates.
final class ParetoOptimizeVertexTests: XCTestCase {
    func testEveryMethodStopsAtAFullyFixedVertex() throws {
        let problem = try ZDT(.zdt2, dimension: 5)
        let objective = try ParetoObjective(problem, bounds: problem.bounds)
        let vertex = [Double](repeating: 0, count: 5)
        for method in [ParetoOptimizeMethod.mgda, .weightedSum([0.9, 0.1]), .chebyshev([0.9, 0.1])] {
            let result = try paretoOptimize(objective, from: vertex, options: ParetoOptimizeOptions(method: method))
            XCTAssertEqual(result.point.freeVariables, [], "\(method)")
            XCTAssertEqual(result.point.parameters, vertex, "\(method)")
            // f(0) = (x₁, g(1 − (x₁/g)²)) = (0, 1), the front's end.
            XCTAssertEqual(result.point.objectives[0], 0, accuracy: 1e-15, "\(method)")
            XCTAssertEqual(result.point.objectives[1], 1, accuracy: 1e-15, "\(method)")
        }
    }
}
