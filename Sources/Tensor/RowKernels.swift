import Foundation

/// Row-wise kernels on row-major matrices: softmax over each row (and its backward), and the
/// per-row statistics LayerNorm and RMSNorm need. Rows are split over the cores with `Parallel`;
/// each row is walked with `SIMD16<Float>`.
///
/// Pointers may alias where a function says so (e.g. softmax in place); otherwise inputs and
/// outputs must not overlap.
public enum RowKernels {
    /// SIMD lanes used by the row loops.
    public typealias Vector = SIMD16<Float>

    // MARK: Softmax

    /// `y[r, :] = softmax(x[r, :])` for `rows` rows of `columns` values (`x` may equal `y`).
    ///
    /// Entries equal to `-infinity` (masked) come out as exactly 0; a row whose every entry is
    /// `-infinity` comes out as all zeros rather than NaN. When `logSumExp` is given, it receives
    /// `log Σ exp(x[r, :])` for every row (`-infinity` for a fully masked row), which lets a
    /// cross-entropy take `logSumExp − x[label]` without losing digits to `log(p)`.
    public static func softmax(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        logSumExp: UnsafeMutablePointer<Float>? = nil
    ) {
        if rows <= 0 || columns <= 0 { return }
        Parallel.forEachRow(rows, rowCost: columns * 4) { r in
            softmaxRow(x + r * columns, into: y + r * columns, columns: columns,
                       logSumExp: logSumExp.map { $0 + r })
        }
    }

    /// Softmax of one row of `columns` values (`x` may equal `y`) on the calling thread, as
    /// `softmax` does for each of its rows (`logSumExp` receives `log Σ exp(x)`). For callers
    /// that already split their work over the cores.
    @inline(__always)
    public static func softmaxRow(_ xr: UnsafePointer<Float>, into yr: UnsafeMutablePointer<Float>,
                                  columns: Int, logSumExp: UnsafeMutablePointer<Float>? = nil) {
        let m = rowMax(xr, columns)
        if m == -.infinity {
            yr.update(repeating: 0, count: columns)
            logSumExp?.pointee = -.infinity
            return
        }
        // exp(x - max), summed; then scale by 1/sum.
        var acc = Vector.zero
        var i = 0
        let shift = Vector(repeating: m)
        while i + 16 <= columns {
            let e = exp(load(xr + i) - shift)
            store(e, yr + i)
            acc += e
            i += 16
        }
        var sum = horizontalSum(acc)
        while i < columns {
            let e = scalarExp(xr[i] - m)
            yr[i] = e
            sum += e
            i += 1
        }
        let inv = 1 / sum
        scale(yr, columns, by: inv)
        logSumExp?.pointee = m + Foundation.log(sum)
    }

    /// Softmax backward: `dx[r, :] = y[r, :] ⊙ (dy[r, :] − ⟨dy[r, :], y[r, :]⟩)`, where `y` is the
    /// softmax output. `dx` may equal `dy`.
    public static func softmaxBackward(
        output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        if rows <= 0 || columns <= 0 { return }
        Parallel.forEachRow(rows, rowCost: columns * 3) { r in
            softmaxBackwardRow(output: y + r * columns, gradient: dy + r * columns,
                               into: dx + r * columns, columns: columns)
        }
    }

    /// Softmax backward of one row on the calling thread (`dx` may equal `dy` or `y`).
    @inline(__always)
    public static func softmaxBackwardRow(
        output yr: UnsafePointer<Float>, gradient gr: UnsafePointer<Float>,
        into dr: UnsafeMutablePointer<Float>, columns: Int
    ) {
        let dot = Vector(repeating: self.dot(yr, gr, columns))
        var i = 0
        while i + 16 <= columns {
            let yv = load(yr + i)
            store(yv * (load(gr + i) - dot), dr + i)
            i += 16
        }
        while i < columns {
            dr[i] = yr[i] * (gr[i] - dot[0])
            i += 1
        }
    }

    // MARK: Normalisation statistics

    /// Per-row mean and `1 / sqrt(var + epsilon)` (biased variance, as LayerNorm uses), computed
    /// in two passes for accuracy. `mean` and `inverseStd` receive `rows` values each.
    public static func meanAndInverseStd(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
        mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>
    ) {
        if rows <= 0 { return }
        precondition(columns > 0, "meanAndInverseStd: rows need at least one column")
        Parallel.forEachRow(rows, rowCost: columns * 2) { r in
            let xr = x + r * columns
            let mu = sum(xr, columns) / Float(columns)
            let shift = Vector(repeating: mu)
            var acc = Vector.zero
            var i = 0
            while i + 16 <= columns {
                let d = load(xr + i) - shift
                acc.addProduct(d, d)
                i += 16
            }
            var ss = horizontalSum(acc)
            while i < columns {
                let d = xr[i] - mu
                ss += d * d
                i += 1
            }
            mean[r] = mu
            inverseStd[r] = 1 / (ss / Float(columns) + epsilon).squareRoot()
        }
    }

    /// Per-row `1 / sqrt(mean(x²) + epsilon)`, the RMSNorm statistic (Llama).
    public static func inverseRootMeanSquare(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
        into inverseRMS: UnsafeMutablePointer<Float>
    ) {
        if rows <= 0 { return }
        precondition(columns > 0, "inverseRootMeanSquare: rows need at least one column")
        Parallel.forEachRow(rows, rowCost: columns) { r in
            let xr = x + r * columns
            let ms = dot(xr, xr, columns) / Float(columns)
            inverseRMS[r] = 1 / (ms + epsilon).squareRoot()
        }
    }

    // MARK: Tensor conveniences

    /// Softmax over the last dimension of `x` into `y` (same shape; may be the same tensor).
    public static func softmax(_ x: Tensor, into y: Tensor) {
        precondition(x.shape == y.shape, "softmax: \(x.shape) into \(y.shape)")
        softmax(x.pointer, into: y.pointer, rows: x.rows, columns: x.columns)
    }

    /// Softmax backward over the last dimension (`y` is the softmax output).
    public static func softmaxBackward(output y: Tensor, gradient dy: Tensor, into dx: Tensor) {
        precondition(y.shape == dy.shape && y.shape == dx.shape,
                     "softmaxBackward: shapes \(y.shape), \(dy.shape), \(dx.shape) differ")
        softmaxBackward(output: y.pointer, gradient: dy.pointer, into: dx.pointer,
                        rows: y.rows, columns: y.columns)
    }

    // MARK: Vector helpers (shared with layers that need the same inner loops)

    /// `e^x` lane-wise: Cephes-style range reduction and a degree-6 polynomial (relative error
    /// about 1.2e-7 over the normal range). Inputs below -87.3 give exactly 0 (so `-infinity`
    /// does); inputs above 88.7 are clamped (≈ 3.3e38); NaN stays NaN.
    ///
    /// Written with operations that lower to vector instructions: `clamped`, `pointwiseMin/Max`
    /// (lane loops with NaN handling) and float→int SIMD conversions run lane by lane and made
    /// this up to 100× slower.
    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let lower: Float = -87.33654, upper: Float = 88.72283
        let under = x .< Vector(repeating: lower)
        let lowerBound = Vector(repeating: lower), upperBound = Vector(repeating: upper)
        var v = x.replacing(with: lowerBound, where: under)
        v.replace(with: upperBound, where: x .> upperBound)
        // Adding 1.5·2^23 rounds to an integer n, whose bits then sit in the low mantissa.
        let magic = Vector(repeating: 12_582_912)
        let shifted = v * 1.44269504088896341 + magic
        let n = shifted - magic
        v = v - n * 0.693359375
        v = v + n * 2.12194440e-4
        var p = Vector(repeating: 1.9875691500E-4)
        p = p * v + 1.3981999507E-3
        p = p * v + 8.3334519073E-3
        p = p * v + 4.1665795894E-2
        p = p * v + 1.6666665459E-1
        p = p * v + 5.0000001201E-1
        p = p * v * v + v + 1
        // Scale by 2^n through the exponent bits; n ∈ [-126, 128], split in two factors so
        // that n = 128 does not overflow the exponent field.
        let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let half = ni &>> 1
        let rest = ni &- half
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: Vector.self)
        let s2 = unsafeBitCast((rest &+ 127) &<< 23, to: Vector.self)
        var result = p * s1 * s2
        result.replace(with: 0, where: under)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// Scalar `e^x` with the same behaviour as the vector form (used for row tails).
    @inline(__always)
    public static func scalarExp(_ x: Float) -> Float {
        exp(Vector(repeating: x))[0]
    }

    @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    public static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Largest lane, by halving. (`SIMD.max()` reduces lane by lane through memory and cost
    /// ~20× more, which dominated softmax over short attention rows.)
    @inline(__always)
    public static func horizontalMax(_ v: Vector) -> Float {
        let l8 = v.lowHalf, h8 = v.highHalf
        let m8 = l8.replacing(with: h8, where: h8 .> l8)
        let l4 = m8.lowHalf, h4 = m8.highHalf
        let m4 = l4.replacing(with: h4, where: h4 .> l4)
        let l2 = m4.lowHalf, h2 = m4.highHalf
        let m2 = l2.replacing(with: h2, where: h2 .> l2)
        return m2[0] > m2[1] ? m2[0] : m2[1]
    }

    /// Sum of the lanes, by halving.
    @inline(__always)
    public static func horizontalSum(_ v: Vector) -> Float {
        let s8 = v.lowHalf + v.highHalf
        let s4 = s8.lowHalf + s8.highHalf
        let s2 = s4.lowHalf + s4.highHalf
        return s2[0] + s2[1]
    }

    /// Largest value of a row.
    @inline(__always)
    public static func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = Vector(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            let v = load(p + i)
            m.replace(with: v, where: v .> m)
            i += 16
        }
        var s = horizontalMax(m)
        while i < n {
            s = Swift.max(s, p[i])
            i += 1
        }
        return s
    }

    /// Sum of a row.
    @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector.zero
        var i = 0
        while i + 16 <= n {
            acc += load(p + i)
            i += 16
        }
        var s = horizontalSum(acc)
        while i < n {
            s += p[i]
            i += 1
        }
        return s
    }

    /// Inner product of two rows.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector.zero
        var i = 0
        while i + 16 <= n {
            acc.addProduct(load(a + i), load(b + i))
            i += 16
        }
        var s = horizontalSum(acc)
        while i < n {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// Multiplies a row by a scalar in place.
    @inline(__always)
    public static func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, by factor: Float) {
        let f = Vector(repeating: factor)
        var i = 0
        while i + 16 <= n {
            store(load(p + i) * f, p + i)
            i += 16
        }
        while i < n {
            p[i] *= factor
            i += 1
        }
    }
}
