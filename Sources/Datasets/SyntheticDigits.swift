import LinearAlgebra

/// Generated 28×28 "digits" for tests, examples and smoke runs, where no data set is installed:
/// class `c` has a fixed random pattern of six 4×4 ink blocks in the central 20×20 square
/// (drawn once from `SeededGenerator(seed: 1000 + c)`); each sample keeps every block with
/// probability 0.85 and adds 8 noise pixels. Classes are separable but not trivially so, a
/// LeNet learns them in a few epochs, and equal seeds give identical digits.
public enum SyntheticDigits {
    /// The side of each image.
    public static let side = 28

    /// `count` digits, labels `i mod 10` (classes interleaved), drawn with `seed`.
    /// - Throws: ``DatasetError/invalidArgument(operation:reason:)`` for a negative count.
    public static func make(count: Int, seed: UInt64, sourceName: String = "synthetic") throws -> LabeledDigits {
        guard count >= 0 else {
            throw DatasetError.invalidArgument(operation: "SyntheticDigits.make", reason: "count must be non-negative, got \(count)")
        }
        let patterns: [[Int]] = (0..<10).map { c in
            var generator = SeededGenerator(seed: 1000 + UInt64(c))
            return (0..<6).map { _ in (4 + generator.uniformIndex(below: 17)) * side + 4 + generator.uniformIndex(below: 17) }
        }
        var generator = SeededGenerator(seed: seed)
        var images = [UInt8](repeating: 0, count: count * side * side)
        var labels: [UInt8] = []
        labels.reserveCapacity(count)
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
            images: DigitImages(count: count, rows: side, columns: side, pixels: images), labels: labels, sourceName: sourceName)
    }

    /// MultiMNIST-style composites of synthetic digits: `train` training composites from digits
    /// drawn with `seed`, `test` test composites from digits drawn with `seed + 1` (never the
    /// same digits), composed with seeds `seed + 10` and `seed + 11`.
    public static func splits(train: Int, test: Int, seed: UInt64 = 1, side: Int = 28) throws
        -> (train: MultiDigitDataset, test: MultiDigitDataset)
    {
        (
            try MultiDigitDataset(digits: make(count: train, seed: seed), seed: seed + 10, side: side),
            try MultiDigitDataset(digits: make(count: test, seed: seed + 1), seed: seed + 11, side: side)
        )
    }
}
