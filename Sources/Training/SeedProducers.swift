import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective

/// The per-run state of the learned-weighting methods (GradNorm, uncertainty, MGDA-UB, Pareto
/// MTL, LDC-MTL) and the one call the ``Trainer`` makes per batch: the losses, the direction
/// `d = Σ cᵢ ∇fᵢ` and the weights `c`, after which the method's own variables (GradNorm's
/// weights, the log-variances, the router, the Pareto MTL phase) have moved on.
struct SeedProducerState<Scalar: BLASScalar> {
    private enum Kind {
        case gradNorm(GradNormState, sharedWeights: Range<Int>)
        case uncertainty(UncertaintyState)
        case mgdaUpperBound
        case paretoMTL(ParetoMTLState)
        case lossDiscrepancyControl(LDCState)
    }

    private var kind: Kind
    private let representationModel: (any SharedRepresentationModel)?

    /// The state of `configuration.method`, or `nil` for the stateless scalarizations.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` if the method needs the shared
    ///   representation and `model` is not a ``SharedRepresentationModel``.
    init?(configuration: TrainingConfiguration, model: some MultiTaskModel) throws {
        let shared = (model as Any) as? any SharedRepresentationModel
        representationModel = shared
        func requireShared() throws -> any SharedRepresentationModel {
            guard let shared else {
                throw TrainingError.invalidConfiguration(
                    "\(configuration.method.name) needs the shared representation, which \(model.architecture) does not expose (SharedRepresentationModel)")
            }
            return shared
        }
        switch configuration.method {
        case .linearScalarization, .mgda, .randomLossWeighting, .chebyshev: return nil
        case .gradNorm(let settings):
            let range = try requireShared().lastSharedWeightRange()
            kind = .gradNorm(GradNormState(settings: settings, taskCount: model.taskCount), sharedWeights: range)
        case .uncertainty(let settings):
            kind = .uncertainty(UncertaintyState(settings: settings, taskCount: model.taskCount, optimizer: configuration.optimizer))
        case .mgdaUpperBound:
            _ = try requireShared()
            kind = .mgdaUpperBound
        case .paretoMTL(let settings):
            kind = .paretoMTL(ParetoMTLState(settings: settings))
        case .lossDiscrepancyControl(let settings):
            kind = .lossDiscrepancyControl(
                LDCState(settings: settings, taskCount: model.taskCount, featureWidth: shared?.representationWidth ?? 0, optimizer: configuration.optimizer))
        }
    }

    /// One step's losses, direction and task weights on `objective` at `x` (batch `batch`),
    /// updating the method's variables with the step's `learningRate` where they learn.
    mutating func step<Objective: DifferentiableVectorFunction>(
        objective: Objective, at x: [Scalar], batch: MultiDigitBatch<Scalar>, learningRate: Double
    ) throws -> (values: [Scalar], direction: [Scalar], weights: [Double]) where Objective.Scalar == Scalar {
        switch kind {
        case .gradNorm(var state, let range):
            let (values, jacobian) = try objective.valuesAndJacobian(at: x)
            try Self.checkFinite(values)
            let norms = jacobian.map { row in row[range].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
            let weights = try state.update(losses: values.map { Double($0) }, sharedGradientNorms: norms)
            kind = .gradNorm(state, sharedWeights: range)
            return (values, Self.combine(jacobian, weights), weights)
        case .uncertainty(var state):
            let step = try Self.weightedStep(objective, x, state.weights)
            try Self.checkFinite(step.values)
            state.update(losses: step.values.map { Double($0) }, learningRate: learningRate)
            kind = .uncertainty(state)
            return step
        case .mgdaUpperBound:
            let gradients = try representationModel!.representationAndGradients(parameters: x, images: batch.images, labels: batch.labels).gradients
            let weights = try MinNormWeights.solve(gradients: gradients.map { $0.map { Double($0) } }).weights
            return try Self.weightedStep(objective, x, weights)
        case .paretoMTL(var state):
            let (values, jacobian) = try objective.valuesAndJacobian(at: x)
            try Self.checkFinite(values)
            let weights = try state.update(losses: values.map { Double($0) }, gradients: jacobian.map { $0.map { Double($0) } })
            kind = .paretoMTL(state)
            return (values, Self.combine(jacobian, weights), weights)
        case .lossDiscrepancyControl(var state):
            let values = try objective.values(at: x)
            try Self.checkFinite(values)
            let feature = try representationModel?.meanRepresentation(parameters: x, images: batch.images) ?? []
            let weights = try state.update(losses: values.map { Double($0) }, feature: feature, learningRate: learningRate)
            kind = .lossDiscrepancyControl(state)
            return try Self.weightedStep(objective, x, weights)
        }
    }

    /// The method's learned variables after the last step, for the record: GradNorm's `w`, the
    /// log-variances `s`, LDC-MTL's `σ`; `nil` for MGDA-UB and Pareto MTL.
    var learnedState: [Double]? {
        switch kind {
        case .gradNorm(let state, _): return state.weights
        case .uncertainty(let state): return state.logVariances
        case .lossDiscrepancyControl(let state): return state.lastRouterWeights
        case .mgdaUpperBound, .paretoMTL: return nil
        }
    }

    /// A non-finite loss stops the run before it reaches a method's state (the trainer reports
    /// ``AutodiffError/nonFinite(quantity:index:)`` as ``TrainingError/nonFiniteLoss(epoch:batch:detail:)``).
    private static func checkFinite(_ values: [Scalar]) throws {
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw AutodiffError.nonFinite(quantity: "loss of task \(bad + 1)", index: bad) }
    }

    private static func weightedStep<Objective: DifferentiableVectorFunction>(
        _ objective: Objective, _ x: [Scalar], _ weights: [Double]
    ) throws -> (values: [Scalar], direction: [Scalar], weights: [Double]) where Objective.Scalar == Scalar {
        let (values, direction) = try objective.valuesAndWeightedGradient(at: x, weights: weights.map { Scalar($0) })
        return (values, direction, weights)
    }

    private static func combine(_ jacobian: [[Scalar]], _ weights: [Double]) -> [Scalar] {
        var direction = [Scalar](repeating: 0, count: jacobian.first?.count ?? 0)
        for (row, weight) in zip(jacobian, weights) {
            let c = Scalar(weight)
            for i in 0..<row.count { direction[i] += c * row[i] }
        }
        return direction
    }
}
