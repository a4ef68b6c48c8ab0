/// Named storage for the scratch of backward passes (input gradients and the like), shared by
/// the same module of different blocks of a stack.
///
/// A stack is differentiated one block after another, and a block's backward scratch is dead
/// once the block below has read the input gradient it returned. So every block need not own
/// its scratch: blocks of even index can share one pool and blocks of odd index another (two,
/// so that the gradient a block returns is never overwritten by the block that reads it). For
/// a 30-block model this keeps two blocks' worth of gradient buffers instead of thirty.
/// Activations saved by forward for backward are never shared.
public final class BackwardBufferPool {
    private var slots: [String: BufferSlot] = [:]

    public init() {}

    /// The buffer for `name`: the same storage for every caller that asks for this name.
    public func buffer(_ name: String) -> ActivationBuffer {
        if let slot = slots[name] { return ActivationBuffer(sharing: slot) }
        let slot = BufferSlot()
        slots[name] = slot
        return ActivationBuffer(sharing: slot)
    }

    /// Gives the blocks of a stack their scratch: block `i` shares `share(block, pool)` with the
    /// blocks of the same parity, so adjacent blocks never share.
    public static func shareAlternately<Block>(_ blocks: [Block], _ share: (Block, BackwardBufferPool) -> Void) {
        let pools = [BackwardBufferPool(), BackwardBufferPool()]
        for (i, block) in blocks.enumerated() { share(block, pools[i % 2]) }
    }
}
