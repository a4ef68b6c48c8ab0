/// The type tag of a GGUF metadata value, as stored in the file.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type occupies in a file (a string or array needs at
    /// least its length prefix). Used to bound counts read from a file by the bytes left.
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }
}

/// A GGUF metadata value.
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8)
    case uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// Any integer value as `Int`, when it fits; nil for other types.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    /// Any number (float or integer) as `Double`; nil for other types.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The array, for an array value.
    public var array: GGUFArray? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The elements of an array value, each boxed as a `GGUFValue`.
    public var arrayValue: [GGUFValue]? { array?.values }

    /// The elements of an array of strings (such as `tokenizer.ggml.tokens`).
    public var stringArray: [String]? {
        if case .array(.string(let v)) = self { return v }
        return nil
    }

    /// The elements of an array of integers (such as `tokenizer.ggml.token_type`), when all fit `Int`.
    public var intArray: [Int]? { array?.intValues }

    /// The elements of an array of numbers (such as `tokenizer.ggml.scores`) as `Float`.
    public var floatArray: [Float]? { array?.floatValues }
}

/// A GGUF metadata array, stored by element type so that large arrays (vocabularies, scores)
/// take no more memory than their bytes in the file.
public enum GGUFArray: Equatable, Sendable {
    case uint8([UInt8]), int8([Int8])
    case uint16([UInt16]), int16([Int16])
    case uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64])
    case float32([Float]), float64([Double])
    case bool([Bool])
    case string([String])
    /// An array of arrays (each inner array has its own element type).
    case array([GGUFArray])

    /// The one mapping from the storage cases: element type, count, and element `i` boxed as a
    /// `GGUFValue`. `elementType`, `count` and `values` all read it.
    private var elements: (type: GGUFValueType, count: Int, element: (Int) -> GGUFValue) {
        switch self {
        case .uint8(let a): return (.uint8, a.count, { .uint8(a[$0]) })
        case .int8(let a): return (.int8, a.count, { .int8(a[$0]) })
        case .uint16(let a): return (.uint16, a.count, { .uint16(a[$0]) })
        case .int16(let a): return (.int16, a.count, { .int16(a[$0]) })
        case .uint32(let a): return (.uint32, a.count, { .uint32(a[$0]) })
        case .int32(let a): return (.int32, a.count, { .int32(a[$0]) })
        case .uint64(let a): return (.uint64, a.count, { .uint64(a[$0]) })
        case .int64(let a): return (.int64, a.count, { .int64(a[$0]) })
        case .float32(let a): return (.float32, a.count, { .float32(a[$0]) })
        case .float64(let a): return (.float64, a.count, { .float64(a[$0]) })
        case .bool(let a): return (.bool, a.count, { .bool(a[$0]) })
        case .string(let a): return (.string, a.count, { .string(a[$0]) })
        case .array(let a): return (.array, a.count, { .array(a[$0]) })
        }
    }

    public var elementType: GGUFValueType { elements.type }

    public var count: Int { elements.count }

    /// Every element boxed as a `GGUFValue`.
    public var values: [GGUFValue] {
        let e = elements
        return (0 ..< e.count).map(e.element)
    }

    /// Integer elements as `Int`; nil for non-integer arrays or values that do not fit.
    public var intValues: [Int]? {
        switch self {
        case .uint8(let a): return a.map(Int.init)
        case .int8(let a): return a.map(Int.init)
        case .uint16(let a): return a.map(Int.init)
        case .int16(let a): return a.map(Int.init)
        case .uint32(let a): return a.map(Int.init)
        case .int32(let a): return a.map(Int.init)
        case .uint64(let a):
            let converted = a.compactMap { Int(exactly: $0) }
            return converted.count == a.count ? converted : nil
        case .int64(let a): return a.map(Int.init)
        default: return nil
        }
    }

    /// Numeric elements as `Float`; nil for strings, booleans and nested arrays.
    public var floatValues: [Float]? {
        switch self {
        case .float32(let a): return a
        case .float64(let a): return a.map(Float.init)
        default: return intValues?.map(Float.init)
        }
    }
}
