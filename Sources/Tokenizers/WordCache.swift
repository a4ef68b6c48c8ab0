import Foundation

/// A bounded, thread-safe memo of word → ids. Most words of real text repeat, so encoding them
/// once is most of the speed of a tokenizer; the bound keeps hostile input (millions of distinct
/// words) from growing memory without limit.
final class WordCache<Key: Hashable>: @unchecked Sendable {
    private var table: [Key: [Int32]] = [:]
    private let lock = NSLock()
    private let capacity: Int
    /// Words longer than this are not memoised (they rarely repeat).
    let maxKeyLength: Int

    init(capacity: Int = 200_000, maxKeyLength: Int = 64) {
        self.capacity = capacity
        self.maxKeyLength = maxKeyLength
    }

    func get(_ key: Key) -> [Int32]? {
        lock.lock(); defer { lock.unlock() }
        return table[key]
    }

    func set(_ key: Key, _ value: [Int32]) {
        lock.lock(); defer { lock.unlock() }
        if table.count < capacity { table[key] = value }
    }
}
