/// The 12 bytes of 6-bit scales and mins that Q4_K and Q5_K share (ggml's `get_scale_min_k4`):
/// for group `j < 4`, scale = `q[j] & 63`, min = `q[j + 4] & 63`; for `j ≥ 4`, the low four
/// bits come from byte `j + 4` (scale: low nibble, min: high nibble) and the top two from the
/// top bits of byte `j − 4` (scale) or `j` (min).
enum KQuantScales {
    @inline(__always)
    static func scaleMin(_ q: UnsafePointer<UInt8>, _ j: Int) -> (scale: Float, min: Float) {
        if j < 4 {
            return (Float(q[j] & 63), Float(q[j + 4] & 63))
        }
        let scale = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4)
        let min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4)
        return (Float(scale), Float(min))
    }

    /// The walk Q4_K and Q5_K share: f16 `d` and `dmin` at bytes 0 and 2, the packed scales at
    /// 4, 128 bytes of nibbles at `nibblesAt`; each 64 values read 32 nibble bytes, group `2p`
    /// the low nibbles and group `2p + 1` the high ones. `quant(nibble, l, group)` gives the
    /// quant of value `l` of a group; value `(d · scale) · quant − dmin · min`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, nibblesAt: Int, into y: UnsafeMutablePointer<Float>,
                       quant: (_ nibble: UInt8, _ l: Int, _ group: Int) -> UInt8) {
        let d = BlockBytes.half(block, 0)
        let dmin = BlockBytes.half(block, 2)
        let packed = BlockBytes.bytes(block, 4)
        for pair in 0 ..< 4 {
            let q = BlockBytes.bytes(block, nibblesAt + 32 * pair)
            let (s1, m1) = scaleMin(packed, 2 * pair)
            let (s2, m2) = scaleMin(packed, 2 * pair + 1)
            let d1 = d * s1, min1 = dmin * m1
            let d2 = d * s2, min2 = dmin * m2
            let out = y + 64 * pair
            for l in 0 ..< 32 {
                out[l] = d1 * Float(quant(q[l] & 0x0f, l, 2 * pair)) - min1
                out[l + 32] = d2 * Float(quant(q[l] >> 4, l, 2 * pair + 1)) - min2
            }
        }
    }
}
