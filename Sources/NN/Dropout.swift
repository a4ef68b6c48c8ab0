import Tensor

/// Inverted dropout: in training, each element is zeroed with probability `p` and the rest are
/// scaled by `1/(1−p)`; in evaluation it is the identity. The random stream is this layer's own
/// (seeded SplitMix64), so runs are reproducible and no generator is shared.
///
/// Shapes: any; output and input gradient belong to the layer. Backward reuses the mask of the
/// last training forward.
public final class Dropout {
    public let probability: Float
    private var state: UInt64
    private var mask = ActivationBuffer()
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()
    private var wasTraining = false
    private var shape: [Int] = []

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        self.state = seed
    }

    /// Next 64 random bits (SplitMix64).
    private func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// In evaluation (or with p = 0) returns `x` itself, without copying.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        wasTraining = training && probability > 0
        shape = x.shape
        guard wasTraining else { return x }
        let n = x.count
        let m = mask.tensor(x.shape), y = output.tensor(x.shape)
        let keep = 1 / (1 - probability)
        // Compare 32-bit uniform draws with p·2^32: two draws per 64 random bits.
        let threshold = UInt64(Double(probability) * 4_294_967_296.0)
        let mp = m.pointer
        var i = 0
        while i < n {
            let bits = nextBits()
            mp[i] = (bits & 0xFFFF_FFFF) < threshold ? 0 : keep
            if i + 1 < n { mp[i + 1] = (bits >> 32) < threshold ? 0 : keep }
            i += 2
        }
        LayerKernels.map2(x.pointer, mp, y.pointer, count: n) { $0 * $1 }
        return y
    }

    /// `dx = dy ⊙ mask` after a training forward; `dy` itself after an evaluation forward.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == shape, "Dropout dy \(dy.shape) for x \(shape)")
        guard wasTraining else { return dy }
        let m = mask.tensor(shape), dx = inputGradient.tensor(shape)
        LayerKernels.map2(dy.pointer, m.pointer, dx.pointer, count: dy.count) { $0 * $1 }
        return dx
    }
}
