import Foundation

/// Builds GGUF files byte by byte, so tests can write malformed ones.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }

    /// Magic, version and counts.
    mutating func header(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) {
        bytes += Array("GGUF".utf8)
        u32(version)
        u64(tensors)
        u64(kvs)
    }

    mutating func kvString(_ key: String, _ value: String) { string(key); u32(8); string(value) }
    mutating func kvU32(_ key: String, _ value: UInt32) { string(key); u32(4); u32(value) }

    /// A tensor info: name, dims (innermost first), ggml type id, data offset.
    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Zero padding up to a multiple of `alignment`.
    mutating func pad(_ alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    mutating func data(_ count: Int, _ value: UInt8 = 0) { bytes += [UInt8](repeating: value, count: count) }

    /// A well-formed file with one F32 tensor of `n` values (the base the malformed cases edit).
    static func valid(n: Int = 8) -> GGUFBytes {
        var g = GGUFBytes()
        g.header(tensors: 1, kvs: 1)
        g.kvString("general.architecture", "llama")
        g.tensorInfo("w", dims: [UInt64(n)], type: 0, offset: 0)
        g.pad()
        g.data(4 * n)
        return g
    }
}

/// Builds safetensors files from a header text and a data size.
enum SafeTensorsBytes {
    static func file(header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out += $0 }
        out += h
        out += [UInt8](repeating: 0, count: dataBytes)
        return out
    }
}

/// A small deterministic generator for fuzzing (SplitMix64).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
