import Tensor

/// BERT's feed-forward block `output(gelu(intermediate(x)))` (exact erf GELU by default; the
/// tanh form serves GPT-2's MLP, whose shape is the same). The residual,
/// dropout and LayerNorm that follow it in BERT belong to the model.
///
/// Shapes: `x` `[..., dim]` → `[..., output.outFeatures]`. Outputs belong to the layers.
public final class BertMLP {
    public let intermediate: Linear
    public let output: Linear
    private let activation: GELU

    /// `activation` selects the exact GELU (BERT, default) or its tanh approximation (GPT-2).
    public init(intermediate: Linear, output: Linear, activation: GELU.Approximation = .none) {
        self.activation = GELU(approximation: activation)
        precondition(output.inFeatures == intermediate.outFeatures,
                     "BERT MLP projections do not chain: \(intermediate.outFeatures) → \(output.inFeatures)")
        self.intermediate = intermediate
        self.output = output
    }

    /// Keeps the gradients of both projections and of the activation in `pool`'s buffers
    /// under `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        intermediate.shareBackwardBuffers(pool, as: name + ".intermediate")
        output.shareBackwardBuffers(pool, as: name + ".output")
        activation.shareBackwardBuffers(pool, as: name + ".gelu")
    }

    public var parameters: [Parameter] { intermediate.parameters + output.parameters }

    public func forward(_ x: Tensor) -> Tensor {
        output.forward(activation.forward(intermediate.forward(x)))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        intermediate.backward(activation.backward(output.backward(dy)))
    }
}
