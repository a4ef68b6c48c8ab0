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
