import Tensor

/// Named activation buffers a model layer reuses across steps: a buffer is (re)allocated only
/// when a larger batch shape arrives, so a training loop with a fixed batch shape allocates
/// once.
struct ReusableBuffer {
    private var storage: TensorStorage?

    /// A tensor of `shape` over this buffer's storage (grown when too small). Contents are
    /// whatever the previous user left.
    mutating func tensor(_ shape: [Int]) -> Tensor {
        let n = Tensor.elementCount(shape)
        if let s = storage, s.capacity >= n { return Tensor(storage: s, shape: shape) }
        let s = TensorStorage(capacity: n)
        storage = s
        return Tensor(storage: s, shape: shape)
    }

    var capacity: Int { storage?.capacity ?? 0 }
    mutating func release() { storage = nil }
}

extension Tensor {
    /// `self = a + b` element-wise (any of the three may alias).
    func assignSum(_ a: Tensor, _ b: Tensor) {
        precondition(a.count == count && b.count == count)
        let ap = a.pointer, bp = b.pointer, p = pointer
        Parallel.forEachChunk(count) { r in for i in r { p[i] = ap[i] + bp[i] } }
    }
}
