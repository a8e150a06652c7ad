import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training

/// One member `θ(λ)` of a PaLoRA family, evaluated.
public struct PaLoRAFamilyPoint: Sendable, Equatable, Codable {
    /// `λ`.
    public var preference: [Double]
    /// Metrics on the training split (if given).
    public var train: EvaluationResult?
    /// Metrics on the test split.
    public var test: EvaluationResult
}

/// The evaluation of a PaLoRA family (issue 11 item 6; PaLoRA §5, §6.2, App. D).
public struct PaLoRAFamilyEvaluation: Sendable, Equatable, Codable {
    /// The preferences `(λ, 1 − λ)`, `λ = 0, 0.1, …, 1`, in that order.
    public var points: [PaLoRAFamilyPoint]
    /// The pseudo-preferences `(0,0)`, `(1,−1)`, `(−1,1)`, `(−1,−1)` of §6.2.
    public var pseudoPreferences: [PaLoRAFamilyPoint]
    /// Reference point of the loss hypervolume (minimised).
    public var lossReference: [Double]
    /// Hypervolume of the points' test losses w.r.t. ``lossReference``.
    public var lossHypervolume: Double
    /// Hypervolume of the test accuracies w.r.t. `(0, 0)`, maximised (the area they dominate).
    public var accuracyHypervolume: Double
    /// Number of points whose test losses no other point dominates (the paper's validity: 11/11).
    public var nonDominatedByLoss: Int
    /// The same on test accuracy (maximised).
    public var nonDominatedByAccuracy: Int
    /// Spearman rank correlation between `λ₁` and each task's test loss.
    public var spearmanLoss: [Double]
}

/// Evaluation of the continuous map `λ ↦ θ(λ)`.
public enum PaLoRAFamily {
    /// `count` preferences `(λ, 1 − λ)` with `λ = linspace(0, 1, count)`, exact endpoints.
    public static func preferences(count: Int = 11) -> [[Double]] {
        (0..<count).map { i in
            let lambda = count == 1 ? 0.5 : Double(i) / Double(count - 1)
            return [lambda, 1 - lambda]
        }
    }

    /// The pseudo-preferences of PaLoRA §6.2 (outside the simplex).
    public static let pseudoPreferences: [[Double]] = [[0, 0], [1, -1], [-1, 1], [-1, -1]]

    /// Evaluates `θ(λ)` for the 11 preferences and the pseudo-preferences on `test` (and
    /// `train` if given) with Training's ``Evaluation``, in `S`.
    /// - Parameter lossReference: the loss hypervolume's reference, `(1, 1)` by default
    ///   (DESIGN.md "PaLoRA reference settings").
    /// - Throws: ``PaLoRAError`` for bad shapes, ``TrainingError`` or MultiObjective errors.
    public static func evaluate<S: BLASScalar>(
        adapters: PaLoRAAdapters, parameters: PaLoRAParameters<S>, test: MultiDigitDataset, train: MultiDigitDataset? = nil,
        lossReference: [Double] = [1, 1], batchSize: Int = 500
    ) throws -> PaLoRAFamilyEvaluation {
        guard adapters.configuration.taskCount == 2 else {
            throw PaLoRAError.invalidConfiguration("the family evaluation is defined for 2 tasks")
        }
        func point(_ preference: [Double]) throws -> PaLoRAFamilyPoint {
            let theta = try adapters.materialize(base: parameters.base, adapters: parameters.adapters, preference: preference)
            let model = MultiLeNet()
            return PaLoRAFamilyPoint(
                preference: preference,
                train: try train.map { try Evaluation.evaluate(model: model, parameters: theta, on: $0, batchSize: batchSize) },
                test: try Evaluation.evaluate(model: model, parameters: theta, on: test, batchSize: batchSize))
        }
        let points = try preferences().map(point)
        let pseudo = try pseudoPreferences.map(point)
        let losses = points.map(\.test.loss)
        let negatedAccuracies = points.map { $0.test.accuracy.map { -$0 } }
        return PaLoRAFamilyEvaluation(
            points: points, pseudoPreferences: pseudo, lossReference: lossReference,
            lossHypervolume: try Hypervolume.compute(losses, reference: lossReference),
            accuracyHypervolume: try Hypervolume.compute(negatedAccuracies, reference: [0, 0]),
            nonDominatedByLoss: try nonDominatedIndices(losses).count,
            nonDominatedByAccuracy: try nonDominatedIndices(negatedAccuracies).count,
            spearmanLoss: (0..<2).map { task in spearman(points.map { $0.preference[0] }, losses.map { $0[task] }) })
    }

    /// Spearman's rank correlation: the Pearson correlation of the ranks, ties given their
    /// average rank; `nan` when either ranking is constant.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "spearman: samples of different sizes")
        let (rx, ry) = (ranks(x), ranks(y))
        let n = Double(x.count)
        let (mx, my) = (rx.reduce(0, +) / n, ry.reduce(0, +) / n)
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for (a, b) in zip(rx, ry) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Ranks from 1, ties averaged.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }
}
