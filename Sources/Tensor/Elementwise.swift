/// Element-wise arithmetic on whole tensors, split over the cores and run 16 lanes at a time.
///
/// Tensors are flat sequences here: operands must hold the same number of elements (their
/// shapes may differ, e.g. `[8, 128, 576]` and `[1024, 576]`). The output may be one of the
/// inputs (in-place update), but must not otherwise overlap them. Mismatched element counts
/// are programming errors and trap.
public enum Elementwise {
    /// `c = a + b`.
    public static func add(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        checkCounts("add", a, b, c)
        LaneKernels.zip(AddOperation(), a.pointer, b.pointer, c.pointer, count: c.count)
    }

    /// `c = a − b`.
    public static func subtract(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        checkCounts("subtract", a, b, c)
        LaneKernels.zip(SubtractOperation(), a.pointer, b.pointer, c.pointer, count: c.count)
    }

    /// `c = a ⊙ b` (Hadamard product).
    public static func multiply(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        checkCounts("multiply", a, b, c)
        LaneKernels.zip(MultiplyOperation(), a.pointer, b.pointer, c.pointer, count: c.count)
    }

    /// `y = factor · x`; pass the same tensor twice to scale in place.
    public static func scale(_ x: Tensor, by factor: Float, into y: Tensor) {
        checkCounts("scale", x, y)
        LaneKernels.map(ScaleOperation(factor: factor), x.pointer, y.pointer, count: y.count)
    }

    /// `y += alpha · x` (BLAS axpy), each element a fused multiply-add. With `alpha = 1` this
    /// is the accumulation of one gradient into another.
    public static func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) {
        checkCounts("axpy", x, y)
        LaneKernels.zip(AxpyOperation(alpha: alpha), x.pointer, y.pointer, y.pointer, count: y.count)
    }

    /// `y = x`, the copy split over the cores (for large activation buffers).
    public static func copy(_ x: Tensor, into y: Tensor) {
        checkCounts("copy", x, y)
        if x.pointer == y.pointer { return }
        LaneKernels.map(CopyOperation(), x.pointer, y.pointer, count: y.count)
    }

    /// Every element of `y` set to `value`.
    public static func fill(_ y: Tensor, with value: Float) {
        let p = y.pointer
        Parallel.forEachChunk(y.count, minChunk: LaneKernels.minimumChunk) { range in
            (p + range.lowerBound).update(repeating: value, count: range.count)
        }
    }

    /// `y = min(max(x, lower), upper)`; NaN elements stay NaN.
    public static func clamp(_ x: Tensor, lower: Float, upper: Float, into y: Tensor) {
        precondition(lower <= upper, "clamp: lower bound \(lower) above upper bound \(upper)")
        checkCounts("clamp", x, y)
        LaneKernels.map(ClampOperation(lower: lower, upper: upper), x.pointer, y.pointer,
                        count: y.count)
    }

    static func checkCounts(_ name: StaticString, _ tensors: Tensor...) {
        let n = tensors[0].count
        for t in tensors.dropFirst() where t.count != n {
            preconditionFailure("\(name): element counts differ: \(tensors.map(\.shape))")
        }
    }
}
