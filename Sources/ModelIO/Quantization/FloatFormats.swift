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

extension F32Format: GGMLBlockEncoding {
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeBytes(of: x.pointee.bitPattern.littleEndian, as: UInt32.self)
    }
}

extension F16Format: GGMLBlockEncoding {
    /// Rounded to nearest even (`astype(np.float16)`).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        EncodingRounding.storeHalf(x.pointee, block, 0)
    }
}

extension BF16Format: GGMLBlockEncoding {
    /// The top half of the binary32, rounded to nearest even as `gguf.quants.BF16` and
    /// `ggml_compute_fp32_to_bf16` do (in 64 bits, so the largest values round to infinity).
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let n = UInt64(x.pointee.bitPattern)
        let rounded = (n + 0x7fff + ((n >> 16) & 1)) >> 16
        block.storeBytes(of: UInt16(truncatingIfNeeded: rounded).littleEndian, as: UInt16.self)
    }
}
