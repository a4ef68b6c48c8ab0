import Foundation

/// An error reading or writing a model file: which file, and what is wrong with it.
///
/// Every failure that input can cause (truncation, malformed headers, absurd sizes, unknown
/// types) surfaces as one of these rather than a trap, so a user sees the path and the problem.
public struct ModelIOError: Error, CustomStringConvertible, Equatable {
    /// The file (or folder) the problem was found in.
    public let path: String
    /// What is wrong, in words.
    public let problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public init(_ url: URL, _ problem: String) {
        self.init(url.path, problem)
    }

    public var description: String { "\(path): \(problem)" }
}
