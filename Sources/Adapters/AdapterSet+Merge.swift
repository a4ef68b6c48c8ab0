import NN
import Tensor

extension AdapterSet {
    /// Folds every adapter into its layer's weight, `W ← W + s·B R A` (or `W + s·B A`), and
    /// detaches it: the model then computes exactly what it did with the adapter attached,
    /// with no extra work per token.
    public func mergeIntoBase() {
        for e in entries {
            // A packed weight's `value` is a fresh fp32 copy: add into it, then assign it back
            // (the weight becomes dense fp32 with the merge in).
            let weight = e.target.linear.weight, w = weight.value
            switch e.adapter {
            case let xs as LoRAXSAdapter:
                let ra = Gemm.product(xs.r.value, xs.a.value)
                Gemm.multiply(xs.b.value, ra, alpha: xs.scale, beta: 1, into: w)
            case let lora as LoRAAdapter:
                Gemm.multiply(lora.b.value, lora.a.value, alpha: lora.scale, beta: 1, into: w)
            default:
                break
            }
            weight.value = w
            e.target.linear.adapter = nil
        }
    }
}
