import Datasets
import LinearAlgebra

/// A small MultiMNIST-style data set of `count` composites of synthetic digits.
func generatedDataset(count: Int, seed: UInt64) throws -> MultiDigitDataset {
    try MultiDigitDataset(digits: SyntheticDigits.make(count: max(count, 20), seed: seed), count: count, seed: seed)
}

/// `count` values uniform in `[-scale, scale]`.
func uniformValues(_ count: Int, scale: Double, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in (2 * generator.unitDouble() - 1) * scale }
}
