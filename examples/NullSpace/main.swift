// Null-space analysis of the small network of Ma et al. (2020, §6.2.2 and §6.4, Prop. 5.1):
// MiniLeNet (1,500 parameters) on 2,048 MultiMNIST composites at 14×14. Trains it to the
// Pareto front (equal-weight gradient descent, then MGDA), forms the dense weighted Hessian
// H(α*) from 1,500 Hessian-vector products, prints its spectrum and null-space dimension, and
// compares expansions along a tangent v, v + u (u a null vector) and v + r (r random).
// Then computes the empirical front of §6.2.2 on the same data from the same x₀: the weighted
// sums w₁ f₁ + (1 − w₁) f₂, w₁ = 0, 0.01, …, 1, each minimised with L-BFGS (gradient
// tolerance ‖∇‖∞ ≤ 1e-5, SciPy's defaults), from x₀ for every weight (cold, the paper's
// protocol) and/or from the previous weight's solution (warm); prints its convergence, its
// hypervolume w.r.t. f(x₀), and the distance to it of x*, of f(x* + s v), and of a short
// Pareto expansion (Algorithm 1, both ways) seeded at the w₁ = 0.5 solution.
//
//     swift run -c release null-space-example [composites] [training-steps] [weights] [max-iterations]
//         [--cold-start | --warm-start] [--cold-weights=N] [--front-only]
//
// weights: number of weighted sums (default 101; 0 skips the front); max-iterations: L-BFGS
// iterations per weight (default 15000, SciPy's); --cold-start / --warm-start: only that
// start (default: both); --cold-weights=N: the cold front uses N weights of the same grid
// form (default: weights; cold starts cost a full solve each); --front-only: skip the
// null-space study (and its comparisons).
import Foundation
import ParetoKit

let arguments = CommandLine.arguments.dropFirst()
let flags = arguments.filter { $0.hasPrefix("--") }
let positional = Array(arguments.filter { !$0.hasPrefix("--") })
let knownFlags: Set<String> = ["--cold-start", "--warm-start", "--front-only"]
let coldWeightsFlag = flags.first { $0.hasPrefix("--cold-weights=") }
if let unknown = flags.first(where: { !knownFlags.contains($0) && $0 != coldWeightsFlag })
    ?? coldWeightsFlag.flatMap({ Int($0.dropFirst("--cold-weights=".count)) == nil ? $0 : nil }) {
    print("unknown flag \(unknown); usage: null-space-example [composites] [training-steps] [weights] [max-iterations] [--cold-start | --warm-start] [--cold-weights=N] [--front-only]")
    exit(2)
}
let count = positional.first.flatMap { Int($0) } ?? 2048
let trainingSteps = positional.dropFirst().first.flatMap { Int($0) } ?? 1500
let weightCount = positional.dropFirst(2).first.flatMap { Int($0) } ?? 101
let maxIterations = positional.dropFirst(3).first.flatMap { Int($0) } ?? 15_000
let frontOnly = flags.contains("--front-only")
let coldWeightCount = coldWeightsFlag.flatMap { Int($0.dropFirst("--cold-weights=".count)) } ?? weightCount
let startModes: [Bool] = flags.contains("--warm-start") ? [true] : flags.contains("--cold-start") ? [false] : [false, true]

let programStart = Date()
let selection: DataSelection
do {
    selection = try DataLocator().select(.mnist)
} catch {
    print("no MNIST digits on this machine (\(error)); see docs/training.md")
    exit(1)
}
let data = try selection.multiDigitSplits(trainCount: count, testCount: 0, seed: 1, side: 14).train
let model = MiniLeNet()
var generator = SeededGenerator(seed: 1)
let x0: [Double] = model.initialParameters(using: &generator)
print("MiniLeNet: \(model.layout.parameterCount) parameters; \(data.count) composites at 14×14 (\(selection.trainSource))")

/// The null-space study and its printout (the example's original output).
func nullSpaceStudy() throws -> NetworkNullSpaceStudy {
    let clock = Date()
    let study = try NetworkNullSpaceStudy(
        model: model, data: data, from: x0,
        training: ParetoOptimizeOptions(method: .weightedSum([0.5, 0.5]), stepSize: 1, maxIterations: trainingSteps, stationarityTolerance: 0),
        polishing: ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 200, stationarityTolerance: 0, relativeStationarityTolerance: 1e-3),
        relativeTolerance: 1e-7)
    let eigenvalues = study.analysis.eigenvalues
    let (negative, zero, positive) = study.inertia
    print(String(format: "x*: f = (%.4f, %.4f), α* = (%.3f, %.3f), relative stationarity %.2e after %d ParetoOptimize steps",
                 study.point.objectives[0], study.point.objectives[1], study.point.weights[0], study.point.weights[1],
                 study.point.relativeStationarity, study.optimizeIterations))
    print(String(format: "H(α*) spectrum: λ_min %.3e, λ_max %.3e; asymmetry of the HVP columns %.1e", eigenvalues.first!, eigenvalues.last!,
                 study.analysis.asymmetry))
    print("inertia (|λ| ≤ \(study.analysis.relativeTolerance)·max|λ| counts as zero): \(negative) negative, \(zero) zero, \(positive) positive")
    for tolerance in [1e-10, 1e-8, 1e-6, 1e-4] {
        let scale = eigenvalues.map(abs).max()!
        print(String(format: "  |λ| ≤ %.0e·max|λ|: %d", tolerance, eigenvalues.filter { abs($0) <= tolerance * scale }.count))
    }
    print("null-space dimension: \(study.analysis.nullity)")
    if study.nullVector != nil {
        print(String(format: "null vector u: ∇f·u = (%.2e, %.2e), uᵀHu = %.2e", study.nullVectorSlope[0], study.nullVectorSlope[1], study.nullVectorCurvature))
    }
    print("\nexpansion from x* (f1, f2) along v, v + u, v + r:")
    print("   s      v                     v + u                 v + r")
    for (k, s) in study.steps.enumerated() {
        let row = [study.alongTangent[k], study.alongTangentPlusNull[k], study.alongTangentPlusRandom[k]]
            .map { String(format: "(%.4f, %.4f)", $0[0], $0[1]) }.joined(separator: "  ")
        print(String(format: "%5.2f  ", s) + row)
    }
    print(String(format: "\ntime: %.1f s", Date().timeIntervalSince(clock)))
    return study
}

let study: NetworkNullSpaceStudy? = frontOnly ? nil : try nullSpaceStudy()


// The empirical front (§6.2.2): weighted sums solved to convergence with L-BFGS.
guard weightCount >= 2 else { exit(0) }
let batch: MultiDigitBatch<Double> = try data.batch(0..<data.count, as: Double.self)
let loss = try MiniLeNetLoss<Double>(images: batch.images, labels: batch.labels)
let reference = try loss.values(at: x0)
let lbfgs = LBFGSOptions(gradientTolerance: 1e-5, maxIterations: maxIterations, maxEvaluations: maxIterations + maxIterations / 4)
print(String(format: "\nempirical front: weighted sums w1 f1 + (1 − w1) f2, w1 on a uniform grid of [0, 1], L-BFGS (m = %d, ‖∇‖∞ ≤ %.0e, ftol %.1e, ≤ %d iterations)",
             lbfgs.memory, lbfgs.gradientTolerance, lbfgs.functionTolerance, maxIterations))
print(String(format: "hypervolume reference: f(x0) = (%.4f, %.4f)", reference[0], reference[1]))

func describe(_ front: WeightedSumFront, seconds: Double) throws {
    let solutions = front.solutions
    let iterations = solutions.map(\.iterations).sorted()
    var reasons: [String: Int] = [:]
    for solution in solutions { reasons[solution.stopReason.rawValue, default: 0] += 1 }
    print("  stop reasons: " + reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    print(String(format: "  reached ‖∇‖∞ ≤ %.0e: %d of %d; iterations min %d, median %d, max %d; evaluations %d; %.1f s",
                 lbfgs.gradientTolerance, front.gradientConvergedCount, solutions.count, iterations.first!, iterations[iterations.count / 2],
                 iterations.last!, solutions.reduce(0) { $0 + $1.evaluations }, seconds))
    let stationarity = solutions.map(\.relativeStationarity).sorted()
    print(String(format: "  relative stationarity ‖Σ wᵢ∇fᵢ‖/maxᵢ‖∇fᵢ‖: median %.2e, max %.2e", stationarity[stationarity.count / 2], stationarity.last!))
    print(String(format: "  non-dominated: %d of %d; hypervolume %.6f", front.nonDominated.count, solutions.count,
                 try front.hypervolume(reference: reference)))
}

var fronts: [(name: String, front: WeightedSumFront)] = []
for warm in startModes {
    let weights = warm ? weightCount : coldWeightCount
    let name = warm ? "warm start (each weight from the previous solution)" : "cold start (every weight from x0)"
    print("\n\(name), \(weights) weights:")
    let started = Date()
    let options = try WeightedSumFrontOptions(weightCount: weights, warmStart: warm, lbfgs: lbfgs, keepsParameters: true)
    let front = try WeightedSumFront.solve(loss, from: x0, options: options) { index, solution in
        guard index % max(1, (weights - 1) / 10) == 0 || index == weights - 1 else { return }
        print(String(format: "  w1 = %.2f: f = (%.4f, %.4f), ‖∇‖∞ %.1e, rel. stationarity %.1e, %5d iterations, %5d evaluations, %@",
                     solution.weights[0], solution.objectives[0], solution.objectives[1], solution.gradientNorm,
                     solution.relativeStationarity, solution.iterations, solution.evaluations, solution.stopReason.rawValue))
        fflush(nil)
    }
    try describe(front, seconds: Date().timeIntervalSince(started))
    fronts.append((warm ? "warm" : "cold", front))
}
if fronts.count == 2 {
    let together = fronts[0].front.front + fronts[1].front.front
    let kept = try nonDominatedIndices(together)
    print(String(format: "union of both fronts: hypervolume %.6f; %d of its %d non-dominated points from the cold front",
                 try Hypervolume.compute(together, reference: reference), kept.filter { $0 < fronts[0].front.front.count }.count, kept.count))
    let comparison = try FrontComparison(points: fronts[1].front.front, front: fronts[0].front.front)
    print(String(format: "warm front vs cold front: GD %.4f, GD+ %.4f, IGD %.4f", comparison.generationalDistance,
                 comparison.generationalDistancePlus, comparison.invertedGenerationalDistance))
}

// Expansion points against the empirical front with the most weights (the densest).
let (frontName, empirical) = fronts.max { $0.front.solutions.count < $1.front.solutions.count }!
func report(_ label: String, _ points: [[Double]]) throws {
    let comparison = try FrontComparison(points: points, front: empirical.front)
    print(String(format: "%@ vs the %@ front: GD %.4f, GD+ %.4f, IGD %.4f; dominated by the front: %d of %d; dominating some front point: %d",
                 label, frontName, comparison.generationalDistance, comparison.generationalDistancePlus,
                 comparison.invertedGenerationalDistance, comparison.isDominatedByFront.filter { $0 }.count, points.count,
                 comparison.dominatedFrontPoints.filter { $0 > 0 }.count))
    for (k, point) in points.enumerated() {
        print(String(format: "    (%.4f, %.4f): distance to the front curve %.4f, to the nearest front point %.4f%@", point[0], point[1],
                     comparison.curveDistances![k], comparison.nearestPointDistances[k],
                     comparison.isDominatedByFront[k] ? ", dominated by the front"
                        : comparison.dominatedFrontPoints[k] > 0 ? ", dominates \(comparison.dominatedFrontPoints[k]) front points" : ""))
    }
}
print("")
if let study {
    try report("x* and f(x* + s v)", study.alongTangent)
}
// A short Pareto expansion (Algorithm 1, both ways, reference network settings) seeded at the
// w1 = 0.5 solution, which is Pareto-stationary up to the L-BFGS tolerance.
let middle = empirical.solutions[empirical.solutions.count / 2]
let objective = try ParetoObjective(loss)
var expansion = ExpansionOptions()
expansion.points = 11
expansion.stepSize = 0.1
expansion.direction = DirectionOptions(method: .tangent, minresIterations: 50, minresTolerance: 1e-5, damping: 0.1)
expansion.optimize = ParetoOptimizeOptions(method: .mgda, stepSize: 0.5, maxIterations: 20, stationarityTolerance: 1e-5)
let started = Date()
let (seedState, _) = try ParetoExpansion.start(objective, from: middle.parameters!, options: expansion)
let state = try ParetoExpansion.run(objective, state: seedState, options: expansion)
print(String(format: "Pareto expansion from the w1 = %.2f solution (%d points, s = 0.1, MINRES k = 50, damping 0.1, ≤ 20 MGDA steps; %d candidates, %d rejected; %.1f s):",
             middle.weights[0], state.points.count, state.candidates, state.rejected, Date().timeIntervalSince(started)))
try report("expansion", state.points.map(\.objectives))
print(String(format: "\ntotal time: %.1f s", Date().timeIntervalSince(programStart)))
