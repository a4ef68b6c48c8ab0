/// One ggml block layout: how many values a block holds, its bytes, and how to turn one block
/// into fp32.
///
/// Each format lives in its own file and follows ggml's `dequantize_row_*` (ggml-quants.c) and
/// the `gguf` package's `dequantize_blocks`: the same products in the same order (`d · sc` first,
/// then `· q`, then `− dmin · m`), with no fused multiply-add, so results are bit-exact.
protocol GGMLBlockFormat {
    static var type: GGMLType { get }
    /// Byte offsets, within a block, of the f16 scales (`d`, `dmin`, `m`) that every value of
    /// the block is multiplied by or offset with. A non-finite one poisons the whole block, so
    /// they are checked once per tensor (`GGUFDequantizer.firstNonFiniteScale`).
    static var halfScaleOffsets: [Int] { get }
    /// Writes the `type.blockSize` values of the block at `block` to `y`.
    static func decodeBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>)
    /// Writes `count` consecutive blocks. A requirement (not only an extension method) so each
    /// format gets its own specialised loop and may replace it (F32 copies).
    static func decodeBlocks(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>)
}

extension GGMLBlockFormat {
    static var halfScaleOffsets: [Int] { [] }

    static func decodeBlocks(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) {
        let bytes = type.blockBytes, size = type.blockSize
        for b in 0 ..< count {
            decodeBlock(blocks + b * bytes, into: y + b * size)
        }
    }
}

/// Little-endian loads shared by the block formats.
enum BlockBytes {
    /// The f16 at `offset` as fp32.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromFloat16Bits: halfBits(p, offset))
    }

    @inline(__always)
    static func halfBits(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func bytes(_ p: UnsafeRawPointer, _ offset: Int) -> UnsafePointer<UInt8> {
        (p + offset).assumingMemoryBound(to: UInt8.self)
    }
}

/// Every block format we decode, by ggml type.
enum GGMLBlockFormats {
    static let all: [any GGMLBlockFormat.Type] = [
        F32Format.self, F16Format.self, BF16Format.self, F64Format.self,
        Q8_0Format.self, Q4_0Format.self, Q4_1Format.self, Q5_0Format.self, Q5_1Format.self,
        Q2_KFormat.self, Q3_KFormat.self, Q4_KFormat.self, Q5_KFormat.self, Q6_KFormat.self,
    ]

    static let byType: [GGMLType: any GGMLBlockFormat.Type] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })
}
