import Autodiff
import Foundation
import LinearAlgebra
import Models
import Safetensors
import XCTest

/// The architecture registry: names recorded in checkpoints map to models, a checkpoint is
/// read once and decoded for the model its metadata names, and the default engine is the
/// architecture's fused kernel where it has one.
final class ModelRegistryTests: XCTestCase {
    func testNamesMapToModelsAndUnknownNamesAreErrors() throws {
        XCTAssertEqual(ModelRegistry.names, ["MultiLeNet", "MiniLeNet"])
        XCTAssertEqual(try ModelRegistry.model(named: "MiniLeNet").layout.parameterCount, 1_500)
        XCTAssertEqual(try ModelRegistry.model(named: "MultiLeNet").layout.parameterCount, 22_350)
        XCTAssertEqual(try ModelRegistry.model(for: [:]).architecture, "MultiLeNet", "files without metadata are PyTorch MultiLeNets")
        XCTAssertThrowsError(try ModelRegistry.model(named: "ResNet")) { error in
            XCTAssertEqual(error as? ModelRegistryError, .unknownArchitecture("ResNet", known: ["MultiLeNet", "MiniLeNet"]))
        }
    }

    /// Both registered architectures have fused kernels, so both default to them; the fused and
    /// tape engines agree on the loss and its gradient (Float64).
    func testDefaultEngineIsTheFusedKernelAndAgreesWithTheTape() throws {
        var generator = SeededGenerator(seed: 3)
        for model in ModelRegistry.models {
            XCTAssertEqual(model.defaultEngine, .fused, model.architecture)
            let side = model.inputShape.last!
            let images = try Tensor<Double>(shape: [4, 1, side, side], scalars: (0..<(4 * side * side)).map { _ in generator.unitDouble() })
            let labels = [[1, 2, 3, 4], [5, 6, 7, 8]]
            let x: [Double] = model.initialParameters(using: &generator)
            let fused = try model.loss(images: images, labels: labels)
            let tape = try model.loss(images: images, labels: labels, engine: .tape)
            XCTAssertTrue(tape is MultiTaskLoss<MultiLeNet, Double> || tape is MultiTaskLoss<MiniLeNet, Double>)
            XCTAssertFalse(fused is MultiTaskLoss<MultiLeNet, Double> || fused is MultiTaskLoss<MiniLeNet, Double>)
            let (a, b) = (try fused.valuesAndJacobian(at: x), try tape.valuesAndJacobian(at: x))
            for (u, v) in zip(a.values, b.values) { XCTAssertEqual(u, v, accuracy: 1e-10, model.architecture) }
            for (rowA, rowB) in zip(a.jacobian, b.jacobian) {
                XCTAssertLessThanOrEqual(zip(rowA, rowB).map { abs($0 - $1) }.max()!, 1e-10, model.architecture)
            }
        }
    }

    /// A MiniLeNet checkpoint loads as a MiniLeNet from its file alone; a file naming an
    /// unknown architecture is a checkpoint error naming the file.
    func testCheckpointLoadFindsTheArchitecture() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        var generator = SeededGenerator(seed: 4)
        let model = MiniLeNet()
        let x: [Double] = model.initialParameters(using: &generator)
        let url = directory.appendingPathComponent("mini.safetensors")
        try Checkpoint(model: model, parameters: x, metadata: CheckpointMetadata(architecture: model.architecture)).write(to: url)
        let loaded = try Checkpoint.load(from: url)
        XCTAssertEqual(loaded.model.architecture, "MiniLeNet")
        XCTAssertEqual(loaded.checkpoint.parameters, x)

        let alien = directory.appendingPathComponent("alien.safetensors")
        let plain = try Checkpoint(model: model, parameters: x).safetensorsFile()
        try SafetensorsFile(tensors: plain.tensors, metadata: ["architecture": "ResNet"]).write(to: alien)
        XCTAssertThrowsError(try Checkpoint.load(from: alien)) { error in
            XCTAssertTrue("\(error)".contains("alien.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("ResNet"), "\(error)")
        }
    }
}
