import Foundation

/// A set of strings shared between threads (such as the tensors of a file already checked).
final class LockedSet: @unchecked Sendable {
    private var members = Set<String>()
    private let lock = NSLock()

    func contains(_ member: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return members.contains(member)
    }

    func insert(_ member: String) {
        lock.lock(); defer { lock.unlock() }
        members.insert(member)
    }
}
