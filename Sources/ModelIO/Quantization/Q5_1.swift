/// Q5_1: f16 `d`, f16 `m`, u32 `qh` and nibbles as in Q5_0; value `(nibble | bit << 4) · d + m`.
enum Q5_1Format: GGMLBlockFormat {
    static let type = GGMLType.q5_1
    static let halfScaleOffsets = [0, 2]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = BlockBytes.half(block, 0)
        let m = BlockBytes.half(block, 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let qs = BlockBytes.bytes(block, 8)
        for j in 0 ..< 16 {
            let low = UInt32(qs[j] & 0x0f) | ((qh >> UInt32(j)) & 1) << 4
            let high = UInt32(qs[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(low) * d + m
            y[j + 16] = Float(high) * d + m
        }
    }
}

extension Q5_1Format: GGMLBlockEncoding {
    /// `d = (max − min) / 31`, `m = min`, `q = min(31, trunc((x − min) / d + 0.5))`
    /// (`quantize_row_q5_1_ref`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let (lo, hi) = EncodingRounding.range(x, 32)
        let d = (hi - lo) / 31
        let id = EncodingRounding.reciprocal(d)
        EncodingRounding.storeHalf(d, block, 0)
        EncodingRounding.storeHalf(lo, block, 2)
        LowNibbles.packFiveBits(highBitsAt: block + 4, nibblesAt: block + 8) { j in
            min(31, EncodingRounding.truncatedByte((x[j] - lo) * id + 0.5))
        }
    }
}
