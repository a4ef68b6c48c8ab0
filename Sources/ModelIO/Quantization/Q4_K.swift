/// Q4_K: 256 values in 8 groups of 32. Bytes: f16 `d`, f16 `dmin`, 12 bytes of 6-bit scales and
/// mins, 128 bytes of nibbles (`KQuantScales.decode` walks them). Value
/// `(d · scale) · nibble − dmin · min`.
enum Q4_KFormat: GGMLBlockFormat {
    static let type = GGMLType.q4_K
    static let halfScaleOffsets = [0, 2]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        KQuantScales.decode(block, nibblesAt: 16, into: y) { nibble, _, _ in nibble }
    }
}
