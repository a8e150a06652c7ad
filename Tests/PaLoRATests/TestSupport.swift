import Datasets
import LinearAlgebra

/// Generated 28×28 digits: class `c = i mod 10` is a 6×6 ink square at a class-dependent
/// place, plus 10 pixels of noise drawn from `SeededGenerator(seed: seed)`.
func generatedDigits(count: Int, seed: UInt64) throws -> LabeledDigits {
    var generator = SeededGenerator(seed: seed)
    var pixels = [UInt8](repeating: 0, count: count * 784)
    var labels: [UInt8] = []
    for i in 0..<count {
        let c = i % 10
        labels.append(UInt8(c))
        let (row, column) = (4 + 2 * c, 4 + (c * 7) % 16)
        for dy in 0..<6 { for dx in 0..<6 { pixels[i * 784 + (row + dy) * 28 + column + dx] = 255 } }
        for _ in 0..<10 { pixels[i * 784 + generator.uniformIndex(below: 784)] = 180 }
    }
    return try LabeledDigits(images: DigitImages(count: count, rows: 28, columns: 28, pixels: pixels), labels: labels, sourceName: "generated")
}

/// A small MultiMNIST-style data set of `count` generated composites.
func generatedDataset(count: Int, seed: UInt64) throws -> MultiDigitDataset {
    try MultiDigitDataset(digits: generatedDigits(count: max(count, 20), seed: seed), count: count, seed: seed)
}

/// `count` values uniform in `[-scale, scale]`.
func uniformValues(_ count: Int, scale: Double, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in (2 * generator.unitDouble() - 1) * scale }
}
