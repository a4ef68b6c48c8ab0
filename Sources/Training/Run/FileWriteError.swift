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

    /// An error for the failed system call `operation`, described by `errno` as it is now.
    static func posix(_ path: String, _ operation: String, _ code: Int32 = errno) -> FileWriteError {
        FileWriteError(path: path, "\(operation) failed: \(String(cString: strerror(code)))")
    }

    public var description: String { "cannot write \(path): \(problem)" }
}
