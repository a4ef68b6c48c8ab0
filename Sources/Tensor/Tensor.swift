/// A contiguous, row-major fp32 tensor: a shape over a window of a `TensorStorage`.
///
/// `Tensor` is a value holding a reference: copying a `Tensor` shares its storage (as a view
/// does), and writing through `pointer` is visible to every view of the same storage. Use
/// `copy()` for an independent tensor.
public struct Tensor: @unchecked Sendable {
    public let storage: TensorStorage
    public let offset: Int
    public private(set) var shape: [Int]

    /// A zero-filled tensor of `shape`.
    public init(zeros shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.storage = TensorStorage(capacity: n)
        self.offset = 0
        self.shape = shape
    }

    /// A tensor of `shape` holding `values` (row-major).
    public init(shape: [Int], values: [Float]) {
        precondition(Tensor.elementCount(shape) == values.count,
                     "shape \(shape) needs \(Tensor.elementCount(shape)) values, got \(values.count)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            if let p = src.baseAddress { pointer.update(from: p, count: values.count) }
        }
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(zeros: shape)
        pointer.update(repeating: value, count: count)
    }

    /// A view onto `storage` starting at `offset`.
    public init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        precondition(offset >= 0 && offset + Tensor.elementCount(shape) <= storage.capacity,
                     "view \(shape) at \(offset) exceeds storage of \(storage.capacity)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1) { $0 * $1 }
    }

    public var count: Int { Tensor.elementCount(shape) }
    public var rank: Int { shape.count }
    public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// Rows when the tensor is seen as a matrix: the product of every dimension but the last.
    public var rows: Int { shape.count <= 1 ? 1 : Tensor.elementCount(Array(shape.dropLast())) }
    /// Columns when the tensor is seen as a matrix: the last dimension.
    public var columns: Int { shape.last ?? 1 }

    /// The same values under another shape with the same element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(newShape) == count,
                     "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// Rows `range` of the tensor seen as a matrix (no copy).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        return Tensor(storage: storage, offset: offset + range.lowerBound * columns,
                      shape: [range.count, columns])
    }

    /// The `index`-th slice along the first dimension (no copy).
    public subscript(index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "index out of bounds")
        let inner = Array(shape.dropFirst())
        let n = Tensor.elementCount(inner)
        return Tensor(storage: storage, offset: offset + index * n, shape: inner)
    }

    /// An independent copy.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// The values as an array (for tests and small results).
    public var array: [Float] { Array(buffer) }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
    public func zero() { fill(0) }
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy: \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }
}
