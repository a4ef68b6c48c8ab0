/// Q8_0: f16 scale `d`, 32 × int8 `q`; value `q · d`.
enum Q8_0Format: GGMLBlockFormat {
    static let type = GGMLType.q8_0
    static let halfScaleOffsets = [0]

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = BlockBytes.half(block, 0)
        let q = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0 ..< 32 { y[j] = Float(q[j]) * d }
    }
}

extension Q8_0Format: GGMLBlockEncoding {
    /// `d = amax / 127`, `q = round(x / d)` half away from zero (`quantize_row_q8_0_ref`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0 ..< 32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id = EncodingRounding.reciprocal(d)
        EncodingRounding.storeHalf(d, block, 0)
        for j in 0 ..< 32 {
            block.storeBytes(of: EncodingRounding.truncatedByte((x[j] * id).rounded(.toNearestOrAwayFromZero)),
                             toByteOffset: 2 + j, as: UInt8.self)
        }
    }
}
