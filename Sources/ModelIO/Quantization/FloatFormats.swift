/// The unquantised float types, as blocks of one value.

enum F32Format: GGMLBlockFormat {
    static let type = GGMLType.f32

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        y.pointee = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
    }

    /// Already fp32: a straight copy.
    static func decodeBlocks(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(y).copyMemory(from: blocks, byteCount: count * 4)
    }
}

enum F16Format: GGMLBlockFormat {
    static let type = GGMLType.f16

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        y.pointee = BlockBytes.half(block, 0)
    }
}

enum BF16Format: GGMLBlockFormat {
    static let type = GGMLType.bf16

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        y.pointee = HalfPrecision.float(fromBFloat16Bits: BlockBytes.halfBits(block, 0))
    }
}

enum F64Format: GGMLBlockFormat {
    static let type = GGMLType.f64

    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        y.pointee = Float(Double(bitPattern: UInt64(littleEndian: block.loadUnaligned(as: UInt64.self))))
    }
}
