import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training
import XCTest

/// A model with one parameter per entry of `sizes` and no network: the Trainer only uses its
/// layout; the objective is an analytic closure (two tasks sharing the parameters).
struct AnalyticModel: MultiTaskModel {
    var count: Int
    var architecture: String { "Analytic" }
    var layout: ParameterLayout { ParameterLayout([("theta", [count])]) }
    var inputShape: [Int] { [1, 28, 28] }
    var taskCount: Int { 2 }
    var classCount: Int { 10 }
    func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>] {
        throw ModelError.unknownParameter("AnalyticModel has no network")
    }
}

/// Bisection for a sign change of `f` on `[a, b]`.
func bisect(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Double {
    var (lo, hi) = (a, b)
    let lowSign = f(lo) > 0
    for _ in 0..<200 {
        let mid = (lo + hi) / 2
        if (f(mid) > 0) == lowSign { lo = mid } else { hi = mid }
    }
    return (lo + hi) / 2
}

/// Each producer on a problem whose fixed point is computed here by hand (or by bisection on
/// the hand-derived stationarity condition), independently of the implementation.
final class ProducerFixedPointTests: XCTestCase {
    /// GradNorm with constant shared-gradient norms `g = (2, 0.5)` and loss ratios
    /// `f(t)/f(0) = (0.5, 0.8)`, so `r = (0.5, 0.8)/0.65`.
    ///
    /// α = 1: `Σ rᵢ = T`, so both errors `eᵢ = wᵢgᵢ − Ḡ rᵢ` vanish at `wᵢ ∝ rᵢ/gᵢ`, `Σ w = 2`.
    /// α = 1.5: `Σ rᵢ^α > T` (Jensen), so the targets exceed `Σ Gᵢ` and at most one error is zero.
    /// The stable point slides on `e₁ = 0` (`2w₁ = (w₁ + w₂/4) r₁^α`, `w₁ + w₂ = 2`) with `e₂ < 0`:
    /// there `w₂` only grows, while on `e₂ = 0` the negative `e₁` would make `w₁` grow away.
    /// The sign-gradient steps oscillate by about `η gᵢ` around these points.
    func testGradNormConvergesToItsHandComputedFixedPoints() throws {
        let eta = 1e-4, norms = [2.0, 0.5]
        let ratios = [0.5 / 0.65, 0.8 / 0.65]
        func run(_ alpha: Double) throws -> [Double] {
            var state = GradNormState(settings: GradNormSettings(alpha: alpha, weightLearningRate: eta), taskCount: 2)
            _ = try state.update(losses: [1, 1], sharedGradientNorms: norms)
            for _ in 0..<40_000 { _ = try state.update(losses: [0.5, 0.8], sharedGradientNorms: norms) }
            XCTAssertEqual(state.weights.reduce(0, +), 2, accuracy: 1e-12)
            return state.weights
        }
        let raw = (0..<2).map { ratios[$0] / norms[$0] }
        let linear = try run(1)
        for i in 0..<2 { XCTAssertEqual(linear[i], 2 * raw[i] / raw.reduce(0, +), accuracy: 10 * eta * norms.max()!) }
        let p1 = pow(ratios[0], 1.5), p2 = pow(ratios[1], 1.5)
        let w1 = 0.5 * p1 / (2 - p1 + 0.25 * p1)
        let meanG = (2 * w1 + 0.5 * (2 - w1)) / 2
        XCTAssertLessThan(0.5 * (2 - w1) - meanG * p2, 0, "e₂ < 0 at the sliding point")
        let sliding = try run(1.5)
        XCTAssertEqual(sliding[0], w1, accuracy: 10 * eta * norms.max()!)
        XCTAssertEqual(sliding[1], 2 - w1, accuracy: 10 * eta * norms.max()!)
        XCTAssertThrowsError(try GradNormSettings(alpha: 0).validate(taskCount: 2))
        XCTAssertThrowsError(try GradNormSettings(alpha: .nan).validate(taskCount: 2))
        XCTAssertThrowsError(try GradNormSettings(weightLearningRate: -1).validate(taskCount: 2))
    }

    /// GradNorm through the Trainer on `f₁ = ½‖θ − a‖²`, `f₂ = 2 · ½‖θ − b‖²` with θ ∈ R²: the
    /// shared-weight norms are the full gradient norms `‖θ − a‖`, `2‖θ − b‖`; the first step's
    /// weights are 1 and the second's are the update computed here from the first step's values.
    func testGradNormInTheTrainerUsesTheLastSharedLayer() throws {
        let (train, _) = try SyntheticDigits.splits(train: 4, test: 2)
        let a = [1.0, 0.0], b = [0.0, 1.0]
        let model = AnalyticModel(count: 2)
        let configuration = TrainingConfiguration(
            method: .gradNorm(GradNormSettings(alpha: 1.5, weightLearningRate: 0.1)), optimizer: .sgd(momentum: 0), learningRate: 0.1,
            epochs: 2, batchSize: 4, seed: 1)
        var steps: [TrainingStep<Double>] = []
        let objective = ClosureObjective<Double>(parameterCount: 2, objectiveCount: 2) { x in
            let d1 = try x - x.tape.constant(Tensor(vector: a)), d2 = try x - x.tape.constant(Tensor(vector: b))
            return try concatenate([sum(square(d1)) * 0.5, sum(square(d2))])
        }
        let trainer = try Trainer<AnalyticModel, ClosureObjective<Double>>(model: model, configuration: configuration) { _ in objective }
        XCTAssertThrowsError(try trainer.train(on: train, testingOn: nil, from: [3, 4]), "AnalyticModel has no representation hook")
        // The hook: a model naming its last shared weight.
        let hooked = HookedAnalyticModel()
        let hookedTrainer = try Trainer<HookedAnalyticModel, ClosureObjective<Double>>(model: hooked, configuration: configuration) { _ in objective }
        _ = try hookedTrainer.train(on: train, testingOn: nil, from: [3, 4], onStep: { steps.append($0) })
        XCTAssertEqual(steps[0].weights, [1, 1])
        let x0 = [3.0, 4.0]
        let f0 = [0.5 * (4.0 + 16), 9.0 + 9]
        let g0 = [(4.0 + 16).squareRoot(), 2 * (9.0 + 9).squareRoot()]
        var reference = GradNormState(settings: GradNormSettings(alpha: 1.5, weightLearningRate: 0.1), taskCount: 2)
        _ = try reference.update(losses: f0, sharedGradientNorms: g0)
        XCTAssertEqual(steps[0].losses, f0)
        for i in 0..<2 { XCTAssertEqual(steps[1].weights[i], reference.weights[i], accuracy: 1e-12) }
        // The step direction is Σ wᵢ ∇fᵢ = (θ − a) + 2 (θ − b) · 1 at the first step.
        XCTAssertEqual(steps[0].direction, [x0[0] - a[0] + 2 * (x0[0] - b[0]), x0[1] - a[1] + 2 * (x0[1] - b[1])])
    }

    /// Uncertainty weighting on `f₁ = ½(θ − 1)² + ½`, `f₂ = ½(θ + 1)² + ¼`: the fixed point of
    /// `Σ exp(−sᵢ) fᵢ + sᵢ` has `sᵢ = log fᵢ(θ*)` and `Σ fᵢ′/fᵢ = 0`, solved here by bisection.
    func testUncertaintyConvergesToLogLosses() throws {
        let (train, _) = try SyntheticDigits.splits(train: 2, test: 2)
        let configuration = TrainingConfiguration(
            method: .uncertainty(UncertaintySettings()), optimizer: .sgd(momentum: 0), learningRate: 0.05, epochs: 4000, batchSize: 2,
            seed: 1, evaluatesEveryEpoch: false)
        let objective = ClosureObjective<Double>(parameterCount: 1, objectiveCount: 2) { x in
            try concatenate([square(x - 1.0) * 0.5 + 0.5, square(x + 1.0) * 0.5 + 0.25])
        }
        var last: TrainingStep<Double>?
        let trainer = try Trainer<AnalyticModel, ClosureObjective<Double>>(model: AnalyticModel(count: 1), configuration: configuration) { _ in objective }
        let result = try trainer.train(on: train, testingOn: nil, from: [2], onStep: { last = $0 })
        func f(_ t: Double) -> [Double] { [0.5 * (t - 1) * (t - 1) + 0.5, 0.5 * (t + 1) * (t + 1) + 0.25] }
        let theta = bisect(-1, 1) { t in (t - 1) / f(t)[0] + (t + 1) / f(t)[1] }
        XCTAssertEqual(result.parameters[0], theta, accuracy: 1e-6)
        let weights = last!.weights
        for i in 0..<2 { XCTAssertEqual(-log(weights[i]), log(f(theta)[i]), accuracy: 1e-5) }
        XCTAssertThrowsError(try UncertaintySettings(initialLogVariances: [0]).validate(taskCount: 2))
    }

    /// Pareto MTL on `F₁ = ½‖θ − a‖²`, `F₂ = ½‖θ − b‖²` (a = (1, 0), b = (0, 1)), from a start
    /// whose objective vector lies outside the sector: each subproblem ends Pareto stationary
    /// (on the segment ab) with `F` in its sector, between the bisectors of neighbouring
    /// preference angles `(k ± ½) π/8`.
    func testParetoMTLEndsOnTheFrontInsideItsSector() throws {
        let a = [1.0, 0.0], b = [0.0, 1.0]
        for k in 0..<5 {
            var state = ParetoMTLState(settings: ParetoMTLSettings(preferenceIndex: k))
            var theta = [k < 2 ? 2.0 : -0.5, k < 2 ? -0.5 : 2.0]
            for _ in 0..<6000 {
                let losses = [0.5 * ((theta[0] - a[0]) * (theta[0] - a[0]) + (theta[1] - a[1]) * (theta[1] - a[1])),
                              0.5 * ((theta[0] - b[0]) * (theta[0] - b[0]) + (theta[1] - b[1]) * (theta[1] - b[1]))]
                let gradients = [[theta[0] - a[0], theta[1] - a[1]], [theta[0] - b[0], theta[1] - b[1]]]
                let c = try state.update(losses: losses, gradients: gradients)
                for i in 0..<2 { theta[i] -= 0.01 * (c[0] * gradients[0][i] + c[1] * gradients[1][i]) }
            }
            XCTAssertTrue(state.isConstrainedPhase)
            XCTAssertEqual(theta[0] + theta[1], 1, accuracy: 1e-3, "subproblem \(k): off the segment, θ = \(theta)")
            XCTAssertTrue((-1e-6...1 + 1e-6).contains(theta[0]), "subproblem \(k): θ = \(theta)")
            let f = [0.5 * ((theta[0] - 1) * (theta[0] - 1) + theta[1] * theta[1]), 0.5 * (theta[0] * theta[0] + (theta[1] - 1) * (theta[1] - 1))]
            let angle = atan2(f[1], f[0])
            let width = Double.pi / 8
            XCTAssertGreaterThanOrEqual(angle, (Double(k) - 0.5) * width - 1e-3, "subproblem \(k)")
            XCTAssertLessThanOrEqual(angle, (Double(k) + 0.5) * width + 1e-3, "subproblem \(k)")
        }
        XCTAssertThrowsError(try ParetoMTLSettings(preferenceIndex: 5).validate(taskCount: 2))
        XCTAssertThrowsError(try ParetoMTLSettings(preferenceIndex: -1).validate(taskCount: 2))
        XCTAssertThrowsError(try ParetoMTLSettings(preferenceIndex: 0).validate(taskCount: 3))
        let u = ParetoMTLSettings.preferenceVectors(count: 5)
        XCTAssertEqual(u[2][0], cos(Double.pi / 4), accuracy: 1e-15)
        XCTAssertEqual(u[4][1], 1, accuracy: 1e-15)
    }
}

/// ``AnalyticModel`` with the representation hook: its "last shared weight" is all of θ.
struct HookedAnalyticModel: SharedRepresentationModel {
    var architecture: String { "Analytic" }
    var layout: ParameterLayout { ParameterLayout([("theta", [2])]) }
    var inputShape: [Int] { [1, 28, 28] }
    var taskCount: Int { 2 }
    var classCount: Int { 10 }
    var lastSharedWeightName: String { "theta" }
    var representationWidth: Int { 2 }
    func logits<S>(parameters: Variable<S>, images: Variable<S>) throws -> [Variable<S>] {
        throw ModelError.unknownParameter("no network")
    }
    func representation<S>(parameters: Variable<S>, images: Variable<S>) throws -> Variable<S> {
        throw ModelError.unknownParameter("no network")
    }
    func heads<S>(parameters: Variable<S>, representation: Variable<S>) throws -> [Variable<S>] {
        throw ModelError.unknownParameter("no network")
    }
}
