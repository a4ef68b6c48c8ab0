import BF16GEMM

/// A row-major matrix of bfloat16 values: a frozen weight kept at half the bytes of fp32, for
/// `Gemm.bf16Product`. Values are rounded to nearest even from fp32 (denormals flush to zero,
/// as the AVX-512 conversion does).
public final class BF16Matrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    let storage: UnsafeMutablePointer<UInt16>

    /// `matrix` (seen as rows × columns) rounded to bf16.
    public init(_ matrix: Tensor) {
        precondition(Gemm.bf16Supported, "bf16 products need a CPU with AVX-512 BF16")
        rows = matrix.rows
        columns = matrix.columns
        storage = .allocate(capacity: max(1, rows * columns))
        let source = matrix.pointer
        let destination = storage
        Parallel.forEachChunk(rows * columns, minChunk: 1 << 18) { range in
            lorasb_bf16_from_f32(source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }

    deinit { storage.deallocate() }

    /// Bytes held.
    public var byteCount: Int { rows * columns * MemoryLayout<UInt16>.size }
}

extension BF16Matrix: PackedMatrix {
    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        lorasb_f32_from_bf16(storage + range.lowerBound * columns, out, range.count * columns)
    }

    public func decodeRowsBF16(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int) {
        for (i, r) in range.enumerated() { (out + i * stride).update(from: storage + r * columns, count: columns) }
    }

    public var bf16Rows: UnsafePointer<UInt16>? { UnsafePointer(storage) }
}
