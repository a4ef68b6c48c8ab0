import Adapters
import Foundation

/// The learning rates a suite tries per configuration before its seeds run: multiples of the
/// configuration's own rate (`×0.5, 1, 2`: every method keeps its usual scale) or the same
/// absolute rates for every configuration.
public enum LearningRateGrid: Sendable, Equatable {
    case multiples([Double])
    case rates([Double])

    /// The rates to try for a configuration whose own rate is `base`, ascending.
    public func rates(around base: Double) -> [Double] {
        switch self {
        case .multiples(let factors): return factors.map { $0 * base }.sorted()
        case .rates(let rates): return rates.sorted()
        }
    }

    /// `standard` (the suite's declared grid), `x0.5,1,2` (multiples of each configuration's
    /// rate) or `1e-4,2e-4,…` (the rates themselves). Errors name the setting
    /// `learningRateGrid`.
    public init(parsing text: String, standard: LearningRateGrid) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "standard" { self = standard; return }
        let relative = trimmed.hasPrefix("x") || trimmed.hasPrefix("×")
        let body = relative ? String(trimmed.dropFirst()) : trimmed
        var values: [Double] = []
        for word in body.split(separator: ",", omittingEmptySubsequences: false) {
            let w = word.trimmingCharacters(in: .whitespaces)
            guard let v = Double(w), v.isFinite, v > 0 else {
                throw SettingError("learningRateGrid", "'\(w)' in '\(text)' is not a positive number (expected standard, x0.5,1,2 or 1e-4,2e-4,…)")
            }
            values.append(v)
        }
        guard values.count >= 2 else {
            throw SettingError("learningRateGrid", "'\(text)' has \(values.count) rate; a grid needs at least two")
        }
        guard Set(values).count == values.count else {
            throw SettingError("learningRateGrid", "'\(text)' names a rate twice")
        }
        self = relative ? .multiples(values) : .rates(values)
    }

    /// `×0.5, 1, 2 of each method's rate` or `1e-04, 2e-04`.
    public var description: String {
        switch self {
        case .multiples(let factors):
            return "×" + factors.map { String(format: "%g", $0) }.joined(separator: ", ") + " of each method's rate"
        case .rates(let rates):
            return rates.map(ExperimentRun.rateText).joined(separator: ", ")
        }
    }
}
