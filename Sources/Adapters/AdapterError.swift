import Foundation

/// Errors from attaching, initialising, saving, loading and exporting adapters.
public enum AdapterError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(String)
    case noTargets(requested: [String], available: [String])
    case initialisation(String)
    case file(path: String, problem: String)
    case mismatch(path: String, problem: String)

    public var description: String {
        switch self {
        case .invalidSetting(let s): return s
        case .noTargets(let requested, let available):
            return "no layer matches the targets \(requested.joined(separator: ",")); this model offers: \(available.joined(separator: ","))"
        case .initialisation(let s): return "initialisation failed: \(s)"
        case .file(let path, let problem): return "\(path): \(problem)"
        case .mismatch(let path, let problem): return "\(path): adapter does not fit this model: \(problem)"
        }
    }
}
