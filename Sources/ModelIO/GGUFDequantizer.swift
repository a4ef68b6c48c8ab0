import Tensor

/// Converts ggml tensor data to fp32, bit-exact with ggml's reference `dequantize_row_*`.
///
/// Quantised types store blocks of 32 values:
/// - Q8_0: f16 scale `d`, 32 × int8 `q`; value `q · d`.
/// - Q4_0: f16 `d`, 16 bytes; byte `j` holds value `j` in its low nibble and value `j + 16` in
///   its high nibble; value `(nibble − 8) · d`.
/// - Q4_1: f16 `d`, f16 `m`, 16 bytes as in Q4_0; value `nibble · d + m`.
/// Blocks are independent, so the work is split over the cores by block.
public enum GGUFDequantizer {
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .bf16, .f64, .q8_0, .q4_0, .q4_1]

    public static func supports(_ type: GGMLType) -> Bool { supportedTypes.contains(type) }

    /// Writes `count` fp32 values decoded from `raw` (which must hold exactly the bytes of
    /// `count` values of `type`) to `out`.
    public static func dequantize(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int,
                                  into out: UnsafeMutablePointer<Float>) {
        precondition(supports(type), "unsupported type \(type)")
        precondition(count % type.blockSize == 0 && raw.count == count / type.blockSize * type.blockBytes,
                     "byte count does not match \(count) values of \(type)")
        guard let base = raw.baseAddress, count > 0 else { return }
        let src = UncheckedBox(base)
        let dst = UncheckedBox(out)
        if type == .f32 {  // already fp32: a straight copy
            UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: count * 4)
            return
        }
        let blocks = count / type.blockSize
        Parallel.forEachChunk(blocks, minChunk: max(1, 65_536 / type.blockSize)) { range in
            for b in range {
                decodeBlock(src.value + b * type.blockBytes, type: type,
                            into: dst.value + b * type.blockSize)
            }
        }
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromFloat16Bits: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func decodeBlock(_ p: UnsafeRawPointer, type: GGMLType, into y: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            y.pointee = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .f16:
            y.pointee = half(p, 0)
        case .bf16:
            y.pointee = HalfPrecision.float(fromBFloat16Bits: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        case .f64:
            y.pointee = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        case .q8_0:
            let d = half(p, 0)
            let q = (p + 2).assumingMemoryBound(to: Int8.self)
            for j in 0 ..< 32 { y[j] = Float(q[j]) * d }
        case .q4_0:
            let d = half(p, 0)
            let qs = (p + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0 ..< 16 {
                y[j] = Float(Int(qs[j] & 0x0f) - 8) * d
                y[j + 16] = Float(Int(qs[j] >> 4) - 8) * d
            }
        case .q4_1:
            let d = half(p, 0)
            let m = half(p, 2)
            let qs = (p + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0 ..< 16 {
                y[j] = Float(qs[j] & 0x0f) * d + m
                y[j + 16] = Float(qs[j] >> 4) * d + m
            }
        default:
            break
        }
    }
}
