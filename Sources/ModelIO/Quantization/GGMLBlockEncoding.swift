/// A block layout lorasb can also write: one block of fp32 values to its bytes.
///
/// Each format's encoder sits beside its decoder and follows ggml's `quantize_row_*_ref`
/// (ggml-quants.c) as the `gguf` package's `quantize` implements it, bit for bit: the same
/// float32 operations in the same order (no fused multiply-add), scales rounded to f16 to
/// nearest even, and the packing of `gguf.quants`. Inputs are finite (`GGMLEncoder` checks).
protocol GGMLBlockEncoding: GGMLBlockFormat {
    /// Writes the `type.blockBytes` bytes encoding the `type.blockSize` values at `x`.
    static func encodeBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
}

/// Every block format we encode, by ggml type: the one table writers consult.
enum GGMLBlockEncodings {
    static let all: [any GGMLBlockEncoding.Type] = [
        F32Format.self, F16Format.self, BF16Format.self,
        Q8_0Format.self, Q5_0Format.self, Q5_1Format.self, Q4_0Format.self, Q4_1Format.self,
    ]

    static let byType: [GGMLType: any GGMLBlockEncoding.Type] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })
}

/// Converts fp32 values to a ggml type's bytes (see `GGMLBlockEncoding`).
public enum GGMLEncoder {
    /// The types values can be written in, in the table's order.
    public static var supportedTypes: [GGMLType] { GGMLBlockEncodings.all.map { $0.type } }

    public static func supports(_ type: GGMLType) -> Bool { GGMLBlockEncodings.byType[type] != nil }

    /// Encodes the `count` values at `x` (a whole number of `type`'s blocks) into `out`, which
    /// holds `type.byteCount(ofValues: count)` bytes. `name` labels the values in errors: a NaN
    /// or infinite value, an unsupported type or a count that is not whole blocks is refused.
    public static func encode(_ x: UnsafePointer<Float>, count: Int, as type: GGMLType,
                              into out: UnsafeMutableRawPointer, name: String) throws {
        guard let format = GGMLBlockEncodings.byType[type] else {
            throw ModelIOError(name, "cannot write values as \(type) (supported: \(supportedTypes.map(\.description).joined(separator: ", ")))")
        }
        guard count % type.blockSize == 0 else {
            throw ModelIOError(name, "\(count) values are not a whole number of \(type) blocks of \(type.blockSize)")
        }
        if let bad = (0 ..< count).first(where: { !x[$0].isFinite }) {
            throw ModelIOError(name, "value \(bad) is \(x[bad]); only finite values can be written")
        }
        for b in 0 ..< count / type.blockSize {
            format.encodeBlock(x + b * type.blockSize, into: out + b * type.blockBytes)
        }
    }

    /// `values` encoded as `type`, as bytes (small tensors and tests).
    public static func encode(_ values: [Float], as type: GGMLType, name: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.byteCount(ofValues: values.count))
        try values.withUnsafeBufferPointer { x in
            try bytes.withUnsafeMutableBytes { out in
                guard let base = x.baseAddress, let target = out.baseAddress else { return }
                try encode(base, count: values.count, as: type, into: target, name: name)
            }
        }
        return bytes
    }
}

/// The conversions the encoders share, matching numpy's on x86-64.
enum EncodingRounding {
    /// `x` as IEEE binary16 bits, rounded to nearest even (numpy's `astype(np.float16)`,
    /// ggml's `GGML_FP32_TO_FP16`); out of range becomes ±infinity.
    @inline(__always)
    static func halfBits(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// Stores `x` as an f16 at `offset`.
    @inline(__always)
    static func storeHalf(_ x: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: halfBits(x).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// numpy's `trunc(v).astype(np.uint8)` on x86-64: the value truncated through int32 and
    /// wrapped to its low byte; NaN, infinities and values outside int32 give 0 (the CPU's
    /// "integer indefinite" 0x80000000, whose low byte is 0). Reached only by blocks of
    /// near-subnormal values, whose reciprocal scale overflows.
    @inline(__always)
    static func truncatedByte(_ v: Float) -> UInt8 {
        guard v.isFinite, v >= -0x1p31, v < 0x1p31 else { return 0 }
        return UInt8(truncatingIfNeeded: Int32(v.rounded(.towardZero)))
    }

    /// `1 / d`, or 0 when `d` is 0 (`np.where(d == 0, 0, 1 / d)`).
    @inline(__always)
    static func reciprocal(_ d: Float) -> Float { d == 0 ? 0 : 1 / d }

    /// The first value of largest magnitude, with its sign (numpy's `argmax` of `abs`).
    @inline(__always)
    static func signedMaximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best = x[0]
        for j in 1 ..< n where abs(x[j]) > abs(best) { best = x[j] }
        return best
    }

    /// The smallest and largest of `n` values; of equal ones (+0 and −0) the first, as ggml's
    /// loop keeps it. numpy's vectorised `min`/`max` may pick either zero, so a block whose
    /// extreme is a zero of both signs can differ from `gguf.quants` in the sign of `m` only.
    @inline(__always)
    static func range(_ x: UnsafePointer<Float>, _ n: Int) -> (min: Float, max: Float) {
        var lo = x[0], hi = x[0]
        for j in 1 ..< n {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        return (lo, hi)
    }
}
