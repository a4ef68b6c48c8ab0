/// Q4_1: f16 `d`, f16 `m`, 16 bytes of nibbles as in Q4_0; value `nibble · d + m`.
enum Q4_1Format: GGMLBlockFormat {
    static let type = GGMLType.q4_1
    static let halfScaleOffsets = [0, 2]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = BlockBytes.half(block, 0)
        let m = BlockBytes.half(block, 2)
        let qs = BlockBytes.bytes(block, 4)
        for j in 0 ..< 16 {
            y[j] = Float(qs[j] & 0x0f) * d + m
            y[j + 16] = Float(qs[j] >> 4) * d + m
        }
    }
}

extension Q4_1Format: GGMLBlockEncoding {
    /// `d = (max − min) / 15`, `m = min`, nibble `min(15, trunc((x − min) / d + 0.5))`
    /// (`quantize_row_q4_1_ref`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let (lo, hi) = EncodingRounding.range(x, 32)
        let d = (hi - lo) / 15
        let id = EncodingRounding.reciprocal(d)
        EncodingRounding.storeHalf(d, block, 0)
        EncodingRounding.storeHalf(lo, block, 2)
        LowNibbles.pack(block + 4) { j in min(15, EncodingRounding.truncatedByte((x[j] - lo) * id + 0.5)) }
    }
}
