import Tensor

/// The rotated keys and the values of every token an `Attention` layer has seen, for
/// incremental (token by token) decoding: each new token attends to the cache instead of
/// recomputing the whole prefix. One cache per attention layer; all sequences of the batch
/// advance together.
///
/// Layout: `keys` and `values` are `[batch, capacity, keyValueHeads · headDimension]`; the
/// first `length` positions of each sequence are filled.
public final class KeyValueCache {
    public let batch: Int
    public let capacity: Int
    public let width: Int
    public let keys: Tensor
    public let values: Tensor
    /// Tokens stored per sequence.
    public internal(set) var length = 0

    /// A cache for `batch` sequences of up to `capacity` tokens (prompt plus generated).
    public init(batch: Int, capacity: Int, keyValueHeads: Int, headDimension: Int) {
        precondition(batch > 0 && capacity > 0 && keyValueHeads > 0 && headDimension > 0,
                     "empty key/value cache")
        self.batch = batch
        self.capacity = capacity
        self.width = keyValueHeads * headDimension
        keys = Tensor(zeros: [batch, capacity, width])
        values = Tensor(zeros: [batch, capacity, width])
    }

    /// Room left per sequence.
    public var remaining: Int { capacity - length }

    /// Forgets every stored token (the storage is kept for the next prompt).
    public func reset() { length = 0 }
}
