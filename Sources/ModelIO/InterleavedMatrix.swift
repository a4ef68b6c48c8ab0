import Foundation
import QuantDot
import Tensor

/// A quantised weight matrix (Q4_K, Q4_0, Q4_1, Q5_0, Q5_1 or Q8_0) copied out of its file once,
/// its rows interleaved by 8 as llama.cpp's CPU backend repacks them (`lorasb_x8_pack`): the
/// same bytes as the file's, arranged so that a q8 product multiplies 8 rows at once, converts
/// each block's scales once for them, and needs no per-row horizontal sum. Those products are
/// what decoding a quantised model spends most of its time in.
///
/// `--precision q8` makes it (`FileBackedMatrix.interleavedForQ8`, called by `use(.q8)`), as
/// llama.cpp repacks at load; training keeps the file's rows, which its fp32 and bf16 panels
/// decode directly. It then is the matrix's only copy: decoding a row for an fp32 product unpacks
/// it back to ggml's layout first (bit for bit), and the file's pages for it are handed back to
/// the kernel after the copy (`MappedFile.releasePages`), so resident memory holds it once.
public final class InterleavedMatrix: PackedMatrix, @unchecked Sendable {
    /// Whether `use(.q8)` interleaves the matrices that have the form; false keeps them in the
    /// file's rows (for comparisons).
    nonisolated(unsafe) public static var isEnabled = true

    public let rows: Int
    public let columns: Int
    public let type: GGMLType
    private let rowBytes: Int
    private let storage: UnsafeMutableRawPointer

    /// Whether a `[rows, columns]` matrix of `type` has an interleaved form (and it is enabled).
    public static func applies(to type: GGMLType, rows: Int, columns: Int) -> Bool {
        isEnabled && lorasb_x8_supports(type.rawValue) != 0 && rows % 8 == 0 && rows > 0 && columns % type.blockSize == 0
    }

    /// The matrix `source` leaves in its file, copied and interleaved. The file's pages for it
    /// are then given back (read again from the file if anything touches them).
    public init(_ source: FileBackedMatrix) {
        precondition(Self.applies(to: source.type, rows: source.rows, columns: source.columns),
                     "no interleaved form for \(source.type) \(source.rows)×\(source.columns)")
        rows = source.rows
        columns = source.columns
        type = source.type
        rowBytes = source.rowBytes
        storage = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        let shared = UncheckedBox((source.base, storage))
        let (columns, rowBytes, type) = (columns, rowBytes, type)
        // A few MB at a time, giving back each slice's file pages as soon as it is copied (rows
        // in file order), so that a large matrix (a 150 MB vocabulary head) is never resident twice.
        let groupsPerSlice = max(1, Self.sliceBytes / (8 * rowBytes)), groupCount = rows / 8
        let pack = { (order: UnsafePointer<Int64>?) in
            for first in stride(from: 0, to: groupCount, by: groupsPerSlice) {
                let slice = first ..< min(groupCount, first + groupsPerSlice)
                Parallel.forEachChunk(slice.count, minChunk: 16) { part in
                    lorasb_x8_pack(type.rawValue, shared.value.0, rowBytes, order, Int32(columns),
                                   Int32(slice.lowerBound + part.lowerBound), Int32(slice.lowerBound + part.upperBound),
                                   shared.value.1)
                }
                if order == nil {
                    source.file.releasePages(offset: source.offset + 8 * slice.lowerBound * rowBytes, length: 8 * slice.count * rowBytes)
                }
            }
        }
        if let order = source.storedRowOrder { order.withUnsafeBufferPointer { pack($0.baseAddress) } } else { pack(nil) }
        source.file.releasePages(offset: source.offset, length: rows * rowBytes)
    }

    /// Bytes of the file copied between two hand-backs of its pages.
    static let sliceBytes = 4 << 20

    deinit { storage.deallocate() }

    public var byteCount: Int { rows * rowBytes }

    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let format = GGUFDequantizer.format(type), blocks = columns / type.blockSize
        let row = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 16)
        defer { row.deallocate() }
        for (i, r) in range.enumerated() {
            lorasb_x8_unpack_row(type.rawValue, storage, Int32(columns), Int32(r), row)
            format.decodeBlocks(row, count: blocks, into: out + i * columns)
        }
    }

    public var quantizedRows: QuantizedRows? { QuantizedRows(interleaved: type.rawValue, base: storage, rowBytes: rowBytes) }
}
