import Foundation

/// A tick of an axis: its value and label. Decade labels of log axes are `10` with a
/// superscript ``exponent``.
public struct Tick: Sendable, Hashable {
    /// The data value at the tick.
    public var value: Double
    /// The label text (the mantissa `10` for a decade tick).
    public var label: String
    /// The power of ten of a decade tick (`label` is then `"10"`), else `nil`.
    public var exponent: Int?
}

/// Tick placement: the 1-2-5 rule on linear axes, decades on logarithmic axes.
public enum Ticks {
    /// The smallest step `m · 10^e` with `m ∈ {1, 2, 5}` that puts at most `maxTicks` ticks
    /// (multiples of the step) inside `range`; with `integer`, steps of at least 1.
    public static func niceStep(range: ClosedRange<Double>, maxTicks: Int, integer: Bool = false) -> (mantissa: Int, exponent: Int) {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite, maxTicks >= 2 else { return (1, 0) }
        var exponent = Int(log10(span / Double(maxTicks)).rounded(.down)) - 1
        if integer { exponent = max(exponent, 0) }
        while true {
            for mantissa in [1, 2, 5] where count(range, mantissa: mantissa, exponent: exponent) <= maxTicks {
                return (mantissa, exponent)
            }
            exponent += 1
        }
    }

    /// Ticks at multiples of the 1-2-5 step of ``niceStep(range:maxTicks:integer:)``; `[0, 1]` gives
    /// 0, 0.2, …, 1; with `integer` (counts, iterations) only whole numbers. Values are
    /// `k · m · 10^e` computed exactly (no accumulated error).
    public static func linear(in range: ClosedRange<Double>, maxTicks: Int = 7, integer: Bool = false) -> [Tick] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let (mantissa, exponent) = niceStep(range: range, maxTicks: maxTicks, integer: integer)
        let (first, last) = indices(range, mantissa: mantissa, exponent: exponent)
        guard first <= last else { return [] }
        return (first...last).map { k in
            let units = Double(k * mantissa)
            let value = exponent >= 0 ? units * powerOfTen(exponent) : units / powerOfTen(-exponent)
            return Tick(value: value, label: label(value, decimals: max(0, -exponent)), exponent: nil)
        }
    }

    /// The first and last multiple index `k` of the step inside `range`.
    static func indices(_ range: ClosedRange<Double>, mantissa: Int, exponent: Int) -> (Int, Int) {
        let step = Double(mantissa) * powerOfTen(exponent)
        return (Int((range.lowerBound / step - 1e-9).rounded(.up)), Int((range.upperBound / step + 1e-9).rounded(.down)))
    }

    static func count(_ range: ClosedRange<Double>, mantissa: Int, exponent: Int) -> Int {
        let (first, last) = indices(range, mantissa: mantissa, exponent: exponent)
        return last - first + 1
    }

    /// Ticks of a base-10 log axis over `range` (positive bounds): every decade inside it (every
    /// k-th decade when more than 8); within less than two decades, 1-2-5 multiples of the
    /// powers of ten when that gives three ticks, else multiples 1…9, else linear ticks.
    public static func logarithmic(in range: ClosedRange<Double>) -> [Tick] {
        guard range.lowerBound > 0, range.upperBound > range.lowerBound else { return [] }
        let low = log10(range.lowerBound), high = log10(range.upperBound)
        let first = Int((low - 1e-9).rounded(.up)), last = Int((high + 1e-9).rounded(.down))
        if last - first + 1 >= 2 {
            let count = last - first + 1
            let every = count > 8 ? Int((Double(count) / 6).rounded(.up)) : 1
            return stride(from: first, through: last, by: every).map { e in
                Tick(value: powerOfTen(e), label: "10", exponent: e)
            }
        }
        let coarse = multiples(of: [1, 2, 5], decades: (first - 1)...(last + 1), in: range)
        if coarse.count >= 3 { return coarse }
        let fine = multiples(of: Array(1...9), decades: (first - 1)...(last + 1), in: range)
        return fine.count >= 2 ? fine : linear(in: range)
    }

    /// Ticks `m · 10^e` inside `range` for the given mantissas and decades.
    static func multiples(of mantissas: [Int], decades: ClosedRange<Int>, in range: ClosedRange<Double>) -> [Tick] {
        var candidates: [Tick] = []
        for e in decades {
            for m in mantissas {
                let value = e >= 0 ? Double(m) * powerOfTen(e) : Double(m) / powerOfTen(-e)
                if value >= range.lowerBound * (1 - 1e-12) && value <= range.upperBound * (1 + 1e-12) {
                    candidates.append(Tick(value: value, label: label(value, decimals: max(0, -e)), exponent: nil))
                }
            }
        }
        return candidates
    }

    /// `value` with `decimals` digits after the point, a true minus sign for negatives and no
    /// `-0`; scientific (`2.5e-7`) beyond 6 decimals or at magnitudes ≥ 10⁶.
    public static func label(_ value: Double, decimals: Int) -> String {
        if value == 0 { return "0" }
        var text: String
        if decimals > 6 || abs(value) >= 1e6 {
            text = String(format: "%g", abs(value))
        } else {
            text = String(format: "%.\(decimals)f", abs(value))
        }
        if value < 0 { text = "\u{2212}" + text }
        return text
    }

    /// `10^e` as the double nearest to it (parsed, so `10^-3` is exactly the literal `0.001`).
    static func powerOfTen(_ e: Int) -> Double {
        Double("1e\(e)") ?? pow(10, Double(e))
    }
}
