import Foundation
import Tensor

/// The activation kernels the layers need (GELU, SiLU, tanh and their derivatives) and the
/// row-partial accumulation of the norms' weight gradients, split over the cores with
/// `Parallel` and vectorised with `SIMD16`. Plain arithmetic (bias add, bias gradient) comes
/// from Tensor's `Elementwise`.
enum LayerKernels {
    typealias Vector = RowKernels.Vector

    /// Calls `body(range)` over `0..<count` in parallel chunks, with SIMD-friendly boundaries.
    @inline(__always)
    static func chunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forEachChunk(count, minChunk: 32_768) { r in body(r) }
    }

    /// Splits `rows` into at most `Parallel.cores` chunks; each chunk gets its own zeroed
    /// partial accumulator of `width` floats, and the partials are then added into `out`.
    /// Used for the norms' weight gradients (summed over rows) without write races.
    static func accumulateOverRows(
        _ rows: Int, width: Int, into out: UnsafeMutablePointer<Float>,
        _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        if rows <= 0 || width <= 0 { return }
        let parts = min(Parallel.cores, max(1, rows * width / 16_384), rows)
        let per = (rows + parts - 1) / parts
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts * width)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: parts * width)
        Parallel.forEachChunk(parts, minChunk: 1) { chunkRange in
            for c in chunkRange {
                let lo = c * per, hi = min(rows, lo + per)
                if lo < hi { body(lo..<hi, partials + c * width) }
            }
        }
        for c in 0..<parts {
            let p = partials + c * width
            for j in 0..<width { out[j] += p[j] }
        }
    }

    // MARK: Activations

    /// `y = x / (1 + e^{-x})`.
    @inline(__always)
    static func silu(_ x: Vector) -> Vector {
        x / (1 + RowKernels.exp(-x))
    }

    /// Logistic sigmoid.
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + RowKernels.exp(-x))
    }

    /// Applies `f` to every element: `out[i] = f(x[i])` (vector lanes, scalar tail via lane 0).
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                    _ f: (Vector) -> Vector) {
        chunks(count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound {
                RowKernels.store(f(RowKernels.load(x + i)), out + i)
                i += 16
            }
            while i < r.upperBound {
                out[i] = f(Vector(repeating: x[i]))[0]
                i += 1
            }
        }
    }

    /// `out[i] = f(a[i], b[i])`.
    @inline(__always)
    static func map2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                     _ out: UnsafeMutablePointer<Float>, count: Int,
                     _ f: (Vector, Vector) -> Vector) {
        chunks(count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound {
                RowKernels.store(f(RowKernels.load(a + i), RowKernels.load(b + i)), out + i)
                i += 16
            }
            while i < r.upperBound {
                out[i] = f(Vector(repeating: a[i]), Vector(repeating: b[i]))[0]
                i += 1
            }
        }
    }

    /// `erf(x)` lane-wise (Abramowitz & Stegun 7.1.26; absolute error below 1.5e-7, which is
    /// about fp32's own resolution of values near 1).
    @inline(__always)
    static func erf(_ x: Vector) -> Vector {
        let negative = x .< 0
        let a = x.replacing(with: -x, where: negative)
        let t = 1 / (1 + 0.3275911 * a)
        var p = Vector(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let y = 1 - p * t * RowKernels.exp(-a * a)
        return y.replacing(with: -y, where: negative)
    }

    static let inverseSqrt2: Float = 0.70710678118654752
    static let inverseSqrt2Pi: Float = 0.39894228040143268
    static let sqrt2OverPi: Float = 0.79788456080286536

    /// Exact GELU `x · Φ(x) = x/2 · (1 + erf(x/√2))` (BERT's "gelu").
    @inline(__always)
    static func gelu(_ x: Vector) -> Vector {
        0.5 * x * (1 + erf(x * inverseSqrt2))
    }

    /// d GELU / dx `= Φ(x) + x · φ(x)`.
    @inline(__always)
    static func geluDerivative(_ x: Vector) -> Vector {
        let cdf = 0.5 * (1 + erf(x * inverseSqrt2))
        return cdf + x * inverseSqrt2Pi * RowKernels.exp(-0.5 * x * x)
    }

    /// `tanh(u) = 1 − 2 / (e^{2u} + 1)`, exact at the saturated ends.
    @inline(__always)
    static func tanh(_ u: Vector) -> Vector {
        1 - 2 / (RowKernels.exp(2 * u) + 1)
    }

    /// The tanh approximation of GELU (GPT-2's "gelu_new"):
    /// `x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    @inline(__always)
    static func geluTanh(_ x: Vector) -> Vector {
        let inner: Vector = sqrt2OverPi * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + tanh(inner))
    }

    @inline(__always)
    static func geluTanhDerivative(_ x: Vector) -> Vector {
        let x2: Vector = x * x
        let inner: Vector = sqrt2OverPi * (x + 0.044715 * x2 * x)
        let t: Vector = tanh(inner)
        let slope: Vector = sqrt2OverPi * (1 + 0.134145 * x2)
        let left: Vector = 0.5 * (1 + t)
        let right: Vector = 0.5 * x * (1 - t * t) * slope
        return left + right
    }
}
