extension GGUFDequantizer {
    /// `dequantize(_:type:count:into:)` on the calling thread only, for callers that already
    /// split their work over the cores (a packed matrix decoding a few rows of a panel).
    /// `raw` points at whole blocks: `count` must be a multiple of the type's block size.
    static func dequantizeSerially(_ raw: UnsafeRawPointer, type: GGMLType, count: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        if type == .f32 {
            UnsafeMutableRawPointer(out).copyMemory(from: raw, byteCount: count * 4)
            return
        }
        for b in 0 ..< count / type.blockSize {
            decodeBlock(raw + b * type.blockBytes, type: type, into: out + b * type.blockSize)
        }
    }
}
