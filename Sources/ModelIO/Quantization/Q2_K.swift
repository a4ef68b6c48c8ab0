/// Q2_K: a super-block of 256 values in 16 groups of 16. Bytes: 16 scale bytes (low nibble a
/// 4-bit scale, high nibble a 4-bit min), 64 bytes of 2-bit quants (`TwoBitQuants`), f16 `d`,
/// f16 `dmin`. Value `(d · scale) · q − dmin · min`.
enum Q2_KFormat: GGMLBlockFormat {
    static let type = GGMLType.q2_K
    static let halfScaleOffsets = [80, 82]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let scales = BlockBytes.bytes(block, 0)
        let d = BlockBytes.half(block, 80)
        let dmin = BlockBytes.half(block, 82)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { groupScales in
            for g in 0 ..< 16 {
                groupScales[g] = d * Float(scales[g] & 0x0f)
                groupScales[16 + g] = dmin * Float(scales[g] >> 4)
            }
            TwoBitQuants.forEachValue(BlockBytes.bytes(block, 16), into: y) { group, _, _, q in
                groupScales[group] * Float(q) - groupScales[16 + group]
            }
        }
    }
}
