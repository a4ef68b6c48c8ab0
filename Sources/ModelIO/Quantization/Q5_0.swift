/// Q5_0: f16 `d`, a little-endian u32 `qh` of fifth bits (bit `j` for value `j`), 16 bytes of
/// low nibbles laid out as in Q4_0; value `((nibble | bit << 4) − 16) · d`.
enum Q5_0Format: GGMLBlockFormat {
    static let type = GGMLType.q5_0
    static let halfScaleOffsets = [0]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = BlockBytes.half(block, 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let qs = BlockBytes.bytes(block, 6)
        for j in 0 ..< 16 {
            let low = Int(qs[j] & 0x0f) | Int((qh >> UInt32(j)) & 1) << 4
            let high = Int(qs[j] >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(low - 16) * d
            y[j + 16] = Float(high - 16) * d
        }
    }
}

extension Q5_0Format: GGMLBlockEncoding {
    /// `d = max / −16` (max: the value of largest magnitude), `q = min(31, trunc(x / d + 16.5))`
    /// (`quantize_row_q5_0_ref`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let d = EncodingRounding.signedMaximum(x, 32) / -16
        let id = EncodingRounding.reciprocal(d)
        EncodingRounding.storeHalf(d, block, 0)
        LowNibbles.packFiveBits(highBitsAt: block + 2, nibblesAt: block + 6) { j in
            min(31, EncodingRounding.truncatedByte(x[j] * id + 16.5))
        }
    }
}
