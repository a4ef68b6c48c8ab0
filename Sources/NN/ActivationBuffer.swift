import Tensor

/// A buffer a layer reuses for an output or cached activation across calls.
///
/// `tensor(shape)` returns a view of the same storage whenever it is large enough, so a
/// training loop with a fixed batch shape allocates each activation once. The contents are
/// whatever the previous call left: callers overwrite (or zero) what they use.
///
/// A buffer made from a `BufferSlot` shares the slot's storage with every other buffer made
/// from it (see `BufferPool`).
public struct ActivationBuffer {
    private var own: TensorStorage?
    private let slot: BufferSlot?

    public init() { slot = nil }

    /// A buffer whose storage is the slot's, shared with the other buffers of that slot.
    public init(sharing slot: BufferSlot) { self.slot = slot }

    private var storage: TensorStorage? {
        get { slot?.storage ?? own }
        set { if let slot { slot.storage = newValue } else { own = newValue } }
    }

    /// A tensor of `shape` backed by this buffer (grown when too small).
    public mutating func tensor(_ shape: [Int]) -> Tensor {
        let n = Tensor.elementCount(shape)
        if let s = storage, s.capacity >= n {
            return Tensor(storage: s, shape: shape)
        }
        let s = TensorStorage(capacity: n)
        storage = s
        return Tensor(storage: s, shape: shape)
    }

    /// A zero-filled tensor of `shape` backed by this buffer.
    public mutating func zeroed(_ shape: [Int]) -> Tensor {
        let t = tensor(shape)
        t.zero()
        return t
    }

    /// Floats currently held.
    public var capacity: Int { storage?.capacity ?? 0 }

    /// Releases the storage (e.g. after training, before generation).
    public mutating func release() { storage = nil }
}

/// Storage that several `ActivationBuffer`s share.
public final class BufferSlot {
    fileprivate var storage: TensorStorage?
    public init() {}
}
