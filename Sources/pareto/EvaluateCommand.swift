import ArgumentParser
import Foundation
import ParetoKit

/// `pareto evaluate`: objectives, Jacobian and (optionally) a weighted Hessian-vector product
/// of an analytic problem at a point.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate an analytic problem at a point: objectives, Jacobian, weighted HVP.",
        discussion: """
            Example: pareto evaluate --problem zdt2 --dimension 3 --at 0.5,0,0 --weights 0.5,0.5 --along 1,0,0 --json
            prints {"hvp": […], "jacobian": [[…], […]], "objectives": […]}.
            """)

    @Option(help: "Analytic problem: \(Problems.names.joined(separator: ", ")).")
    var problem: String

    @Option(help: "Number of variables n for the ZDT family (default: pymoo's).")
    var dimension: Int?

    @Option(help: "The point x1,…,xn.")
    var at: RealList

    @Option(help: "Weights α1,…,αm of the Hessian H(α) = Σ αᵢ ∇²fᵢ (with --along).")
    var weights: RealList?

    @Option(help: "Direction v1,…,vn of the Hessian-vector product H(α)·v (with --weights).")
    var along: RealList?

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Output: Encodable {
        let objectives: [Double]
        let jacobian: [[Double]]
        let hvp: [Double]?
    }

    func validate() throws {
        if (weights == nil) != (along == nil) {
            throw ValidationError("--weights and --along go together (H(α)·v needs both)")
        }
    }

    func run() throws {
        let objective = try Problems.named(problem, dimension: dimension)
        guard at.values.count == objective.parameterCount else {
            throw ValidationError("--at has \(at.values.count) values, \(objective.name) has \(objective.parameterCount) variables")
        }
        let (values, jacobian) = try objective.valuesAndJacobian(at: at.values)
        var product: [Double]? = nil
        if let weights, let along {
            guard weights.values.count == objective.objectiveCount else {
                throw ValidationError("--weights has \(weights.values.count) values, \(objective.name) has \(objective.objectiveCount) objectives")
            }
            guard along.values.count == objective.parameterCount else {
                throw ValidationError("--along has \(along.values.count) values, \(objective.name) has \(objective.parameterCount) variables")
            }
            product = try objective.hessianVectorProduct(at: at.values, along: along.values, weights: weights.values).product
        }
        if json {
            try printJSON(Output(objectives: values, jacobian: jacobian, hvp: product))
        } else {
            print("problem:    \(objective.name) (n = \(objective.parameterCount), m = \(objective.objectiveCount))")
            print("objectives: \(formatted(values, digits: 12))")
            for (i, row) in jacobian.enumerated() { print("∇f\(i + 1):        \(formatted(row, digits: 12))") }
            if let product { print("H(α)·v:     \(formatted(product, digits: 12))") }
            if let bounds = objective.bounds,
               let i = at.values.indices.first(where: { at.values[$0] < bounds.lower[$0] || at.values[$0] > bounds.upper[$0] }) {
                print("note: x\(i + 1) = \(at.values[i]) is outside the problem's box [\(bounds.lower[i]), \(bounds.upper[i])]")
            }
        }
    }
}
