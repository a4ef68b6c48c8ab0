import NN
import Tensor

extension AdapterSet {
    /// Folds every adapter into its layer's weight (`W ← W + s·B R A`, as the method defines
    /// it) and detaches it: the model then computes exactly what it did with the adapter
    /// attached, with no extra work per token. The weight is replaced, never written in place.
    public func mergeIntoBase() {
        for e in entries {
            let linear = e.target.linear
            if let adapter = e.adapter { linear.weight.value = adapter.merged(into: linear.weight.value) }
            linear.adapter = nil
        }
    }
}
