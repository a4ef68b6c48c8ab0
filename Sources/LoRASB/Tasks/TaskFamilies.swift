import Foundation

/// Every task family, in the order data detection tries them. Adding a family: one file with
/// its `TaskFamily` and one line here.
public enum TaskFamilies {
    public static let all: [any TaskFamily] = [
        CommonsenseTask(),
        MATHTask(),
        GSM8KTask(),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The family called `name` (case-insensitive).
    public static func named(_ name: String) -> (any TaskFamily)? {
        all.first { $0.name == name.lowercased() }
    }

    /// The family `data.taskFamily` names, else the first that recognizes the data; nil when
    /// the data is of no family (plain language-modelling data).
    public static func resolve(_ data: DataOptions) throws -> (any TaskFamily)? {
        if let name = data.taskFamily {
            guard let family = named(name) else {
                throw SettingError("taskFamily", "unknown task family '\(name)': expected one of \(names.joined(separator: ", "))")
            }
            return family
        }
        return all.first { $0.recognizes(data) }
    }
}
