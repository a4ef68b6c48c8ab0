import Foundation

/// A file we write could not be written: which file, and why (the system's reason, such as
/// "No space left on device").
public struct FileWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "cannot write \(path): \(problem)" }
}
