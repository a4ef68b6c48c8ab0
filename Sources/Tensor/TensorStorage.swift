/// An owned, 64-byte aligned block of fp32 values. Tensors are views onto one of these, so
/// reshaping and slicing rows never copies, and activation buffers can be reused across steps.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let capacity: Int

    /// Allocates `capacity` floats, zero-filled.
    public init(capacity: Int) {
        precondition(capacity >= 0, "negative tensor capacity")
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        base.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { base.deallocate() }
}
