/// The packing the 32-value 4- and 5-bit formats share: byte `j` holds value `j`'s low nibble
/// and value `j + 16`'s in its high nibble; Q5's fifth bits go to a little-endian u32, bit `j`
/// for value `j`.
enum LowNibbles {
    /// Writes 16 bytes of nibbles for the 32 values `q(0) … q(31)` (each below 16).
    @inline(__always)
    static func pack(_ out: UnsafeMutableRawPointer, _ q: (Int) -> UInt8) {
        for j in 0 ..< 16 {
            out.storeBytes(of: (q(j) & 0x0f) | (q(j + 16) << 4), toByteOffset: j, as: UInt8.self)
        }
    }

    /// Writes the fifth bits of the 32 values `q(0) … q(31)` (each below 32) as a u32 at
    /// `highBitsAt` and their low nibbles as `pack` does at `nibblesAt`.
    @inline(__always)
    static func packFiveBits(highBitsAt high: UnsafeMutableRawPointer, nibblesAt low: UnsafeMutableRawPointer,
                             _ q: (Int) -> UInt8) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { values in
            var qh: UInt32 = 0
            for j in 0 ..< 32 {
                values[j] = q(j)
                qh |= UInt32(values[j] >> 4 & 1) << UInt32(j)
            }
            high.storeBytes(of: qh.littleEndian, as: UInt32.self)
            pack(low) { values[$0] }
        }
    }
}
