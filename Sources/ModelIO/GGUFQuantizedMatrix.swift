import Foundation

/// A 2-D tensor of a GGUF file left in its stored (possibly quantised) form, decoded row range
/// by row range on demand, for callers that keep weights compact and expand only the rows a
/// product needs.
///
/// Made by `GGUFFile.quantizedMatrix(named:)`, which checks the type is supported and the block
/// scales are finite, so decoding never meets a poisoned block. It keeps the file mapped.
public struct GGUFQuantizedMatrix: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    /// Rows (ggml's `ne[1]`, the outer dimension).
    public let rows: Int
    /// Values per row (ggml's `ne[0]`, innermost), a whole number of blocks.
    public let rowLength: Int
    let file: MappedFile
    let byteRange: Range<Int>

    /// Stored bytes of one row.
    public var rowBytes: Int { rowLength / type.blockSize * type.blockBytes }

    /// Decodes rows `range` into `out` (`range.count × rowLength` floats) on the calling thread:
    /// safe inside an already-parallel loop. See `GGUFDequantizer.dequantizeRows`.
    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        withRawBytes { raw in
            GGUFDequantizer.dequantizeRows(raw, type: type, rowLength: rowLength, rows: range, into: out)
        }
    }

    /// Decodes the whole matrix (`rows × rowLength` floats) into `out`, split over the cores.
    public func decodeAll(into out: UnsafeMutablePointer<Float>) {
        withRawBytes { raw in
            GGUFDequantizer.dequantize(raw, type: type, count: rows * rowLength, into: out)
        }
    }

    /// Calls `body` with the stored bytes of the whole matrix.
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // The range was checked against the file when it opened.
        try file.data.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[byteRange]))
        }
    }
}
