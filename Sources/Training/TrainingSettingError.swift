/// A training setting (usually from the command line) that cannot be used: which setting, and why.
public struct TrainingSettingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let setting: String
    public let problem: String

    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }

    /// Throws unless `value` is a finite number in `range`.
    static func check(_ setting: String, _ value: Double, in range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw TrainingSettingError(setting, "\(value) is not in [\(range.lowerBound), \(range.upperBound)]")
        }
    }

    /// Throws unless `value` is a finite number in the half-open `range`.
    static func check(_ setting: String, _ value: Double, in range: Range<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw TrainingSettingError(setting, "\(value) is not in [\(range.lowerBound), \(range.upperBound))")
        }
    }

    /// Throws unless `value` is at least `minimum`.
    static func check(_ setting: String, _ value: Int, atLeast minimum: Int) throws {
        guard value >= minimum else {
            throw TrainingSettingError(setting, "\(value) is less than \(minimum)")
        }
    }
}
