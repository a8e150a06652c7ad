import LinearAlgebra

extension SplitMix64 {
    /// `count` values uniform in `range`: reproducible random test inputs.
    mutating func uniform(_ count: Int, in range: ClosedRange<Double> = -1...1) -> [Double] {
        (0..<count).map { _ in Double.random(in: range, using: &self) }
    }
}
