/// Q3_K: 256 values in 16 groups of 16. Bytes: 32 bytes `hmask` (bit `p` of byte `j` is the
/// high bit of the value at plane `p`, byte `j` of `TwoBitQuants`), 64 bytes of 2-bit quants,
/// 12 bytes of 6-bit signed scales, f16 `d`. The quant is `low − 4` when its high bit is clear,
/// `low` when set; value `(d · (scale − 32)) · q`.
enum Q3_KFormat: GGMLBlockFormat {
    static let type = GGMLType.q3_K
    static let halfScaleOffsets = [108]

    /// Scale `i` of the 16: bytes 0–7 give the low nibbles (scales 0–7 in low nibbles, 8–15 in
    /// high nibbles), bytes 8–11 the two high bits (bits `2·(i / 4)` of byte `8 + i % 4`).
    @inline(__always)
    static func scale(_ packed: UnsafePointer<UInt8>, _ i: Int) -> Int {
        let low = (packed[i % 8] >> UInt8(4 * (i / 8))) & 0x0f
        let high = (packed[8 + i % 4] >> UInt8(2 * (i / 4))) & 0x03
        return Int(low | high << 4) - 32
    }

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let hmask = BlockBytes.bytes(block, 0)
        let packed = BlockBytes.bytes(block, 96)
        let d = BlockBytes.half(block, 108)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { groupScales in
            for g in 0 ..< 16 { groupScales[g] = d * Float(scale(packed, g)) }
            TwoBitQuants.forEachValue(BlockBytes.bytes(block, 32), into: y) { group, plane, j, low in
                groupScales[group] * Float(low - ((hmask[j] >> UInt8(plane)) & 1 != 0 ? 0 : 4))
            }
        }
    }
}
