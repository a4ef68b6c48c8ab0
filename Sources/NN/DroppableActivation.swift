import Tensor

/// A forward output that a backward may or may not read, decided at each forward: kept in a
/// buffer of its own while something reads it in backward (a trainable weight's gradient
/// `dyᵀx` reads its input), otherwise written to a buffer every block of a stack shares
/// (`BufferPool`), which the next block overwrites, with the own buffer's storage released.
///
/// Why: with a frozen base most of a block's activations feed only frozen products (a
/// normalised input feeds q, k and v; the SwiGLU hidden feeds down) or a residual sum, and the
/// adapters keep their own small projections; keeping those activations per block would hold
/// a third of a LoRA-SB step's memory for nothing.
public struct DroppableActivation {
    private var kept = ActivationBuffer()
    private var shared = ActivationBuffer()

    public init() {}

    /// A tensor of `shape`: in the own buffer when `keep`, else in the shared one (the own
    /// buffer's storage is released).
    public mutating func tensor(_ shape: [Int], keep: Bool) -> Tensor {
        if keep { return kept.tensor(shape) }
        kept.release()
        return shared.tensor(shape)
    }

    /// Keeps the output in `pool`'s buffer `name` when kept (gradient checkpointing), or in a
    /// buffer of its own when `pool` is nil.
    public mutating func shareKept(_ pool: BufferPool?, as name: String) {
        kept = pool.buffer(name)
    }

    /// Writes the output that no backward reads to `pool`'s buffer `name`.
    public mutating func shareDropped(_ pool: BufferPool, as name: String) {
        shared = pool.buffer(name)
    }
}
