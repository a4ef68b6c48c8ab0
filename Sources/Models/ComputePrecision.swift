import NN
import Tensor

/// What the frozen weights' matrix products compute in.
public enum ComputePrecision: String, CaseIterable, Sendable, Codable {
    /// fp32 weights and activations through OpenBLAS: matches the reference implementations
    /// to fp32 rounding.
    case fp32
    /// Frozen weights decoded to bf16 panel by panel, activations rounded to bf16 as they enter
    /// those products, sums in fp32 (AVX-512 BF16). Trainable weights, adapters, norms,
    /// attention and the loss stay fp32. Faster, at a loss difference of about 0.1-0.2%.
    case bf16

    /// The products' precision.
    public var productPrecision: ProductPrecision { self == .bf16 ? .bf16 : .fp32 }
}

extension AdaptableModel {
    /// Sets the precision of every linear layer's products. Weights keep their storage (packed
    /// or dense): bf16 only changes what the products decode them into, and trainable weights
    /// multiply in fp32 whatever is set here.
    public func use(_ precision: ComputePrecision) throws {
        guard precision == .fp32 || Gemm.bf16Supported else {
            throw ModelError.invalidConfiguration("bf16 precision needs a CPU with AVX-512 BF16, which this one lacks; use fp32")
        }
        for linear in linearLayers { linear.productPrecision = precision.productPrecision }
    }
}
