import Tensor

/// The rotated keys and the values of every token an `Attention` layer has seen, for
/// incremental (token by token) decoding: each new token attends to the cache instead of
/// recomputing the whole prefix. One cache per attention layer.
///
/// Every row holds one sequence from its first token, and rows advance independently: a row
/// can take a whole prompt while the others take one generated token each, and a finished
/// row can be emptied and given the next prompt (continuous batching). So no row holds
/// padding, and a token's slot is its position.
///
/// Layout: `keys` and `values` are `[rows, capacity, keyValueHeads · headDimension]`; the
/// first `lengths[row]` slots of each row are filled.
public final class KeyValueCache {
    public let batch: Int
    public let capacity: Int
    public let width: Int
    public let keys: Tensor
    public let values: Tensor
    /// Tokens stored in each row.
    public internal(set) var lengths: [Int]

    /// A cache for `batch` sequences of up to `capacity` tokens each (prompt plus generated).
    public init(batch: Int, capacity: Int, keyValueHeads: Int, headDimension: Int) {
        precondition(batch > 0 && capacity > 0 && keyValueHeads > 0 && headDimension > 0,
                     "empty key/value cache")
        self.batch = batch
        self.capacity = capacity
        self.width = keyValueHeads * headDimension
        keys = Tensor(zeros: [batch, capacity, width])
        values = Tensor(zeros: [batch, capacity, width])
        lengths = [Int](repeating: 0, count: batch)
    }

    /// Room left in `row`.
    public func remaining(row: Int) -> Int { capacity - lengths[row] }

    /// Forgets the tokens of `row` (its storage is kept for the next sequence).
    public func reset(row: Int) { lengths[row] = 0 }

    /// Forgets every stored token.
    public func reset() { lengths = [Int](repeating: 0, count: batch) }
}

/// New tokens for one row of a `KeyValueCache`: packed inputs hold the segments' tokens one
/// after another, in the order of the segments.
public struct CacheSegment: Equatable, Sendable {
    public var row: Int
    public var tokens: Int

    public init(row: Int, tokens: Int) {
        self.row = row
        self.tokens = tokens
    }
}
