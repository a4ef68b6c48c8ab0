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
    /// For inference: products with quantised frozen weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
    /// Q4_K, Q5_K, Q6_K), prompts and decoding steps alike, quantise the activations to 8-bit
    /// blocks and take integer dot products on the weights' blocks, as llama.cpp does; other
    /// weight types stay fp32. Not for training.
    case q8

    /// The products' precision.
    public var productPrecision: ProductPrecision {
        switch self {
        case .fp32: return .fp32
        case .bf16: return .bf16
        case .q8: return .q8
        }
    }
}

extension AdaptableModel {
    /// Sets the precision of every linear layer's products. Weights keep their storage (packed
    /// or dense): bf16 only changes what the products decode them into, and trainable weights
    /// multiply in fp32 whatever is set here. q8 also interleaves the quantised weights' rows
    /// by 8 for its products (`InterleavedMatrix`), once, as llama.cpp repacks them at load;
    /// they stay so afterwards, in any precision.
    public func use(_ precision: ComputePrecision) throws {
        guard precision != .bf16 || Gemm.bf16Supported else {
            throw ModelError.invalidConfiguration("bf16 precision needs a CPU with AVX-512 BF16, which this one lacks; use fp32")
        }
        for linear in linearLayers {
            if precision == .q8 { linear.weight.interleaveForQ8() }
            linear.productPrecision = precision.productPrecision
        }
    }
}
