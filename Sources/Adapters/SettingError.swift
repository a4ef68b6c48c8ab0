/// A setting of the library's settings types (`AdapterSettings`, `TrainerSettings`, a job's
/// request) that cannot be used: the setting under its Swift name (`batchSize`), and why. A
/// command line maps the name to its own flag.
public struct SettingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let setting: String
    public let problem: String

    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }

    /// Throws unless `value` is a finite number in `range`.
    public static func check(_ setting: String, _ value: Double, in range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw SettingError(setting, "\(value) is not in [\(range.lowerBound), \(range.upperBound)]")
        }
    }

    /// Throws unless `value` is a finite number in the half-open `range`.
    public static func check(_ setting: String, _ value: Double, in range: Range<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw SettingError(setting, "\(value) is not in [\(range.lowerBound), \(range.upperBound))")
        }
    }

    /// Throws unless `value` is at least `minimum`.
    public static func check(_ setting: String, _ value: Int, atLeast minimum: Int) throws {
        guard value >= minimum else {
            throw SettingError(setting, "\(value) is less than \(minimum)")
        }
    }
}
