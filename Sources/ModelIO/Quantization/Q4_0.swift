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
