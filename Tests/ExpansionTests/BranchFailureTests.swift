import Autodiff
import Expansion
import Problems
import XCTest

/// ZDT2 (n = 3) whose objectives are NaN where x₁ < 0.3: a stand-in for a network whose loss
/// overflows in one region.
private struct PoisonedZDT2: DifferentiableVectorFunction {
    let zdt2 = try! ZDT(.zdt2, dimension: 3)
    var parameterCount: Int { 3 }
    var objectiveCount: Int { 2 }

    private func poisoned(_ x: [Double], _ values: [Double]) -> [Double] { x[0] < 0.3 ? values.map { _ in .nan } : values }

    func values(at x: [Double]) throws -> [Double] { poisoned(x, try zdt2.values(at: x)) }
    func valuesAndJacobian(at x: [Double]) throws -> (values: [Double], jacobian: [[Double]]) {
        let (values, jacobian) = try zdt2.valuesAndJacobian(at: x)
        return (poisoned(x, values), jacobian)
    }
    func valuesAndWeightedGradient(at x: [Double], weights: [Double]) throws -> (values: [Double], gradient: [Double]) {
        let (values, gradient) = try zdt2.valuesAndWeightedGradient(at: x, weights: weights)
        return (poisoned(x, values), gradient)
    }
    func hessianVectorProduct(at x: [Double], along v: [Double], weights: [Double]) throws -> HessianVectorProduct<Double> {
        try zdt2.hessianVectorProduct(at: x, along: v, weights: weights)
    }
}

/// A non-finite value stops the branch it occurs on, with a recorded reason; the rest of the
/// run goes on (it used to abort the whole run).
final class BranchFailureTests: XCTestCase {
    func testNonFiniteValuesStopOneBranchAndTheRunGoesOn() throws {
        let function = PoisonedZDT2()
        let objective = try ParetoObjective(function, bounds: function.zdt2.bounds)
        var options = ExpansionOptions()
        options.points = 15
        options.stepSize = 0.05
        options.direction = DirectionOptions(method: .tangent, minresIterations: 10, minresTolerance: 1e-10)
        options.optimize = ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 50, stationarityTolerance: 1e-10)
        let start = try ParetoExpansion.start(objective, from: [0.5, 0, 0], options: options)
        let state = try ParetoExpansion.run(objective, state: start.state, options: options)
        XCTAssertFalse(state.failures.isEmpty)
        XCTAssertTrue(state.failures.allSatisfy { $0.reason.contains("non-finite") }, "\(state.failures)")
        XCTAssertGreaterThanOrEqual(state.rejected, state.failures.count)
        // The chain favouring f₁ (decreasing x₁) stops before x₁ < 0.3; the other one reaches
        // the end of the front (x₁ = 1, where ZDT2's f₂ = 0).
        XCTAssertTrue(state.points.allSatisfy { $0.parameters[0] >= 0.3 })
        XCTAssertEqual(state.points.map { $0.parameters[0] }.max()!, 1, accuracy: 1e-9)
        XCTAssertTrue(state.points.allSatisfy { $0.objectives.allSatisfy(\.isFinite) })
    }
}
