import Foundation
import Tensor

/// Gradient clipping by the global L2 norm, as `torch.nn.utils.clip_grad_norm_` does it.
public enum GradientClipping {
    /// The L2 norm of all `gradients` taken together. Accumulated in Double on one thread, in a
    /// fixed order, so the result (and hence a resumed run) is the same bit for bit every time;
    /// the trained tensors (adapter cores, a classifier head) are small enough for that.
    public static func globalNorm(_ gradients: [Tensor]) -> Double {
        var total = 0.0
        for g in gradients {
            var lanes = SIMD8<Double>()
            let p = g.pointer, n = g.count
            var j = 0
            while j + 8 <= n {
                var x = SIMD8<Double>()
                for k in 0..<8 { x[k] = Double(p[j + k]) }
                lanes += x * x
                j += 8
            }
            var tail = 0.0
            while j < n { let x = Double(p[j]); tail += x * x; j += 1 }
            total += lanes.sum() + tail
        }
        return total.squareRoot()
    }

    /// Scales `gradients` in place so their global norm is at most `maxNorm` and returns the norm
    /// they had before: when `norm > maxNorm` each is multiplied by `maxNorm / (norm + 1e-6)`
    /// (torch multiplies by that factor clamped to 1).
    ///
    /// A `maxNorm` of 0 (or less, or infinite) turns clipping off, as the Transformers Trainer
    /// treats `max_grad_norm = 0`; the norm is still returned for the log. A non-finite norm (an
    /// overflowed or NaN gradient) is returned without touching the gradients, so the caller can
    /// skip the step instead of writing NaN into the weights.
    @discardableResult
    public static func clip(_ gradients: [Tensor], maxNorm: Double) -> Double {
        let norm = globalNorm(gradients)
        guard norm.isFinite, maxNorm > 0, maxNorm.isFinite else { return norm }
        let coefficient = maxNorm / (norm + 1e-6)
        guard coefficient < 1 else { return norm }
        let scale = Float(coefficient)
        for g in gradients {
            let box = UncheckedBox(g.pointer)
            Parallel.forEachChunk(g.count) { range in
                let p = box.value
                for j in range { p[j] *= scale }
            }
        }
        return norm
    }
}
