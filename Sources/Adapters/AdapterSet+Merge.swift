import NN
import Tensor

extension AdapterSet {
    /// Folds every adapter into its layer's weight, `W ← W + s·B R A` (or `W + s·B A`), and
    /// detaches it: the model then computes exactly what it did with the adapter attached,
    /// with no extra work per token.
    public func mergeIntoBase() {
        for e in entries {
            let w = e.target.linear.weight.value
            switch e.adapter {
            case let xs as LoRAXSAdapter:
                let ra = Gemm.product(xs.r.value, xs.a.value)
                Gemm.multiply(xs.b.value, ra, alpha: xs.scale, beta: 1, into: w)
            case let lora as LoRAAdapter:
                Gemm.multiply(lora.b.value, lora.a.value, alpha: lora.scale, beta: 1, into: w)
            default:
                break
            }
            e.target.linear.adapter = nil
            // A layer computing with a bf16 copy must see the merged weight.
            if e.target.linear.bf16Weight != nil { e.target.linear.useBF16Weight() }
        }
    }
}
