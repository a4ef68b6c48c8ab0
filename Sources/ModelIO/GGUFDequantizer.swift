import Tensor

/// Converts ggml tensor data to fp32, bit-exact with ggml's reference `dequantize_row_*` and the
/// `gguf` package's `gguf.quants.dequantize`.
///
/// Supported: F32, F16, BF16, F64, the 32-value blocks Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the
/// 256-value K-quant super-blocks Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (each layout is one
/// `GGMLBlockFormat` in Quantization/). Blocks are independent, so whole tensors are split over
/// the cores by block; the row-range entry point is serial, for callers already running in
/// parallel.
///
/// These functions trust their input (sizes are preconditions): `GGUFFile` checks byte ranges
/// and row widths when a file opens and block scales when a tensor is first read.
public enum GGUFDequantizer {
    public static let supportedTypes: [GGMLType] = GGMLBlockFormats.all.map { $0.type }

    public static func supports(_ type: GGMLType) -> Bool { GGMLBlockFormats.byType[type] != nil }

    static func format(_ type: GGMLType) -> any GGMLBlockFormat.Type {
        guard let format = GGMLBlockFormats.byType[type] else { preconditionFailure("unsupported type \(type)") }
        return format
    }

    /// Writes `count` fp32 values decoded from `raw` (which must hold exactly the bytes of
    /// `count` values of `type`) to `out`, split over the cores.
    public static func dequantize(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int,
                                  into out: UnsafeMutablePointer<Float>) {
        let format = format(type)
        precondition(count % type.blockSize == 0 && raw.count == count / type.blockSize * type.blockBytes,
                     "byte count does not match \(count) values of \(type)")
        guard let base = raw.baseAddress, count > 0 else { return }
        let src = UncheckedBox(base), dst = UncheckedBox(out)
        let blocks = count / type.blockSize
        Parallel.forEachChunk(blocks, minChunk: max(1, 65_536 / type.blockSize)) { range in
            format.decodeBlocks(src.value + range.lowerBound * type.blockBytes, count: range.count,
                                into: dst.value + range.lowerBound * type.blockSize)
        }
    }

    /// Decodes rows `rows` of a 2-D tensor of `type` into `out`, on the calling thread.
    ///
    /// `raw` holds the whole tensor: rows of `rowLength` values (ggml's `ne[0]`, the innermost
    /// dimension), each a whole number of blocks, stored one after another. `out` receives
    /// `rows.count × rowLength` floats, row `rows.lowerBound` first. Nothing here spawns
    /// threads, so it may be called from inside `Parallel.forEachChunk` and the like (each
    /// caller decoding its own rows into its own buffer); use `dequantize` for a whole tensor.
    public static func dequantizeRows(_ raw: UnsafeRawBufferPointer, type: GGMLType, rowLength: Int,
                                      rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let format = format(type)
        precondition(rowLength > 0 && rowLength % type.blockSize == 0,
                     "row length \(rowLength) is not a multiple of the \(type) block size \(type.blockSize)")
        let rowBytes = rowLength / type.blockSize * type.blockBytes
        precondition(rows.lowerBound >= 0 && rows.upperBound <= raw.count / rowBytes,
                     "rows \(rows) lie outside the \(raw.count / rowBytes) rows of the tensor")
        guard let base = raw.baseAddress, !rows.isEmpty else { return }
        format.decodeBlocks(base + rows.lowerBound * rowBytes, count: rows.count * rowLength / type.blockSize,
                            into: out)
    }

    /// The index of the first block of `raw` (whole blocks of `type`) whose f16 scale is NaN or
    /// infinite, or nil. Reads two bytes per scale: cheap next to decoding.
    public static func firstNonFiniteScale(_ raw: UnsafeRawBufferPointer, type: GGMLType) -> Int? {
        let offsets = format(type).halfScaleOffsets
        guard let base = raw.baseAddress, !offsets.isEmpty else { return nil }
        let blocks = raw.count / type.blockBytes
        for b in 0 ..< blocks {
            let block = base + b * type.blockBytes
            for offset in offsets where BlockBytes.halfBits(block, offset) & 0x7c00 == 0x7c00 {
                return b  // exponent all ones: infinity or NaN
            }
        }
        return nil
    }
}
