/// Whole-tensor reductions: sum, dot product, squared L2 norm, largest magnitude, finiteness.
///
/// The tensor is cut into fixed blocks of 16,384 elements whose partial results are combined
/// in block order, so a result never depends on how many threads ran. Within a block, 16 fp32
/// lanes each add up at most 64 terms before the partial moves into an fp64 total: sums over
/// tens of millions of elements (a gradient's squared norm) keep about fp32 precision instead
/// of drifting with the element count.
public enum Reductions {
    /// Σ x[i], accumulated as described above and returned in fp64.
    public static func sum(_ x: Tensor) -> Double {
        blockedSum(SumTerm(x: x.pointer), count: x.count)
    }

    /// Σ x[i]·y[i]; `x` and `y` must hold the same number of elements.
    public static func dot(_ x: Tensor, _ y: Tensor) -> Double {
        Elementwise.checkCounts("dot", x, y)
        return blockedSum(DotTerm(x: x.pointer, y: y.pointer), count: x.count)
    }

    /// Σ x[i]² (the squared L2 / Frobenius norm), e.g. for gradient clipping.
    public static func squaredNorm(_ x: Tensor) -> Double {
        blockedSum(DotTerm(x: x.pointer, y: x.pointer), count: x.count)
    }

    /// max |x[i]| (0 for an empty tensor). NaN elements are not reliably reported: check
    /// `isFinite` first when they may occur.
    public static func maxAbs(_ x: Tensor) -> Float {
        let count = x.count
        if count == 0 { return 0 }
        let p = x.pointer
        let blocks = (count + blockSize - 1) / blockSize
        var partials = [Float](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(blocks, minChunk: 1) { range in
                for b in range {
                    let lo = b * blockSize, hi = min(count, lo + blockSize)
                    var acc = SIMD16<Float>()
                    var i = lo
                    while i + laneCount <= hi {
                        let magnitude = absoluteLanes(loadLanes(p, i))
                        acc.replace(with: magnitude, where: magnitude .> acc)
                        i += laneCount
                    }
                    var m = acc.max()
                    while i < hi { m = max(m, abs(p[i])); i += 1 }
                    out[b] = m
                }
            }
        }
        return partials.max() ?? 0
    }

    /// Whether every element is finite (no NaN, no ±infinity): the check that stops training
    /// on a diverged loss or gradient.
    public static func isFinite(_ x: Tensor) -> Bool {
        let count = x.count
        if count == 0 { return true }
        let p = x.pointer
        let blocks = (count + blockSize - 1) / blockSize
        var partials = [Bool](repeating: true, count: blocks)
        partials.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(blocks, minChunk: 1) { range in
                for b in range {
                    let lo = b * blockSize, hi = min(count, lo + blockSize)
                    // x − x is 0 for every finite x and NaN for NaN and ±infinity; NaN then
                    // survives every later addition.
                    var acc = SIMD16<Float>()
                    var i = lo
                    while i + laneCount <= hi {
                        let v = loadLanes(p, i)
                        acc += v - v
                        i += laneCount
                    }
                    var finite = all(acc .== 0)
                    while i < hi { finite = finite && p[i].isFinite; i += 1 }
                    out[b] = finite
                }
            }
        }
        return !partials.contains(false)
    }

    // MARK: - Blocked fp32/fp64 summation

    static let blockSize = 16_384
    /// Vectors added in fp32 before their sum moves to the fp64 total.
    static let vectorsPerFlush = 64

    static func blockedSum<Term: SummationTerm>(_ term: Term, count: Int) -> Double {
        if count == 0 { return 0 }
        let blocks = (count + blockSize - 1) / blockSize
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(blocks, minChunk: 1) { range in
                for b in range {
                    let lo = b * blockSize
                    out[b] = sumBlock(term, lo, min(count, lo + blockSize))
                }
            }
        }
        var total = 0.0
        for partial in partials { total += partial }
        return total
    }

    @inline(__always)
    static func sumBlock<Term: SummationTerm>(_ term: Term, _ lo: Int, _ hi: Int) -> Double {
        var total = 0.0
        var i = lo
        while i < hi {
            let stop = min(hi, i + vectorsPerFlush * laneCount)
            var acc = SIMD16<Float>()
            while i + laneCount <= stop {
                term.accumulate(into: &acc, at: i)
                i += laneCount
            }
            total += SIMD16<Double>(acc).sum()
            while i < stop {
                total += Double(term.scalar(at: i))
                i += 1
            }
        }
        return total
    }
}

/// |v| lane by lane, by clearing the sign bits.
@inline(__always)
func absoluteLanes(_ v: SIMD16<Float>) -> SIMD16<Float> {
    unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
}

/// One term of a blocked sum, 16 lanes or one element at a time.
protocol SummationTerm {
    func accumulate(into acc: inout SIMD16<Float>, at i: Int)
    func scalar(at i: Int) -> Float
}

struct SumTerm: SummationTerm {
    let x: UnsafeMutablePointer<Float>
    @inline(__always) func accumulate(into acc: inout SIMD16<Float>, at i: Int) {
        acc += loadLanes(x, i)
    }
    @inline(__always) func scalar(at i: Int) -> Float { x[i] }
}

struct DotTerm: SummationTerm {
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    @inline(__always) func accumulate(into acc: inout SIMD16<Float>, at i: Int) {
        acc.addProduct(loadLanes(x, i), loadLanes(y, i))
    }
    @inline(__always) func scalar(at i: Int) -> Float { x[i] * y[i] }
}
