import Autodiff
import Foundation
import LinearAlgebra
import Models

/// The hook that seed producers working on the shared trunk need from a hard-parameter-sharing
/// model: the split `logits = heads(representation(images))` with the representation
/// `Z = [N, d]` the trunk's output, and the name of the last shared layer's weight (GradNorm's
/// `W`, Chen et al. 2018 §3.2).
///
/// Used by MGDA-UB (gradients with respect to `Z`, Sener & Koltun 2018 §3.3), by GradNorm
/// (`‖∇_W wᵢ fᵢ‖` on the weights of the layer that produces `Z`) and by LDC-MTL (the router
/// reads the batch mean of `Z`). ``MultiLeNet`` and ``MiniLeNet`` conform.
public protocol SharedRepresentationModel: MultiTaskModel {
    /// The ``ParameterLayout`` entry of the last shared layer's weight (`fc1.weight`).
    var lastSharedWeightName: String { get }
    /// `d`, the width of the shared representation.
    var representationWidth: Int { get }
    /// Records `Z = [N, d]` for `images [N, C, H, W]`.
    func representation<S>(parameters: Variable<S>, images: Variable<S>) throws -> Variable<S>
    /// Records the per-task logits `[N, classes]` from `Z`.
    func heads<S>(parameters: Variable<S>, representation: Variable<S>) throws -> [Variable<S>]
}

extension SharedRepresentationModel {
    /// The flat parameter indices of the last shared layer's weight.
    /// - Throws: ``ModelError/unknownParameter(_:)``.
    public func lastSharedWeightRange() throws -> Range<Int> {
        let entry = try layout.entry(lastSharedWeightName)
        return entry.offset ..< entry.offset + entry.count
    }

    /// `Z` of a batch, and, when `labels` is given, the gradients `∇_Z fᵢ` (flattened `N·d`) of the
    /// per-task mean cross-entropies with `Z` held as an independent variable (one forward
    /// sweep of the trunk, then one tape over the heads with `m` reverse sweeps).
    /// - Throws: model and autodiff errors, ``AutodiffError/nonFinite(quantity:index:)``.
    public func representationAndGradients<S: BLASScalar>(
        parameters: [S], images: Tensor<S>, labels: [[Int]]?
    ) throws -> (representation: Tensor<S>, gradients: [[S]]) {
        let trunkTape = Tape<S>()
        let trunkParameters = trunkTape.constant(Tensor(vector: parameters))
        let z = try representation(parameters: trunkParameters, images: trunkTape.constant(images)).value
        if let index = z.scalars.firstIndex(where: { !$0.isFinite }) {
            throw AutodiffError.nonFinite(quantity: "shared representation", index: index)
        }
        guard let labels else { return (z, []) }
        let headTape = Tape<S>()
        let input = try headTape.input(z)
        let logits = try heads(parameters: headTape.constant(Tensor(vector: parameters)), representation: input)
        let losses = try concatenate(try zip(logits, labels).map { try softmaxCrossEntropy(logits: $0, labels: $1) })
        var gradients: [[S]] = []
        for task in 0..<taskCount {
            var seed = [S](repeating: 0, count: taskCount)
            seed[task] = 1
            try headTape.backward(from: losses, seed: Tensor(vector: seed))
            let row = headTape.adjoint(of: input).scalars
            if let index = row.firstIndex(where: { !$0.isFinite }) {
                throw AutodiffError.nonFinite(quantity: "gradient of task \(task + 1) on the representation", index: index)
            }
            gradients.append(row)
        }
        return (z, gradients)
    }

    /// The batch mean `z̄ = (1/N) Σₙ Zₙ` of the representation (LDC-MTL's router input).
    public func meanRepresentation<S: BLASScalar>(parameters: [S], images: Tensor<S>) throws -> [Double] {
        let z = try representationAndGradients(parameters: parameters, images: images, labels: nil).representation
        let (rows, width) = (z.shape[0], z.shape[1])
        var mean = [Double](repeating: 0, count: width)
        for n in 0..<rows {
            for j in 0..<width { mean[j] += Double(z.scalars[n * width + j]) }
        }
        return mean.map { $0 / Double(max(rows, 1)) }
    }
}

extension MultiLeNet: SharedRepresentationModel {
    /// `fc1.weight`, the layer producing the 50-wide representation.
    public var lastSharedWeightName: String { "fc1.weight" }
    /// 50.
    public var representationWidth: Int { 50 }

    /// `relu(fc1(flatten(relu(pool(conv2(relu(pool(conv1(x)))))))))`, `[N, 50]` (as ``MultiLeNet/logits(parameters:images:)``).
    public func representation<S>(parameters: Variable<S>, images: Variable<S>) throws -> Variable<S> {
        let p = try layout.variables(parameters)
        var h = try addBias(conv2d(images, p["conv1.weight"]!), p["conv1.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try addBias(conv2d(h, p["conv2.weight"]!), p["conv2.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try flatten(h)
        return relu(try addBias(matmul(h, p["fc1.weight"]!, transposeB: true), p["fc1.bias"]!))
    }

    /// `fc3_1(Z)`, `fc3_2(Z)`.
    public func heads<S>(parameters: Variable<S>, representation z: Variable<S>) throws -> [Variable<S>] {
        let p = try layout.variables(parameters)
        return try ["fc3_1", "fc3_2"].map { try addBias(matmul(z, p["\($0).weight"]!, transposeB: true), p["\($0).bias"]!) }
    }
}

extension MiniLeNet: SharedRepresentationModel {
    /// `fc1.weight`, the layer producing the 20-wide representation.
    public var lastSharedWeightName: String { "fc1.weight" }
    /// 20.
    public var representationWidth: Int { 20 }

    /// `relu(fc1(flatten(relu(pool(conv1(x))))))`, `[N, 20]` (as ``MiniLeNet/logits(parameters:images:)``).
    public func representation<S>(parameters: Variable<S>, images: Variable<S>) throws -> Variable<S> {
        let p = try layout.variables(parameters)
        var h = try addBias(conv2d(images, p["conv1.weight"]!, stride: 2), p["conv1.bias"]!)
        h = relu(try maxPool2x2(h))
        h = try flatten(h)
        return relu(try addBias(matmul(h, p["fc1.weight"]!, transposeB: true), p["fc1.bias"]!))
    }

    /// `fc3_1(Z)`, `fc3_2(Z)`.
    public func heads<S>(parameters: Variable<S>, representation z: Variable<S>) throws -> [Variable<S>] {
        let p = try layout.variables(parameters)
        return try ["fc3_1", "fc3_2"].map { try addBias(matmul(z, p["\($0).weight"]!, transposeB: true), p["\($0).bias"]!) }
    }
}
