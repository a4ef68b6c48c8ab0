import Foundation

/// A buffer kept between products (the bf16 copy of the activations a product reads, a decoded
/// panel of a packed weight): a fresh multi-MB allocation per product would be mapped and
/// zeroed by the kernel every time. A product that finds it in use (another thread
/// multiplying) takes a buffer of its own.
final class ScratchBuffer<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = UnsafeMutablePointer<Element>.allocate(capacity: 1)
    private var capacity = 1
    private var inUse = false

    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Element>) -> R) -> R {
        lock.lock()
        if inUse {
            lock.unlock()
            let own = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
            defer { own.deallocate() }
            return body(own)
        }
        inUse = true
        if capacity < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
            capacity = count
        }
        let mine = buffer
        lock.unlock()
        defer { lock.lock(); inUse = false; lock.unlock() }
        return body(mine)
    }
}

/// The scratch buffers the products share.
enum ScratchBuffers {
    /// The activations of a bf16 product, rounded to bf16.
    static let bf16Activations = ScratchBuffer<UInt16>()
    /// The second operand of products that convert both (`bf16TransposedProduct`).
    static let bf16SecondOperand = ScratchBuffer<UInt16>()
    /// A decoded panel of a packed weight, fp32 or bf16.
    static let floatPanel = ScratchBuffer<Float>()
    static let bf16Panel = ScratchBuffer<UInt16>()
    /// The activations of a q8 product, quantised to 8-bit blocks.
    static let q8Activations = ScratchBuffer<UInt8>()
}
