import Autodiff
import Datasets
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import Training
import XCTest

/// LDC-MTL's update against finite differences of its objective written out here, its fixed
/// point on two quadratics, and MGDA-UB's weights against hand-computed representation gradients.
final class LDCAndMGDAUBTests: XCTestCase {
    /// `Φ = Σ σᵢ l̃ᵢ + λ Σ √((τᵢl̃ᵢ − τᵢ₊₁l̃ᵢ₊₁)² + γ)`, `σ = softmax(A z + b)`, from the formulas.
    private func phi(_ settings: LDCSettings, weight: [Double], bias: [Double], feature: [Double], losses: [Double], initial: [Double]?) -> Double {
        let k = losses.count, d = feature.count
        let logits = (0..<k).map { i in bias[i] + (0..<d).reduce(0) { $0 + weight[i * d + $1] * feature[$1] } }
        let top = logits.max()!
        let e = logits.map { exp($0 - top) }
        let sigma = e.map { $0 / e.reduce(0, +) }
        let shifted = zip(losses, settings.lossOffsets ?? [Double](repeating: 0, count: k)).map { $0 - $1 }
        let l: [Double]
        switch settings.normalization {
        case .none: l = shifted
        case .rescale: l = zip(shifted, initial!).map { $0 / $1 }
        case .log: l = zip(shifted, initial!).map { log($0 / $1) }
        }
        let tau = settings.upperWeights == .router ? sigma : [Double](repeating: 1, count: k)
        var value = zip(sigma, l).reduce(0) { $0 + $1.0 * $1.1 }
        for p in 0..<(k - 1) {
            let gap = tau[p] * l[p] - tau[p + 1] * l[p + 1]
            value += settings.penalty * (gap * gap + settings.smoothing).squareRoot()
        }
        return value
    }

    /// The model weights `cᵢ` equal `∂Φ/∂Lᵢ` and a plain-SGD router step equals `−η ∇_W Φ`
    /// (central differences, 3 tasks, a 2-wide feature), for every normalisation and both `τ`.
    func testUpdateIsTheGradientOfThePenalisedObjective() throws {
        let feature = [0.7, -1.3]
        for normalization in LDCSettings.Normalization.allCases {
            for tau in LDCSettings.UpperWeights.allCases {
                let settings = LDCSettings(penalty: 0.3, upperWeights: tau, normalization: normalization, smoothing: 0.01, lossOffsets: [-0.5, 0, 0.1])
                var state = LDCState(settings: settings, taskCount: 3, featureWidth: 2, optimizer: .sgd(momentum: 0))
                _ = try state.update(losses: [2.0, 1.5, 0.9], feature: [0.2, 0.4], learningRate: 0.5)
                let losses = [1.2, 1.9, 0.6]
                let (weight, bias, initial) = (state.routerWeight, state.routerBias, state.initialLosses)
                let eta = 0.1
                let c = try state.update(losses: losses, feature: feature, learningRate: eta)
                let h = 1e-6
                for i in 0..<3 {
                    var plus = losses, minus = losses
                    plus[i] += h
                    minus[i] -= h
                    let derivative = (phi(settings, weight: weight, bias: bias, feature: feature, losses: plus, initial: initial)
                        - phi(settings, weight: weight, bias: bias, feature: feature, losses: minus, initial: initial)) / (2 * h)
                    XCTAssertEqual(c[i], derivative, accuracy: 1e-7, "c\(i), \(normalization), \(tau)")
                }
                let parameters = weight + bias
                let moved = state.routerWeight + state.routerBias
                for j in 0..<parameters.count {
                    var plus = parameters, minus = parameters
                    plus[j] += h
                    minus[j] -= h
                    func value(_ p: [Double]) -> Double {
                        phi(settings, weight: Array(p[0..<6]), bias: Array(p[6...]), feature: feature, losses: losses, initial: initial)
                    }
                    let derivative = (value(plus) - value(minus)) / (2 * h)
                    XCTAssertEqual((parameters[j] - moved[j]) / eta, derivative, accuracy: 1e-7, "router \(j), \(normalization), \(tau)")
                }
            }
        }
        XCTAssertThrowsError(try LDCSettings(penalty: 0).validate(taskCount: 2))
        XCTAssertThrowsError(try LDCSettings(smoothing: -1).validate(taskCount: 2))
        XCTAssertThrowsError(try LDCSettings(lossOffsets: [0]).validate(taskCount: 2))
        var state = LDCState(settings: LDCSettings(normalization: .log), taskCount: 2, featureWidth: 0, optimizer: .adamDefault)
        XCTAssertThrowsError(try state.update(losses: [-1, 1], feature: [], learningRate: 1e-3), "log of a negative loss")
        XCTAssertThrowsError(try state.update(losses: [.nan, 1], feature: [], learningRate: 1e-3))
    }

    /// Fixed point on `l₁ = ½(θ − 1)² + 1`, `l₂ = (θ + 1)² + ½` (τ = σ, λ = 1, γ = 0.01, a bias-only
    /// router, plain gradient steps): with `s = σ₁`, `φ = d/√(d² + γ)`, `d = s l₁ − (1 − s) l₂`,
    /// the router is stationary when `(l₁ − l₂) + λ φ (l₁ + l₂) = 0` and the model when
    /// `s (1 + λφ) l₁′ + (1 − s)(1 − λφ) l₂′ = 0`. Both solved here by nested bisection.
    func testFixedPointOnTwoQuadratics() throws {
        let lambda = 1.0, gamma = 0.01
        func losses(_ t: Double) -> [Double] { [0.5 * (t - 1) * (t - 1) + 1, (t + 1) * (t + 1) + 0.5] }
        func slopes(_ t: Double) -> [Double] { [t - 1, 2 * (t + 1)] }
        func phiOf(_ s: Double, _ l: [Double]) -> Double {
            let d = s * l[0] - (1 - s) * l[1]
            return d / (d * d + gamma).squareRoot()
        }
        func routerShare(_ t: Double) -> Double {
            let l = losses(t)
            return bisect(1e-12, 1 - 1e-12) { s in (l[0] - l[1]) + lambda * phiOf(s, l) * (l[0] + l[1]) }
        }
        let theta = bisect(-1, 1) { t in
            let (l, g, s) = (losses(t), slopes(t), routerShare(t))
            let p = phiOf(s, l)
            return s * (1 + lambda * p) * g[0] + (1 - s) * (1 - lambda * p) * g[1]
        }
        var state = LDCState(settings: LDCSettings(penalty: lambda, smoothing: gamma), taskCount: 2, featureWidth: 0, optimizer: .sgd(momentum: 0))
        var t = 0.8
        for _ in 0..<40_000 {
            let c = try state.update(losses: losses(t), feature: [], learningRate: 0.01)
            t -= 0.01 * (c[0] * slopes(t)[0] + c[1] * slopes(t)[1])
        }
        XCTAssertEqual(t, theta, accuracy: 1e-6)
        XCTAssertEqual(state.lastRouterWeights[0], routerShare(theta), accuracy: 1e-6)
    }

    /// MGDA-UB's weights are the min-norm weights of `∇_Z fᵢ = (1/N)(softmax(Z Gᵢᵀ + gᵢ) − onehot) Gᵢ`
    /// computed here from the head parameters, and the representation/heads split reproduces the
    /// model's logits.
    func testMGDAUpperBoundUsesRepresentationGradients() throws {
        let (train, _) = try SyntheticDigits.splits(train: 8, test: 2, side: 14)
        let model = MiniLeNet()
        let configuration = TrainingConfiguration(method: .mgdaUpperBound, epochs: 1, batchSize: 8, seed: 3)
        let trainer = try Trainer<MiniLeNet, MultiTaskLoss<MiniLeNet, Double>>(model: model, configuration: configuration)
        var step: TrainingStep<Double>?
        _ = try trainer.train(on: train, testingOn: nil, onStep: { step = $0 })
        let x = step!.parameters
        let batch = try XCTUnwrap(try train.batches(size: 8, seed: 3, epoch: 0, as: Double.self).first { _ in true })
        let tape = Tape<Double>()
        let p = tape.constant(Tensor(vector: x))
        let images = tape.constant(batch.images)
        let z = try model.representation(parameters: p, images: images).value
        let split = try model.heads(parameters: p, representation: tape.constant(z)).map(\.value.scalars)
        let direct = try model.logits(parameters: p, images: images).map(\.value.scalars)
        XCTAssertEqual(split, direct)
        let layout = MiniLeNet.parameterLayout
        let n = 8, width = 20
        var gradients: [[Double]] = []
        for (task, head) in ["fc3_1", "fc3_2"].enumerated() {
            let w = try layout.entry("\(head).weight"), b = try layout.entry("\(head).bias")
            var gradient = [Double](repeating: 0, count: n * width)
            for row in 0..<n {
                let logits = (0..<10).map { c in x[b.offset + c] + (0..<width).reduce(0) { $0 + x[w.offset + c * width + $1] * z.scalars[row * width + $1] } }
                let top = logits.max()!
                let e = logits.map { exp($0 - top) }
                var residual = e.map { $0 / e.reduce(0, +) / Double(n) }
                residual[batch.labels[task][row]] -= 1 / Double(n)
                for j in 0..<width { gradient[row * width + j] = (0..<10).reduce(0) { $0 + residual[$1] * x[w.offset + $1 * width + j] } }
            }
            gradients.append(gradient)
        }
        let expected = try MinNormWeights.solve(gradients: gradients).weights
        for i in 0..<2 { XCTAssertEqual(step!.weights[i], expected[i], accuracy: 1e-9) }
        XCTAssertThrowsError(
            try Trainer<AnalyticModel, ClosureObjective<Double>>(model: AnalyticModel(count: 1), configuration: configuration) { _ in
                ClosureObjective(parameterCount: 1, objectiveCount: 2) { x in try concatenate([x, x]) }
            }.train(on: train, testingOn: nil), "MGDA-UB needs the representation hook")
    }

    /// MultiLeNet's hook: the heads applied to its representation reproduce its logits, `Z` is
    /// `[N, 50]` and non-negative (after ReLU), and the last shared weight `fc1.weight [50, 320]`
    /// starts after conv1 (250 + 10) and conv2 (5000 + 20): indices 5280 ..< 21280.
    func testMultiLeNetRepresentationHook() throws {
        let (train, _) = try SyntheticDigits.splits(train: 4, test: 2)
        let model = MultiLeNet()
        let x: [Double] = ParameterInitialization.pytorchDefault(layout: model.layout, seed: 9)
        let batch = try XCTUnwrap(try train.batches(size: 4, seed: 1, epoch: 0, as: Double.self).first { _ in true })
        let tape = Tape<Double>()
        let p = tape.constant(Tensor(vector: x))
        let z = try model.representation(parameters: p, images: tape.constant(batch.images)).value
        XCTAssertEqual(z.shape, [4, 50])
        XCTAssertTrue(z.scalars.allSatisfy { $0 >= 0 })
        let split = try model.heads(parameters: p, representation: tape.constant(z)).map(\.value.scalars)
        XCTAssertEqual(split, try model.logits(parameters: p, images: tape.constant(batch.images)).map(\.value.scalars))
        XCTAssertEqual(try model.lastSharedWeightRange(), 5280 ..< 21280)
        XCTAssertEqual(try MiniLeNet().lastSharedWeightRange(), 260 ..< 1060)
    }
}
