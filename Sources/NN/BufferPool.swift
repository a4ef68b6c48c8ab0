/// Named storage shared by the same module of different blocks of a stack: a block's buffers
/// come from the pool under the module's name, so blocks given the same pool share them.
///
/// Backward scratch (input gradients and the like): a stack is differentiated one block after
/// another, and a block's backward scratch is dead once the block below has read the input
/// gradient it returned. So every block need not own its scratch: blocks of even index can
/// share one pool and blocks of odd index another (two, so that the gradient a block returns
/// is never overwritten by the block that reads it). For a 30-block model this keeps two
/// blocks' worth of gradient buffers instead of thirty.
///
/// Forward activations are each block's own, except under gradient checkpointing: then every
/// block's internal activations share one pool, and backward recomputes a block's forward from
/// its input (which stays the block's own) just before differentiating it.
public final class BufferPool {
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
    public static func shareAlternately<Block>(_ blocks: [Block], _ share: (Block, BufferPool) -> Void) {
        let pools = [BufferPool(), BufferPool()]
        for (i, block) in blocks.enumerated() { share(block, pools[i % 2]) }
    }
}

extension Optional where Wrapped == BufferPool {
    /// The pool's buffer `name`, or a buffer of its own when there is no pool.
    public func buffer(_ name: String) -> ActivationBuffer {
        self?.buffer(name) ?? ActivationBuffer()
    }
}
