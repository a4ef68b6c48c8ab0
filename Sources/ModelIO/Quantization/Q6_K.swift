/// Q6_K: 256 values in 16 groups of 16. Bytes: 128 bytes of low nibbles, 64 bytes of 2-bit
/// high parts, 16 int8 scales, f16 `d`. Each 128-value half reads 64 nibble bytes `ql` and 32
/// high bytes `qh`: value `l + 32·k` (l < 32, k = 0…3) takes the low nibble of `ql[l]` (k = 0),
/// of `ql[l + 32]` (1), the high nibble of `ql[l]` (2) or of `ql[l + 32]` (3), and bits `2k`,
/// `2k + 1` of `qh[l]` as its high part. Value `(d · scale) · (q − 32)`.
enum Q6_KFormat: GGMLBlockFormat {
    static let type = GGMLType.q6_K
    static let halfScaleOffsets = [208]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let scales = (block + 192).assumingMemoryBound(to: Int8.self)
        let d = BlockBytes.half(block, 208)
        for half in 0 ..< 2 {
            let ql = BlockBytes.bytes(block, 64 * half)
            let qh = BlockBytes.bytes(block, 128 + 32 * half)
            let sc = scales + 8 * half
            let out = y + 128 * half
            for l in 0 ..< 32 {
                let group = l / 16
                let q1 = Int((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32
                let q2 = Int((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32
                let q3 = Int((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
                let q4 = Int((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc[group]) * Float(q1)
                out[l + 32] = d * Float(sc[group + 2]) * Float(q2)
                out[l + 64] = d * Float(sc[group + 4]) * Float(q3)
                out[l + 96] = d * Float(sc[group + 6]) * Float(q4)
            }
        }
    }
}
