import Datasets
import Expansion
import Foundation
import LinearAlgebra
import Models
import MultiObjective
import NetworkExpansion
import PaLoRA
import Stitching
import XCTest

/// The network hybrid through the library, on synthetic digits (small and fast).
final class NetworkHybridTests: XCTestCase {
    func testNetworkHybridRunsItsPartsAndStitchesThemAgainstOneReference() throws {
        // As the command line does for the fused engine (OpenBLAS's workers would only spin).
        let blasThreads = BLASThreads.count
        defer { BLASThreads.set(blasThreads) }
        BLASThreads.set(1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("network-hybrid-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let train = try MultiDigitDataset(digits: SyntheticDigits.make(count: 64, seed: 1), seed: 11)
        let test = try MultiDigitDataset(digits: SyntheticDigits.make(count: 32, seed: 2), seed: 12)
        var generator = SeededGenerator(seed: 3)
        let input: [Float] = MultiLeNet().initialParameters(using: &generator)
        var expansion = NetworkExpansionOptions()
        expansion.expansion.points = 3
        expansion.expansion.direction.minresIterations = 3
        expansion.seedSteps = 1
        // One seed step cannot make these seeds stationary; expansion refuses them unless forced.
        expansion.force = true
        expansion.curveSamples = 4
        var configuration = NetworkHybridConfiguration(
            palora: PaLoRATrainingConfiguration(schedule: .publicDefault(rays: 2), epochs: 1, batchSize: 32, trainsBase: false),
            expansion: expansion, metadata: CheckpointMetadata(seed: 11))
        configuration.reference = .given([4, 4])
        var parts: [String] = []
        let data = { try NetworkObjectiveData(model: MultiLeNet(), train: train, test: test, hvpBatchSize: 16, chunkSize: 64) }
        let result = try NetworkHybrid.run(
            input: input, train: train, test: test, configuration: configuration, directory: directory, objectiveData: data,
            onPart: { parts.append($0) })
        XCTAssertEqual(parts, NetworkHybrid.partNames)
        XCTAssertEqual(result.ran, NetworkHybrid.partNames)
        let front = result.stitched.front
        XCTAssertEqual(front.reference, [4, 4])
        for part in NetworkHybrid.partNames {
            let partFront = try FrontFile.read(from: directory.appendingPathComponent(part).appendingPathComponent("front.json"))
            XCTAssertEqual(partFront.reference, [4, 4], part)
            XCTAssertGreaterThanOrEqual(front.hypervolume, try Hypervolume.compute(partFront.curve.map(\.objectives), reference: [4, 4]) - 1e-15, part)
        }
        // The tangent parts from the segment's ends start at θ(e₁), θ(e₂): their seeds' stored
        // input is the end model's file.
        let end = try Checkpoint.load(from: directory.appendingPathComponent("segment-ends/lambda1.safetensors")).checkpoint
        let theta = try PaLoRARun.segment(in: directory.appendingPathComponent("palora")).parameters(at: .preference([1, 0]))
        for (a, b) in zip(end.parameters, theta) { XCTAssertEqual(a, Double(Float(b)), accuracy: 1e-7) }
        // A second call keeps every part and re-stitches to the same front.
        let again = try NetworkHybrid.run(
            input: input, train: train, test: test, configuration: configuration, directory: directory, objectiveData: data)
        XCTAssertEqual(again.ran, [])
        XCTAssertEqual(again.stitched.front, front)
    }
}
