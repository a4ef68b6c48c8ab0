/// GGUF metadata values as bytes, the inverse of `GGUFFile.readValue`: little-endian numbers,
/// strings as a u64 byte length and UTF-8 bytes, arrays as element type (u32), count (u64) and
/// the elements (an array of arrays: each inner array with its own type and count).
struct GGUFByteBuffer {
    private(set) var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ s: String) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A key/value pair: key, value type, value.
    mutating func append(key: String, value: GGUFValue) {
        append(key)
        append(value.type.rawValue)
        append(value)
    }

    /// A value without its type tag.
    mutating func append(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .float64(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let v): append(v)
        case .array(let a): append(a)
        }
    }

    /// An array: element type, count, elements.
    mutating func append(_ array: GGUFArray) {
        append(array.elementType.rawValue)
        append(UInt64(array.count))
        switch array {
        case .string(let strings): for s in strings { append(s) }
        case .array(let arrays): for a in arrays { append(a) }
        default: for v in array.values { append(v) }
        }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func pad(to alignment: Int) {
        bytes.append(contentsOf: [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment))
    }
}
