import Foundation
import Tensor

/// Element-wise kernels the layers need (bias add, sums, activations), split over the cores with
/// `Parallel` and vectorised with `SIMD16`. Kept inside NN: they are the glue between sgemm calls.
enum LayerKernels {
    typealias Vector = RowKernels.Vector

    /// Calls `body(range)` over `0..<count` in parallel chunks, with SIMD-friendly boundaries.
    @inline(__always)
    static func chunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forEachChunk(count, minChunk: 32_768) { r in body(r) }
    }

    /// `y[r, :] += bias` for every row.
    static func addBias(_ bias: Tensor, to y: Tensor) {
        let cols = y.columns
        precondition(bias.count == cols, "bias of \(bias.count) for rows of \(cols)")
        let b = bias.pointer, p = y.pointer
        Parallel.forEachRow(y.rows, rowCost: cols) { r in
            let row = p + r * cols
            var i = 0
            while i + 16 <= cols {
                RowKernels.store(RowKernels.load(row + i) + RowKernels.load(b + i), row + i)
                i += 16
            }
            while i < cols { row[i] += b[i]; i += 1 }
        }
    }

    /// `out += a` element-wise (`out` may not alias `a`).
    static func add(_ a: Tensor, into out: Tensor) {
        precondition(a.count == out.count, "add: \(a.shape) into \(out.shape)")
        let x = a.pointer, y = out.pointer
        chunks(a.count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound {
                RowKernels.store(RowKernels.load(y + i) + RowKernels.load(x + i), y + i)
                i += 16
            }
            while i < r.upperBound { y[i] += x[i]; i += 1 }
        }
    }

    /// `out = a + b` element-wise.
    static func sum(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.count == out.count && b.count == out.count, "sum: shapes differ")
        let x = a.pointer, z = b.pointer, y = out.pointer
        chunks(a.count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound {
                RowKernels.store(RowKernels.load(x + i) + RowKernels.load(z + i), y + i)
                i += 16
            }
            while i < r.upperBound { y[i] = x[i] + z[i]; i += 1 }
        }
    }

    /// Splits `rows` into at most `Parallel.cores` chunks; each chunk gets its own zeroed
    /// partial accumulator of `width` floats, and the partials are then added into `out`.
    /// Used for column sums (bias and norm-weight gradients) without write races.
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

    /// `out[j] += Σ_r x[r, j]`.
    static func addColumnSums(of x: Tensor, into out: Tensor) {
        let cols = x.columns
        precondition(out.count == cols, "column sums of \(cols) into \(out.count)")
        let p = x.pointer
        accumulateOverRows(x.rows, width: cols, into: out.pointer) { range, acc in
            for r in range {
                let row = p + r * cols
                var i = 0
                while i + 16 <= cols {
                    RowKernels.store(RowKernels.load(acc + i) + RowKernels.load(row + i), acc + i)
                    i += 16
                }
                while i < cols { acc[i] += row[i]; i += 1 }
            }
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

    /// Exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))`, as BERT uses (scalar `erf` per element).
    static func gelu(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        chunks(count) { r in
            for i in r {
                let v = x[i]
                out[i] = 0.5 * v * (1 + erf(v * Float(0.70710678118654752)))
            }
        }
    }

    /// GELU backward: `dx = dy · (Φ(x) + x · φ(x))`. `dx` may alias `dy`.
    static func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, count: Int) {
        chunks(count) { r in
            for i in r {
                let v = x[i]
                let cdf = 0.5 * (1 + erf(v * Float(0.70710678118654752)))
                let pdf = Float(0.39894228040143268) * Foundation.exp(-0.5 * v * v)
                dx[i] = dy[i] * (cdf + v * pdf)
            }
        }
    }
}
