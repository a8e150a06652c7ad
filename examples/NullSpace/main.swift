// Null-space analysis of the small network of Ma et al. (2020, §6.2.2 and §6.4, Prop. 5.1):
// MiniLeNet (1,500 parameters) on 2,048 MultiMNIST composites at 14×14. Trains it to the
// Pareto front (equal-weight gradient descent, then MGDA), forms the dense weighted Hessian
// H(α*) from 1,500 Hessian-vector products, prints its spectrum and null-space dimension, and
// compares expansions along a tangent v, v + u (u a null vector) and v + r (r random).
//
//     swift run -c release null-space-example [composites] [training-steps]
import Foundation
import ParetoKit

let arguments = CommandLine.arguments.dropFirst()
let count = arguments.first.flatMap { Int($0) } ?? 2048
let trainingSteps = arguments.dropFirst().first.flatMap { Int($0) } ?? 1500

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
