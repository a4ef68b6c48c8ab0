import Foundation
import QuantDot
import Tensor

/// A Q4_K weight matrix copied out of its file once, its rows interleaved by 8 as llama.cpp's
/// CPU backend repacks them (`lorasb_q4K_x8_pack`): the same bytes as the file's, arranged so
/// that a batch-1 product multiplies 8 rows at once and needs no per-row horizontal sum. That
/// product is what decoding a Q4_K_M model spends most of its time in.
///
/// It is the matrix's only copy: decoding for fp32 and bf16 products unpacks a row back to
/// ggml's layout first (bit for bit), and the file's pages for it are handed back to the kernel
/// after the copy (`MappedFile.releasePages`), so resident memory holds the weight once.
public final class InterleavedQ4KMatrix: PackedMatrix, @unchecked Sendable {
    /// Q4_K matrices with a multiple of 8 rows load interleaved; false keeps them in the
    /// mapping as other types (for comparisons).
    nonisolated(unsafe) public static var isEnabled = true

    public let rows: Int
    public let columns: Int
    private let rowBytes: Int
    private let storage: UnsafeMutableRawPointer

    /// Whether a `[rows, columns]` matrix of `type` loads interleaved.
    public static func applies(to type: GGMLType, rows: Int, columns: Int) -> Bool {
        isEnabled && type == .q4_K && rows % 8 == 0 && rows > 0 && columns % type.blockSize == 0
    }

    /// The `[rows, columns]` Q4_K tensor at byte `offset` of `file`, its matrix row `i` being
    /// stored row `rowOrder[i]` when given.
    public init(file: MappedFile, offset: Int, rows: Int, columns: Int, rowOrder: [Int]?, name: String) throws {
        precondition(Self.applies(to: .q4_K, rows: rows, columns: columns), "interleaved Q4_K shape of \(name)")
        let rowBytes = try FileBackedMatrix.checkedRowBytes(file: file, offset: offset, rows: rows, columns: columns,
                                                            type: .q4_K, rowOrder: rowOrder, name: name)
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        storage = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        let order = rowOrder.map { $0.map(Int64.init) }
        let out = UncheckedBox(storage)
        try file.withBytes(offset: offset, length: rows * rowBytes) { raw in
            let source = UncheckedBox(raw.baseAddress!)
            let pack = { (order: UnsafePointer<Int64>?) in
                Parallel.forEachChunk(rows / 8, minChunk: 64) { groups in
                    lorasb_q4K_x8_pack(source.value, rowBytes, order, Int32(columns), Int32(groups.lowerBound),
                                       Int32(groups.upperBound), out.value)
                }
            }
            if let order { order.withUnsafeBufferPointer { pack($0.baseAddress) } } else { pack(nil) }
        }
        file.releasePages(offset: offset, length: rows * rowBytes)
    }

    deinit { storage.deallocate() }

    public var byteCount: Int { rows * rowBytes }

    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let format = GGUFDequantizer.format(.q4_K), blocks = columns / GGMLType.q4_K.blockSize
        let row = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 16)
        defer { row.deallocate() }
        for (i, r) in range.enumerated() {
            lorasb_q4K_x8_unpack_row(storage, Int32(columns), Int32(r), row)
            format.decodeBlocks(row, count: blocks, into: out + i * columns)
        }
    }

    public var quantizedRows: QuantizedRows? { QuantizedRows(interleavedQ4K: storage, rowBytes: rowBytes) }
}
