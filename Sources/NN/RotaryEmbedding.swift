import Foundation
import Tensor

/// The Llama 3 `rope_scaling` frequency adjustment (`rope_type: "llama3"`): long wavelengths are
/// divided by `factor`, short ones kept, and the band between smoothly interpolated.
public struct Llama3RopeScaling: Equatable, Sendable {
    public var factor: Double
    public var lowFrequencyFactor: Double
    public var highFrequencyFactor: Double
    public var originalMaxPositionEmbeddings: Int

    public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double,
                originalMaxPositionEmbeddings: Int) {
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }
}

/// How rotary frequencies are rescaled for long contexts (`rope_scaling` / `rope_parameters`).
public enum RotaryScaling: Equatable, Sendable {
    /// Transformers' "linear" type: every inverse frequency divided by `factor`.
    case linear(factor: Double)
    /// Llama 3.1's band-wise rescaling.
    case llama3(Llama3RopeScaling)
}

/// Rotary position embeddings in the Hugging Face Llama convention ("rotate_half"): the head
/// dimension is split into two halves and element `i` of the first half is rotated with
/// element `i` of the second by the angle `position · inv_freq[i]`,
/// `inv_freq[i] = theta^(−2i / head_dim)`:
///
///     out[i]       = x[i] · cos − x[i + d/2] · sin
///     out[i + d/2] = x[i + d/2] · cos + x[i] · sin
///
/// Angles are formed in fp32 exactly as Transformers does (`Float(position) · inv_freq`), then
/// their cosine and sine are tabulated per position (the table grows with the longest position
/// seen; it is a cache of this instance, not shared state).
public final class RotaryEmbedding {
    public let headDimension: Int
    public let theta: Double
    public let scaling: RotaryScaling?
    /// `inv_freq`, `headDimension / 2` values (after any Llama 3 scaling).
    public let inverseFrequencies: [Float]

    private var cosines: [Float] = []   // [positions, half]
    private var sines: [Float] = []
    private var tabulatedPositions = 0

    public init(headDimension: Int, theta: Double, scaling: RotaryScaling? = nil) {
        precondition(headDimension > 0 && headDimension % 2 == 0, "RoPE needs an even head dimension, got \(headDimension)")
        self.headDimension = headDimension
        self.theta = theta
        self.scaling = scaling
        switch scaling {
        case .linear(let factor)?:
            precondition(factor > 0, "linear RoPE scaling needs a positive factor")
            inverseFrequencies = RotaryEmbedding.inverseFrequencies(
                headDimension: headDimension, theta: theta, scaling: nil).map { Float(Double($0) / factor) }
        case .llama3(let s)?:
            inverseFrequencies = RotaryEmbedding.inverseFrequencies(
                headDimension: headDimension, theta: theta, scaling: s)
        case nil:
            inverseFrequencies = RotaryEmbedding.inverseFrequencies(
                headDimension: headDimension, theta: theta, scaling: nil)
        }
    }

    /// Llama 3 scaling (or none).
    public convenience init(headDimension: Int, theta: Double, scaling: Llama3RopeScaling?) {
        self.init(headDimension: headDimension, theta: theta, scaling: scaling.map { .llama3($0) })
    }

    /// `1 / theta^(2i/d)` for `i < d/2`, adjusted as Transformers' `_compute_llama3_parameters`
    /// when `scaling` is given.
    public static func inverseFrequencies(headDimension d: Int, theta: Double,
                                          scaling: Llama3RopeScaling?) -> [Float] {
        var inv = (0..<(d / 2)).map { i in Double(Float(1) / Float(pow(theta, Double(2 * i) / Double(d)))) }
        if let s = scaling {
            let old = Double(s.originalMaxPositionEmbeddings)
            let lowWavelength = old / s.lowFrequencyFactor
            let highWavelength = old / s.highFrequencyFactor
            inv = inv.map { f in
                let wavelength = 2 * Double.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / s.factor }
                let smooth = (old / wavelength - s.lowFrequencyFactor)
                    / (s.highFrequencyFactor - s.lowFrequencyFactor)
                return (1 - smooth) * f / s.factor + smooth * f
            }
        }
        return inv.map { Float($0) }
    }

    /// Cosine and sine of `position · inv_freq[i]` (for tests and incremental decoding).
    public func angles(position: Int) -> (cos: [Float], sin: [Float]) {
        ensureTable(upTo: position + 1)
        let half = headDimension / 2
        return (Array(cosines[(position * half)..<((position + 1) * half)]),
                Array(sines[(position * half)..<((position + 1) * half)]))
    }

    private func ensureTable(upTo positions: Int) {
        if positions <= tabulatedPositions { return }
        let half = headDimension / 2
        let target = max(positions, 2 * tabulatedPositions)
        cosines.reserveCapacity(target * half)
        sines.reserveCapacity(target * half)
        for p in tabulatedPositions..<target {
            for i in 0..<half {
                let angle = Double(Float(p) * inverseFrequencies[i])
                cosines.append(Float(cos(angle)))
                sines.append(Float(sin(angle)))
            }
        }
        tabulatedPositions = target
    }

    /// Rotates `x` in place. `x` is `[tokens, heads · headDimension]` (any leading shape whose
    /// rows are tokens); `positions[t]` is token `t`'s position.
    public func apply(_ x: Tensor, heads: Int, positions: [Int]) {
        rotate(x, heads: heads, positions: positions, inverse: false)
    }

    /// Backward of `apply` (the rotation's transpose, i.e. by the negative angle), in place on
    /// the gradient.
    public func applyBackward(_ dx: Tensor, heads: Int, positions: [Int]) {
        rotate(dx, heads: heads, positions: positions, inverse: true)
    }

    private func rotate(_ x: Tensor, heads: Int, positions: [Int], inverse: Bool) {
        let d = headDimension, half = d / 2, width = heads * d
        precondition(x.columns == width, "RoPE on \(x.shape) with \(heads) heads of \(d)")
        precondition(positions.count == x.rows, "RoPE needs one position per token: \(positions.count) for \(x.rows)")
        guard let maxPosition = positions.max() else { return }
        precondition(positions.allSatisfy { $0 >= 0 }, "negative RoPE position")
        ensureTable(upTo: maxPosition + 1)
        let sign: Float = inverse ? -1 : 1
        let base = x.pointer
        cosines.withUnsafeBufferPointer { cp in
            sines.withUnsafeBufferPointer { sp in
                positions.withUnsafeBufferPointer { pp in
                    guard let c0 = cp.baseAddress, let s0 = sp.baseAddress else { return }
                    Parallel.forEachRow(x.rows, rowCost: width * 3) { t in
                        let c = c0 + pp[t] * half, s = s0 + pp[t] * half
                        for h in 0..<heads {
                            let p1 = base + t * width + h * d, p2 = p1 + half
                            for i in 0..<half {
                                let a = p1[i], b = p2[i], sn = sign * s[i]
                                p1[i] = a * c[i] - b * sn
                                p2[i] = b * c[i] + a * sn
                            }
                        }
                    }
                }
            }
        }
    }
}
