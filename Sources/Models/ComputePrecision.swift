import NN
import Tensor

/// What the frozen weights' matrix products compute in.
public enum ComputePrecision: String, CaseIterable, Sendable, Codable {
    /// fp32 weights and activations through OpenBLAS: matches the reference implementations
    /// to fp32 rounding.
    case fp32
    /// bf16 copies of the frozen weights, activations rounded to bf16 as they enter those
    /// products, sums in fp32 (AVX-512 BF16). Trainable weights, adapters, norms, attention
    /// and the loss stay fp32. Faster, at a loss difference of about 0.1-0.2%.
    case bf16
}

extension AdaptableModel {
    /// Sets the precision of every linear layer's product: with `.bf16`, frozen weights get a
    /// bf16 copy (kept from an earlier call) and trainable ones go back to fp32. Call again after
    /// changing which weights train. Returns the bytes the bf16 copies take.
    @discardableResult
    public func use(_ precision: ComputePrecision) throws -> Int {
        guard precision == .bf16 else {
            for linear in linearLayers { linear.useFP32Weight() }
            return 0
        }
        guard Gemm.bf16Supported else {
            throw ModelError.invalidConfiguration("bf16 precision needs a CPU with AVX-512 BF16, which this one lacks; use fp32")
        }
        var bytes = 0
        for linear in linearLayers {
            if linear.weight.isTrainable {
                linear.useFP32Weight()
            } else if linear.bf16Weight == nil {
                linear.useBF16Weight()
            }
            bytes += linear.bf16Weight?.byteCount ?? 0
        }
        return bytes
    }
}
