import Foundation

/// Why a figure cannot be drawn. Every case names the panel and series concerned.
public enum PlotError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The figure has no panels.
    case noPanels
    /// Width, height or column count is not a positive finite number.
    case invalidSize(String)
    /// A series has no points.
    case emptySeries(panel: Int, series: String)
    /// A coordinate or colour value is NaN or infinite.
    case nonFinite(panel: Int, series: String, index: Int, coordinate: String)
    /// A value on a logarithmic axis is zero or negative.
    case nonPositiveOnLogAxis(panel: Int, series: String, index: Int, axis: String, value: Double)
    /// An explicit axis range is empty, reversed, not finite, or not positive on a log axis.
    case invalidRange(panel: Int, axis: String, lower: Double, upper: Double)
    /// A panel has neither data nor explicit ranges on both axes.
    case noData(panel: Int)
    /// A series coloured by value has a different number of values than points.
    case colorValuesMismatch(panel: Int, series: String, points: Int, values: Int)
    /// A series is coloured by value but its panel has no colour scale.
    case missingColorScale(panel: Int, series: String)
    /// A figure builder's input is inconsistent (the message says how).
    case invalidInput(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .noPanels:
            return "the figure has no panels"
        case .invalidSize(let what):
            return "invalid figure size: \(what)"
        case .emptySeries(let panel, let series):
            return "panel \(panel + 1): series '\(series)' has no points"
        case .nonFinite(let panel, let series, let index, let coordinate):
            return "panel \(panel + 1): series '\(series)' has a non-finite \(coordinate) at index \(index)"
        case .nonPositiveOnLogAxis(let panel, let series, let index, let axis, let value):
            return "panel \(panel + 1): series '\(series)' has \(axis) = \(value) at index \(index), "
                + "but the \(axis) axis is logarithmic and needs positive values"
        case .invalidRange(let panel, let axis, let lower, let upper):
            return "panel \(panel + 1): invalid \(axis) range [\(lower), \(upper)] (needs finite lower < upper, both > 0 on a log axis)"
        case .noData(let panel):
            return "panel \(panel + 1) has no data and no explicit ranges on both axes"
        case .colorValuesMismatch(let panel, let series, let points, let values):
            return "panel \(panel + 1): series '\(series)' has \(points) points but \(values) colour values"
        case .missingColorScale(let panel, let series):
            return "panel \(panel + 1): series '\(series)' is coloured by value but the panel has no colour scale"
        case .invalidInput(let message):
            return message
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}
