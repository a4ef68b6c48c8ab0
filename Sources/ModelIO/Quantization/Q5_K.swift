/// Q5_K: Q4_K with a fifth bit. Bytes: f16 `d`, f16 `dmin`, 12 bytes of scales and mins, 32
/// bytes `qh` (bit `g` of byte `l` is the high bit of value `l` of group `g`), 128 bytes of
/// nibbles as in Q4_K. Value `(d · scale) · (nibble + 16·bit) − dmin · min`.
enum Q5_KFormat: GGMLBlockFormat {
    static let type = GGMLType.q5_K
    static let halfScaleOffsets = [0, 2]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let qh = BlockBytes.bytes(block, 16)
        KQuantScales.decode(block, nibblesAt: 48, into: y) { nibble, l, group in
            nibble | ((qh[l] >> UInt8(group)) & 1) << 4
        }
    }
}
