extension GGUFDequantizer {
    /// `dequantize(_:type:count:into:)` on the calling thread only, for callers that already
    /// split their work over the cores (a packed matrix decoding a few rows of a panel).
    /// `raw` points at whole blocks: `count` must be a multiple of the type's block size.
    static func dequantizeSerially(_ raw: UnsafeRawPointer, type: GGMLType, count: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        format(type).decodeBlocks(raw, count: count / type.blockSize, into: out)
    }
}
