/// The drivers behind the element-wise kernels: split a flat range over the cores with
/// `Parallel`, run each chunk 16 lanes at a time, finish the tail scalar by scalar.
///
/// The per-element operation is a value of a small struct type rather than a closure, so each
/// kernel is a generic specialisation with the operation inlined into its loop.

/// `y[i] = f(x[i])`.
protocol UnaryLaneOperation {
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float>
    func callAsFunction(_ x: Float) -> Float
}

/// `z[i] = f(x[i], y[i])`.
protocol BinaryLaneOperation {
    func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float>
    func callAsFunction(_ x: Float, _ y: Float) -> Float
}

enum LaneKernels {
    /// Elements below which one thread does the whole job: thread hand-off costs more than
    /// streaming this much memory.
    static let minimumChunk = 16_384

    /// `output[i] = op(input[i])` for `i in 0..<count`; `output` may be `input` itself.
    @inline(__always)
    static func map<Op: UnaryLaneOperation>(
        _ op: Op, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minChunk: minimumChunk) { range in
            var i = range.lowerBound
            while i + laneCount <= range.upperBound {
                storeLanes(op(loadLanes(input, i)), output, i)
                i += laneCount
            }
            while i < range.upperBound {
                output[i] = op(input[i])
                i += 1
            }
        }
    }

    /// `output[i] = op(x[i], y[i])` for `i in 0..<count`; `output` may be `x` or `y`.
    @inline(__always)
    static func zip<Op: BinaryLaneOperation>(
        _ op: Op, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minChunk: minimumChunk) { range in
            var i = range.lowerBound
            while i + laneCount <= range.upperBound {
                storeLanes(op(loadLanes(x, i), loadLanes(y, i)), output, i)
                i += laneCount
            }
            while i < range.upperBound {
                output[i] = op(x[i], y[i])
                i += 1
            }
        }
    }
}

// MARK: - The operations

struct AddOperation: BinaryLaneOperation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { x + y }
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x + y }
}

struct SubtractOperation: BinaryLaneOperation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { x - y }
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x - y }
}

struct MultiplyOperation: BinaryLaneOperation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { x * y }
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x * y }
}

/// `alpha · x + y`, one rounding per element (fused multiply-add).
struct AxpyOperation: BinaryLaneOperation {
    let alpha: Float
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> {
        y.addingProduct(SIMD16(repeating: alpha), x)
    }
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float {
        y.addingProduct(alpha, x)
    }
}

struct ScaleOperation: UnaryLaneOperation {
    let factor: Float
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x * factor }
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * factor }
}

struct CopyOperation: UnaryLaneOperation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x }
}

/// `min(max(x, lower), upper)`; NaN stays NaN (it compares false with both bounds).
struct ClampOperation: UnaryLaneOperation {
    let lower: Float
    let upper: Float
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var v = x
        v.replace(with: SIMD16(repeating: lower), where: x .< lower)
        v.replace(with: SIMD16(repeating: upper), where: x .> upper)
        return v
    }
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        x < lower ? lower : (x > upper ? upper : x)
    }
}
