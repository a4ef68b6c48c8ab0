import NN

/// The key/value caches of every decoder block for the sequences being generated, one cache
/// row per sequence in flight (see `KeyValueCache`: rows advance independently and a finished
/// row takes the next prompt). Allocated once per generation call.
public final class DecoderCache {
    public let batch: Int
    public let capacity: Int
    /// One cache per block.
    public let blocks: [KeyValueCache]

    init(layers: Int, batch: Int, capacity: Int, keyValueHeads: Int, headDimension: Int) {
        self.batch = batch
        self.capacity = capacity
        blocks = (0..<layers).map { _ in
            KeyValueCache(batch: batch, capacity: capacity, keyValueHeads: keyValueHeads,
                          headDimension: headDimension)
        }
    }

    /// Tokens stored in each row (the same in every block).
    public var lengths: [Int] { blocks.first?.lengths ?? [] }

    /// Empties `row` for a new sequence.
    public func reset(row: Int) {
        for block in blocks { block.reset(row: row) }
    }
}
