import Foundation
import Tensor

/// How rotary frequencies are rescaled for long contexts (`rope_scaling` / `rope_parameters`).
public enum RotaryScaling: Equatable, Sendable {
    case none
    /// Every frequency divided by `factor`.
    case linear(factor: Float)
    /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth blend between.
    case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float,
                originalMaxPositions: Int)
}

/// Rotary position embedding in the "rotate half" layout Transformers uses: within each head,
/// element `i` pairs with `i + headDim/2`. Cosines and sines are tabulated once per position.
public final class RotaryEmbedding {
    public let headDim: Int
    public let maxPositions: Int
    /// `[maxPositions, headDim/2]` tables.
    let cosTable: [Float]
    let sinTable: [Float]

    public init(headDim: Int, base: Float, scaling: RotaryScaling, maxPositions: Int) {
        precondition(headDim % 2 == 0 && headDim > 0, "rotary head dimension must be even")
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        var inv = (0..<half).map { i -> Float in
            1 / pow(base, Float(2 * i) / Float(headDim))
        }
        switch scaling {
        case .none: break
        case .linear(let factor): inv = inv.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let lowWavelength = Float(original) / low
            let highWavelength = Float(original) / high
            inv = inv.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Float(original) / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
        var c = [Float](repeating: 0, count: maxPositions * half)
        var s = c
        for p in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(Float(p) * inv[i])
                c[p * half + i] = Float(cos(angle))
                s[p * half + i] = Float(sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates, in place, the `heads` head vectors of each row of `x` (`[rows, heads·headDim]`)
    /// by its position `positions[row]`; `inverse` rotates back (the backward pass).
    public func apply(_ x: Tensor, heads: Int, positions: [Int32], inverse: Bool = false) {
        precondition(x.columns == heads * headDim && positions.count == x.rows)
        guard x.rows > 0 else { return }
        let half = headDim / 2, width = x.columns, xp = x.pointer, hd = headDim
        let sign: Float = inverse ? -1 : 1
        cosTable.withUnsafeBufferPointer { cb in
            sinTable.withUnsafeBufferPointer { sb in
                positions.withUnsafeBufferPointer { pb in
                    let cp = cb.baseAddress!, sp = sb.baseAddress!, pp = pb.baseAddress!
                    Parallel.forEachRow(x.rows, rowCost: width) { r in
                        let p = Int(pp[r]) * half
                        for h in 0..<heads {
                            let v = xp + r * width + h * hd
                            for i in 0..<half {
                                let c = cp[p + i], s = sign * sp[p + i]
                                let a = v[i], b = v[i + half]
                                v[i] = a * c - b * s
                                v[i + half] = b * c + a * s
                            }
                        }
                    }
                }
            }
        }
    }
}
