import Foundation
import Tensor

/// Where one tensor of a GGUF file lives and what it holds.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml's `ne`: dimensions innermost first, as stored in the file.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Offset from the start of the data section, as stored.
    public let relativeOffset: Int
    /// Absolute byte range in the file.
    public let byteRange: Range<Int>

    /// Row-major shape, outermost first: `ne` reversed (ne = [576, 49152] is 49152 × 576).
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF (version 2 or 3) file, memory-mapped: metadata, tensor infos, and fp32 tensors on
/// request (dequantised from any type `GGUFDequantizer` supports).
///
/// Layout: magic `GGUF`, version (u32), tensor count (u64), metadata count (u64), the metadata
/// key/value pairs, the tensor infos (name, dims, type, offset), padding to `general.alignment`
/// (default 32), then the tensor data. All little-endian. Every count and length read from the
/// file is bounded by the bytes that remain before anything is allocated for it, and every
/// tensor's byte range is checked against the file size when the file opens.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian u32
    public static let defaultAlignment = 32
    /// ggml's limit on tensor rank.
    public static let maximumRank = 4
    /// Arrays nested deeper than this are refused (real files nest at most once).
    public static let maximumArrayNesting = 8

    public let url: URL
    let file: MappedFile
    public let version: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensorInfos: [GGUFTensorInfo]
    private let tensorIndex: [String: Int]
    /// Tensors whose block scales have been checked.
    private let validated = LockedSet()
    public let alignment: Int
    /// Byte offset where the data section starts.
    public let dataOffset: Int

    /// Maps and parses the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(file: MappedFile(url))
    }

    /// Parses GGUF bytes already in memory; `url` names them in errors.
    public convenience init(data: Data, url: URL) throws {
        try self.init(file: MappedFile(data: data, url: url))
    }

    init(file: MappedFile) throws {
        let url = file.url
        self.url = url
        self.file = file
        var reader = ByteReader(file)
        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == GGUFFile.magic else {
            throw ModelIOError(url, String(format: "not a GGUF file (magic 0x%08x, expected \"GGUF\")", magic))
        }
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw ModelIOError(url, "big-endian GGUF files are not supported")
            }
            throw ModelIOError(url, "unsupported GGUF version \(version) (versions 2 and 3 are supported)")
        }
        self.version = Int(version)
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let kvCount = try reader.read(UInt64.self, "the metadata count")
        // A key/value pair takes at least 13 bytes, a tensor info at least 24.
        guard kvCount <= UInt64(reader.remaining / 13) else {
            throw ModelIOError(url, "metadata count \(kvCount) cannot fit in the \(reader.remaining) bytes that remain")
        }
        guard tensorCount <= UInt64(reader.remaining / 24) else {
            throw ModelIOError(url, "tensor count \(tensorCount) cannot fit in the \(reader.remaining) bytes that remain")
        }

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(Int(kvCount))
        for i in 0 ..< Int(kvCount) {
            let key = try GGUFFile.readString(&reader, "key of metadata entry \(i)")
            let rawType = try reader.read(UInt32.self, "the type of \"\(key)\"")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw ModelIOError(url, "metadata \"\(key)\" has unknown value type \(rawType)")
            }
            let value = try GGUFFile.readValue(&reader, type: type, key: key, depth: 0)
            guard metadata[key] == nil else {
                throw ModelIOError(url, "metadata key \"\(key)\" appears twice")
            }
            metadata[key] = value
            keys.append(key)
        }
        metadataKeys = keys
        self.metadata = metadata

        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let n = a.intValue, n > 0, n <= 1 << 20, n & (n - 1) == 0 else {
                throw ModelIOError(url, "general.alignment must be a power of two, found \(a)")
            }
            alignment = n
        }
        self.alignment = alignment

        var pending: [(name: String, dims: [Int], type: GGMLType, offset: Int, bytes: Int)] = []
        pending.reserveCapacity(Int(tensorCount))
        var index: [String: Int] = [:]
        for i in 0 ..< Int(tensorCount) {
            let name = try GGUFFile.readString(&reader, "name of tensor \(i)")
            guard index[name] == nil else {
                throw ModelIOError(url, "tensor \"\(name)\" appears twice")
            }
            let rank = try reader.read(UInt32.self, "the rank of \"\(name)\"")
            guard rank >= 1, rank <= UInt32(GGUFFile.maximumRank) else {
                throw ModelIOError(url, "tensor \"\(name)\" has rank \(rank) (1 to \(GGUFFile.maximumRank) allowed)")
            }
            var dims: [Int] = []
            var elements = 1
            // Also bound the product of the non-zero dimensions, so that the element count can
            // be computed in any order (the row-major shape multiplies them reversed).
            var nonZeroProduct = 1
            for d in 0 ..< Int(rank) {
                let raw = try reader.read(UInt64.self, "dimension \(d) of \"\(name)\"")
                guard let dim = Int(exactly: raw) else {
                    throw ModelIOError(url, "tensor \"\(name)\" dimension \(raw) is too large")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                let (nonZero, overflowNonZero) = nonZeroProduct.multipliedReportingOverflow(by: max(dim, 1))
                guard !overflow, !overflowNonZero else {
                    throw ModelIOError(url, "tensor \"\(name)\" dimensions \(dims + [dim]) overflow the element count")
                }
                elements = product
                nonZeroProduct = nonZero
                dims.append(dim)
            }
            let rawType = try reader.read(UInt32.self, "the type of \"\(name)\"")
            guard let type = GGMLType(rawValue: rawType) else {
                throw ModelIOError(url, "tensor \"\(name)\" has unknown ggml type \(rawType)")
            }
            let rawOffset = try reader.read(UInt64.self, "the offset of \"\(name)\"")
            guard dims[0] % type.blockSize == 0 else {
                throw ModelIOError(url, "tensor \"\(name)\" of type \(type) has row length \(dims[0]), not a multiple of its block size \(type.blockSize)")
            }
            let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
            guard !overflow, let offset = Int(exactly: rawOffset) else {
                throw ModelIOError(url, "tensor \"\(name)\" size or offset is too large")
            }
            guard offset % alignment == 0 else {
                throw ModelIOError(url, "tensor \"\(name)\" offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            index[name] = i
            pending.append((name, dims, type, offset, bytes))
        }

        let padding = (alignment - reader.offset % alignment) % alignment
        let dataOffset = reader.offset + padding
        self.dataOffset = dataOffset
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(pending.count)
        for p in pending {
            let (start, overflow) = dataOffset.addingReportingOverflow(p.offset)
            guard !overflow, file.contains(offset: start, length: p.bytes) else {
                throw ModelIOError(url, "tensor \"\(p.name)\" (\(p.bytes) bytes at data offset \(p.offset)) runs past the end of the file (\(file.count) bytes)")
            }
            infos.append(GGUFTensorInfo(name: p.name, dimensions: p.dims, type: p.type,
                                        relativeOffset: p.offset, byteRange: start ..< start + p.bytes))
        }
        let byStart = infos.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw ModelIOError(url, "tensors \"\(a.name)\" and \"\(b.name)\" overlap (bytes \(a.byteRange) and \(b.byteRange))")
        }
        tensorInfos = infos
        tensorIndex = index
    }

    // MARK: reading metadata

    private static func readString(_ reader: inout ByteReader, _ what: @autoclosure () -> String) throws -> String {
        let length = try reader.read(UInt64.self, "the length of the \(what())")
        guard length <= UInt64(reader.remaining) else {
            throw ModelIOError(reader.file.url, "the \(what()) claims \(length) bytes but only \(reader.remaining) remain in the file")
        }
        return try reader.readString(length: Int(length), what())
    }

    private static func readValue(_ reader: inout ByteReader, type: GGUFValueType,
                                  key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of \"\(key)\""
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, what))
        case .int8: return .int8(try reader.read(Int8.self, what))
        case .uint16: return .uint16(try reader.read(UInt16.self, what))
        case .int16: return .int16(try reader.read(Int16.self, what))
        case .uint32: return .uint32(try reader.read(UInt32.self, what))
        case .int32: return .int32(try reader.read(Int32.self, what))
        case .uint64: return .uint64(try reader.read(UInt64.self, what))
        case .int64: return .int64(try reader.read(Int64.self, what))
        case .float32: return .float32(try reader.readFloat(what))
        case .float64: return .float64(try reader.readDouble(what))
        case .bool: return .bool(try reader.read(UInt8.self, what) != 0)
        case .string: return .string(try readString(&reader, "string \(what)"))
        case .array:
            return .array(try readArray(&reader, key: key, depth: depth))
        }
    }

    /// Reads an array's element type, length and elements. The length is checked against the
    /// bytes that remain before anything is allocated.
    private static func readArray(_ reader: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
        let url = reader.file.url
        guard depth < maximumArrayNesting else {
            throw ModelIOError(url, "metadata \"\(key)\" nests arrays deeper than \(maximumArrayNesting) levels")
        }
        let rawElementType = try reader.read(UInt32.self, "the element type of \"\(key)\"")
        guard let elementType = GGUFValueType(rawValue: rawElementType) else {
            throw ModelIOError(url, "metadata \"\(key)\" is an array of unknown type \(rawElementType)")
        }
        let rawCount = try reader.read(UInt64.self, "the length of \"\(key)\"")
        guard rawCount <= UInt64(reader.remaining / elementType.minimumEncodedSize) else {
            throw ModelIOError(url, "metadata \"\(key)\" claims \(rawCount) array elements, more than the \(reader.remaining) remaining bytes can hold")
        }
        let count = Int(rawCount)
        func numbers<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            try reader.readArray(T.self, count: count, "the elements of \"\(key)\"")
        }
        switch elementType {
        case .uint8: return .uint8(try numbers(UInt8.self))
        case .int8: return .int8(try numbers(Int8.self))
        case .uint16: return .uint16(try numbers(UInt16.self))
        case .int16: return .int16(try numbers(Int16.self))
        case .uint32: return .uint32(try numbers(UInt32.self))
        case .int32: return .int32(try numbers(Int32.self))
        case .uint64: return .uint64(try numbers(UInt64.self))
        case .int64: return .int64(try numbers(Int64.self))
        case .float32: return .float32(try numbers(UInt32.self).map(Float.init(bitPattern:)))
        case .float64: return .float64(try numbers(UInt64.self).map(Double.init(bitPattern:)))
        case .bool: return .bool(try numbers(UInt8.self).map { $0 != 0 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for i in 0 ..< count {
                strings.append(try readString(&reader, "element \(i) of \"\(key)\""))
            }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for _ in 0 ..< count {
                arrays.append(try readArray(&reader, key: key, depth: depth + 1))
            }
            return .array(arrays)
        }
    }

    // MARK: access

    /// File size in bytes.
    public var fileSize: Int { file.count }

    /// The architecture named by `general.architecture` (such as `llama`).
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    public func contains(_ name: String) -> Bool { tensorIndex[name] != nil }

    public func info(named name: String) throws -> GGUFTensorInfo {
        guard let i = tensorIndex[name] else { throw ModelIOError(url, "no tensor named \"\(name)\"") }
        return tensorInfos[i]
    }

    /// The tensor `name` as fp32, in row-major shape (`ne` reversed).
    public func tensor(named name: String) throws -> Tensor {
        let info = try validatedInfo(named: name)
        let out = Tensor(zeros: info.shape)
        try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count) { raw in
            GGUFDequantizer.dequantize(raw, type: info.type, count: info.elementCount, into: out.pointer)
        }
        return out
    }

    /// The 2-D tensor `name` in its stored form, for decoding row ranges on demand.
    public func quantizedMatrix(named name: String) throws -> GGUFQuantizedMatrix {
        let info = try validatedInfo(named: name)
        guard info.dimensions.count == 2 else {
            throw ModelIOError(url, "tensor \"\(name)\" has \(info.dimensions.count) dimensions \(info.dimensions), expected a matrix")
        }
        return GGUFQuantizedMatrix(name: name, type: info.type, rows: info.dimensions[1],
                                   rowLength: info.dimensions[0], file: file, byteRange: info.byteRange)
    }

    /// Checks that tensor `name` can be decoded: a supported type whose block scales are all
    /// finite (a NaN or infinite scale would silently fill its whole block). Byte ranges and
    /// row widths were checked when the file opened. The scan runs once per tensor.
    public func validateTensor(named name: String) throws {
        _ = try validatedInfo(named: name)
    }

    private func validatedInfo(named name: String) throws -> GGUFTensorInfo {
        let info = try info(named: name)
        guard GGUFDequantizer.supports(info.type) else {
            throw ModelIOError(url, "tensor \"\(name)\" has type \(info.type), which cannot be converted to fp32 (supported: \(GGUFDequantizer.supportedTypes.map(\.description).joined(separator: ", ")))")
        }
        if validated.contains(name) { return info }
        let bad = try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count) { raw in
            GGUFDequantizer.firstNonFiniteScale(raw, type: info.type)
        }
        if let block = bad {
            throw ModelIOError(url, "tensor \"\(name)\" (\(info.type)) has a NaN or infinite scale in block \(block)")
        }
        validated.insert(name)
        return info
    }

    /// Calls `body` with the raw bytes of tensor `name`.
    public func withRawBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(named: name)
        return try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count, body)
    }
}
