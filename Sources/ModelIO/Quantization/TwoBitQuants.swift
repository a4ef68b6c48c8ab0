/// The 2-bit quant layout Q2_K and Q3_K share: 64 bytes for 256 values in 16 groups of 16.
/// Each 128-value half reads its 32 bytes four times (bit planes at shifts 0, 2, 4, 6), so value
/// `128·half + 32·plane + j` is bits `2·plane` of byte `32·half + j` and belongs to group
/// `8·half + 2·plane + j / 16`.
enum TwoBitQuants {
    /// Writes `value(group, plane, j, quant)` for every value in order; `plane` counts the
    /// planes over both halves (0…7), `j` is the byte within the half (0…31).
    @inline(__always)
    static func forEachValue(_ quants: UnsafePointer<UInt8>, into y: UnsafeMutablePointer<Float>,
                             _ value: (_ group: Int, _ plane: Int, _ j: Int, _ quant: Int) -> Float) {
        var out = y
        for half in 0 ..< 2 {
            let q = quants + 32 * half
            for plane in 0 ..< 4 {
                let shift = UInt8(2 * plane)
                for j in 0 ..< 32 {
                    out[j] = value(8 * half + 2 * plane + j / 16, 4 * half + plane, j, Int((q[j] >> shift) & 3))
                }
                out += 32
            }
        }
    }
}
