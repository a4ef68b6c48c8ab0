import NN
import Tensor

/// A method's update on one linear layer, as everything after attaching sees it: the forward
/// and backward of `LinearAdapter` (which `Linear` calls), plus what training, saving, merging
/// and exporting need. No code outside a method's own file looks at the concrete type.
public protocol Adapter: LinearAdapter {
    /// The factors under their names in the adapter file (`lora_B`, `lora_R`, `lora_A`), in
    /// file order, trained or not. Loading restores them by these names.
    var factors: [(name: String, parameter: Parameter)] { get }
    /// The names of the factors that train, in the order the optimizer holds them.
    var trainedFactorNames: [String] { get }
    /// The layer's weight with the update folded in (`W + s·B R A`): a new tensor, never
    /// written into `base` (frozen weights may be packed, and `base` then a temporary).
    func merged(into base: Tensor) -> Tensor
    /// The update as PEFT's plain LoRA: `lora_A` `[r, in]`, `lora_B` `[out, r]`, whose product
    /// times `lora_alpha / r` (`FineTuningMethod.peftAlpha`) is the update.
    func peftFactors() -> (a: Tensor, b: Tensor)
    /// Tensors PEFT holds besides the two factors, under their name after the module path
    /// (DoRA's `lora_magnitude_vector`); none by default.
    func peftAdditionalTensors() -> [(name: String, tensor: Tensor)]
    /// Runs after backward and before the optimizer step: where a method that reshapes its
    /// factors' gradients (LoRA-Pro) does so. Nothing by default.
    func adjustGradients()
}

extension Adapter {
    public func adjustGradients() {}

    public func peftAdditionalTensors() -> [(name: String, tensor: Tensor)] { [] }

    /// `base + s · left · right` as a new tensor (the merge of a two-sided low-rank update).
    func adding(_ left: Tensor, _ right: Tensor, scale: Float, to base: Tensor) -> Tensor {
        let w = base.copy()
        Gemm.multiply(left, right, alpha: scale, beta: 1, into: w)
        return w
    }

    /// Sets `isTrainable` on every factor: exactly those of `trainedFactorNames`; returns the
    /// trained ones, in that order, named under `modulePath`.
    func markTrainable(modulePath: String) -> [(name: String, parameter: Parameter)] {
        let trained = Set(trainedFactorNames)
        for (name, p) in factors { p.isTrainable = trained.contains(name) }
        return trainedFactorNames.compactMap { name in
            factors.first { $0.name == name }.map { ("\(modulePath).\(name)", $0.parameter) }
        }
    }
}
