import Foundation
import MultiObjective
import Problems
import Training
import XCTest

/// LDC-MTL against linear scalarization and MGDA on its toy problem (eq. 5, §A.3): Adam with
/// learning rate 10⁻³ for 50,000 steps from each of the paper's five starts.
///
/// Criterion, "reaches the balanced point": the final `x` lies within 1.5 (Euclidean, in
/// parameter space) of the balanced point `(0, x₂*)` of the Pareto set (``LDCToyProblem``), where
/// the unscaled losses are equal; the single-task optima are 7 away.
final class LDCToyTests: XCTestCase {
    enum Method { case ls, mgda, ldc(LDCSettings) }

    static let problem = LDCToyProblem()

    /// The final point of `steps` Adam steps of `method` from `start`.
    static func run(_ method: Method, from start: [Double], steps: Int = 50_000) throws -> (x: [Double], sigma: [Double]) {
        var x = start
        var adam = OptimizerState<Double>(kind: .adamDefault, count: 2)
        var ldc: LDCState?
        if case .ldc(let settings) = method {
            ldc = LDCState(settings: settings, taskCount: 2, featureWidth: 0, optimizer: .adamDefault)
        }
        for _ in 0..<steps {
            let (values, jacobian) = try problem.valuesAndJacobian(at: x)
            let weights: [Double]
            switch method {
            case .ls: weights = [1, 1]
            case .mgda: weights = try MinNormWeights.solve(gradients: jacobian).weights
            case .ldc: weights = try ldc!.update(losses: values, feature: [], learningRate: 1e-3)
            }
            let direction = (0..<2).map { i in weights[0] * jacobian[0][i] + weights[1] * jacobian[1][i] }
            adam.step(&x, gradient: direction, learningRate: 1e-3)
        }
        return (x, ldc?.lastRouterWeights ?? [])
    }

    /// `run` from every start, the starts in parallel (independent runs, results by index).
    static func runFromEveryStart(_ method: Method) throws -> [(x: [Double], sigma: [Double])] {
        let starts = LDCToyProblem.starts
        let results = UnsafeMutableBufferPointer<Result<(x: [Double], sigma: [Double]), any Error>>.allocate(capacity: starts.count)
        defer { results.deallocate() }
        for i in 0..<starts.count { (results.baseAddress! + i).initialize(to: .failure(CancellationError())) }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: starts.count) { i in
            shared[i] = Result { try run(method, from: starts[i]) }
        }
        return try results.map { try $0.get() }
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    /// LS (`L₁ + L₂`) and MGDA end at least 1.5 from the balanced point from every start.
    func testLinearScalarizationAndMGDADoNotReachTheBalancedPoint() throws {
        let balanced = Self.problem.balancedPoint
        for (name, method) in [("ls", Method.ls), ("mgda", .mgda)] {
            for (start, end) in zip(LDCToyProblem.starts, try Self.runFromEveryStart(method)) {
                let x = end.x
                XCTAssertGreaterThan(Self.distance(x, balanced), 1.5, "\(name) from \(start) ended at \(x)")
            }
        }
    }

    /// LDC-MTL with Table 5's penalty `λ = 0.01`, `τ = σ(W)` and the rescale normalisation of §A.3
    /// (losses shifted by FAMO's lower bounds): the router's stationarity needs
    /// `λ ≥ |l̃₁ − l̃₂|/(l̃₁ + l̃₂)` (see ``LDCState``); otherwise `∂Φ/∂u` has the sign of
    /// `l̃₁ − l̃₂` and `σ` collapses onto the task with the smaller normalised loss, so the run
    /// minimises that task alone and does not balance. Checked: `max σᵢ > 0.99` at the end and
    /// the final point is not the balanced one (the paper's Figure 1 is not reproduced).
    func testLDCWithTable5PenaltyCollapsesTheRouter() throws {
        let balanced = Self.problem.balancedPoint
        let settings = LDCSettings(penalty: 0.01, upperWeights: .router, normalization: .rescale, lossOffsets: LDCToyProblem.lowerBounds)
        for (start, end) in zip(LDCToyProblem.starts, try Self.runFromEveryStart(.ldc(settings))) {
            let (x, sigma) = end
            XCTAssertGreaterThan(sigma.max()!, 0.99, "from \(start): σ = \(sigma), x = \(x)")
            XCTAssertGreaterThan(Self.distance(x, balanced), 1.5, "from \(start) ended at \(x)")
        }
    }
}
