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
