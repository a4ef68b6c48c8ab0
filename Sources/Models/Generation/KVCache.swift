import Tensor

/// Keys and values of every decoder block for a batch of sequences being generated:
/// `[batch, capacity, kvHeads·headDim]` per block, plus which slots hold real tokens and the
/// position of each slot. Allocated once per generation call.
public final class KVCache {
    public let batch: Int
    public let capacity: Int
    let keys: [Tensor]
    let values: [Tensor]
    /// `[batch · capacity]`: 1 where the slot holds a real token.
    var mask: [Float]
    /// Slots filled so far (the same for every sequence; left padding aligns them).
    public internal(set) var filled = 0

    init(layers: Int, batch: Int, capacity: Int, kvWidth: Int) {
        self.batch = batch
        self.capacity = capacity
        keys = (0..<layers).map { _ in Tensor(zeros: [batch, capacity, kvWidth]) }
        values = (0..<layers).map { _ in Tensor(zeros: [batch, capacity, kvWidth]) }
        mask = [Float](repeating: 0, count: batch * capacity)
    }
}
