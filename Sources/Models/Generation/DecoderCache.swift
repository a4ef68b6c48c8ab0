import NN

/// The key/value caches of every decoder block for a batch of sequences being generated, and
/// which cache slots hold real tokens (left padding aligns the prompts' ends, so padding slots
/// sit in the cache too). Allocated once per generation call.
public final class DecoderCache {
    public let batch: Int
    public let capacity: Int
    /// One cache per block.
    public let blocks: [KeyValueCache]
    /// `[batch, capacity]`: true where the slot holds a real token.
    private(set) var realSlots: [Bool]

    init(layers: Int, batch: Int, capacity: Int, keyValueHeads: Int, headDimension: Int) {
        self.batch = batch
        self.capacity = capacity
        blocks = (0..<layers).map { _ in
            KeyValueCache(batch: batch, capacity: capacity, keyValueHeads: keyValueHeads,
                          headDimension: headDimension)
        }
        realSlots = [Bool](repeating: false, count: batch * capacity)
    }

    /// Slots filled so far (the same for every sequence).
    public var filled: Int { blocks.first?.length ?? 0 }

    /// Records which of the next `n` slots of each sequence are real (`valid` is `[batch, n]`)
    /// and returns the flags of every slot up to them, `[batch, filled + n]`, as the attention
    /// layers take them.
    func mark(_ valid: [Bool], newTokens n: Int) -> [Bool] {
        let start = filled, total = start + n
        var flags = [Bool]()
        flags.reserveCapacity(batch * total)
        for s in 0..<batch {
            for i in 0..<n { realSlots[s * capacity + start + i] = valid[s * n + i] }
            flags.append(contentsOf: realSlots[(s * capacity)..<(s * capacity + total)])
        }
        return flags
    }
}
