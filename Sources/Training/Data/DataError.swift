import Foundation

/// A problem found in a data file: which file, which line (when it is about one record), and
/// what is wrong, so a user can open the file at that line and fix it.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or folder) the problem was found in.
    public let path: String
    /// The 1-based line number of the offending record, when the problem is about one record.
    public let line: Int?
    /// What is wrong, in words.
    public let problem: String

    public init(path: String, line: Int? = nil, _ problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public init(_ url: URL, line: Int? = nil, _ problem: String) {
        self.init(path: url.path, line: line, problem)
    }

    public var description: String {
        if let line { return "\(path):\(line): \(problem)" }
        return "\(path): \(problem)"
    }
}
