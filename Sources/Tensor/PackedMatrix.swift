import BF16GEMM

/// A frozen `[rows, columns]` matrix kept in a compact form (quantised blocks, bf16, f16, or
/// fp32 memory that belongs to someone else, such as a mapped file) and decoded row by row
/// when a product needs it.
///
/// Products never decode the whole matrix at once: `Gemm.packedProduct` decodes a panel of
/// rows into a buffer it reuses, multiplies, and moves on, so no fp32 copy of the matrix
/// exists. Decoding is read-only and serial per call; callers split rows over the cores.
public protocol PackedMatrix: AnyObject, Sendable {
    var rows: Int { get }
    var columns: Int { get }
    /// Bytes the compact form holds (what this matrix costs in memory or in mapped pages).
    var byteCount: Int { get }
    /// Writes rows `range` as fp32 to `out`, `columns` values per row, one row after another.
    func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>)
    /// Writes rows `range` as bf16 to `out`, rows `stride` values apart.
    func decodeRowsBF16(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int)
    /// The whole matrix as row-major fp32 in place, when that is how it is stored (products then
    /// read it directly, no decoding); nil otherwise.
    var floatRows: UnsafePointer<Float>? { get }
    /// The whole matrix as row-major bf16 in place (row stride `columns`), or nil.
    var bf16Rows: UnsafePointer<UInt16>? { get }
    /// The rows as ggml quantised blocks in place, when that is how they are stored, or nil.
    var quantizedRows: QuantizedRows? { get }
    /// The same values in a form whose q8 products are faster (rows interleaved by 8), or nil
    /// when there is none. Made once, by the caller that switches to q8 products.
    func interleavedForQ8() -> PackedMatrix?
}

extension PackedMatrix {
    public var floatRows: UnsafePointer<Float>? { nil }
    public var bf16Rows: UnsafePointer<UInt16>? { nil }
    public var quantizedRows: QuantizedRows? { nil }
    public func interleavedForQ8() -> PackedMatrix? { nil }

    public func decodeRowsBF16(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int) {
        decodeRowsBF16ThroughFloat(range, into: out, stride: stride)
    }

    /// bf16 through fp32, one row at a time (rounded to nearest even, as the kernel's inputs are).
    public func decodeRowsBF16ThroughFloat(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(1, columns))
        defer { row.deallocate() }
        for (i, r) in range.enumerated() {
            decodeRows(r..<(r + 1), into: row)
            lorasb_bf16_from_f32(row, out + i * stride, columns)
        }
    }

    /// The whole matrix as a fresh fp32 tensor.
    public func floatTensor() -> Tensor {
        let t = Tensor(zeros: [rows, columns])
        let out = UncheckedBox(t.pointer), width = columns
        Parallel.forEachRowRange(rows, rowCost: columns) { range in
            self.decodeRows(range, into: out.value + range.lowerBound * width)
        }
        return t
    }
}

/// An fp32 tensor seen as a packed matrix: products of dense weights that want bf16 panels
/// go through the same path as compact ones.
public final class DenseMatrix: PackedMatrix, @unchecked Sendable {
    public let tensor: Tensor
    public var rows: Int { tensor.rows }
    public var columns: Int { tensor.columns }
    public var byteCount: Int { tensor.count * MemoryLayout<Float>.size }

    public init(_ tensor: Tensor) { self.tensor = tensor }

    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        out.update(from: tensor.pointer + range.lowerBound * columns, count: range.count * columns)
    }

    public func decodeRowsBF16(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int) {
        for (i, r) in range.enumerated() {
            lorasb_bf16_from_f32(tensor.pointer + r * columns, out + i * stride, columns)
        }
    }

    public var floatRows: UnsafePointer<Float>? { UnsafePointer(tensor.pointer) }
}

/// fp32 → bf16 rounding for packed matrices outside this module.
public enum BF16Rounding {
    /// `out[i] = bf16(values[i])`, rounded to nearest even.
    public static func round(_ values: UnsafePointer<Float>, into out: UnsafeMutablePointer<UInt16>, count: Int) {
        lorasb_bf16_from_f32(values, out, count)
    }
}
