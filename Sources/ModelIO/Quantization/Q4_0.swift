/// Q4_0: f16 `d`, 16 bytes; byte `j` holds value `j` in its low nibble and value `j + 16` in
/// its high nibble; value `(nibble − 8) · d`.
enum Q4_0Format: GGMLBlockFormat {
    static let type = GGMLType.q4_0
    static let halfScaleOffsets = [0]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = BlockBytes.half(block, 0)
        let qs = BlockBytes.bytes(block, 2)
        for j in 0 ..< 16 {
            y[j] = Float(Int(qs[j] & 0x0f) - 8) * d
            y[j + 16] = Float(Int(qs[j] >> 4) - 8) * d
        }
    }
}

extension Q4_0Format: GGMLBlockEncoding {
    /// `d = max / −8` (max: the value of largest magnitude), nibble `min(15, trunc(x / d + 8.5))`
    /// (`quantize_row_q4_0_ref`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let d = EncodingRounding.signedMaximum(x, 32) / -8
        let id = EncodingRounding.reciprocal(d)
        EncodingRounding.storeHalf(d, block, 0)
        LowNibbles.pack(block + 2) { j in min(15, EncodingRounding.truncatedByte(x[j] * id + 8.5)) }
    }
}
