import Foundation

/// The steps of opening a GGUF file, in file order: header, metadata, tensor infos, and the
/// placement of each tensor's bytes in the data section. Every count and length read from the
/// file is bounded by the bytes that remain before anything is allocated for it.
extension GGUFFile {
    struct Header {
        let version: Int
        let tensorCount: Int
        let metadataCount: Int
    }

    /// A tensor info as read, before its offset is placed after the header.
    struct PendingTensor {
        let name: String
        let dimensions: [Int]
        let type: GGMLType
        let offset: Int
        let bytes: Int
    }

    /// Magic, version and the two counts.
    static func readHeader(_ reader: inout ByteReader) throws -> Header {
        let url = reader.file.url
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
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let kvCount = try reader.read(UInt64.self, "the metadata count")
        // A key/value pair takes at least 13 bytes, a tensor info at least 24.
        guard kvCount <= UInt64(reader.remaining / 13) else {
            throw ModelIOError(url, "metadata count \(kvCount) cannot fit in the \(reader.remaining) bytes that remain")
        }
        guard tensorCount <= UInt64(reader.remaining / 24) else {
            throw ModelIOError(url, "tensor count \(tensorCount) cannot fit in the \(reader.remaining) bytes that remain")
        }
        return Header(version: Int(version), tensorCount: Int(tensorCount), metadataCount: Int(kvCount))
    }

    /// The key/value pairs: keys in file order, and the values by key.
    static func readMetadata(_ reader: inout ByteReader, count: Int) throws -> ([String], [String: GGUFValue]) {
        let url = reader.file.url
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(count)
        for i in 0 ..< count {
            let key = try readString(&reader, "key of metadata entry \(i)")
            let rawType = try reader.read(UInt32.self, "the type of \"\(key)\"")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw ModelIOError(url, "metadata \"\(key)\" has unknown value type \(rawType)")
            }
            let value = try readValue(&reader, type: type, key: key, depth: 0)
            guard metadata[key] == nil else {
                throw ModelIOError(url, "metadata key \"\(key)\" appears twice")
            }
            metadata[key] = value
            keys.append(key)
        }
        return (keys, metadata)
    }

    /// `general.alignment`, or the default 32.
    static func alignment(in metadata: [String: GGUFValue], url: URL) throws -> Int {
        guard let a = metadata["general.alignment"] else { return defaultAlignment }
        guard let n = a.intValue, n > 0, n <= 1 << 20, n & (n - 1) == 0 else {
            throw ModelIOError(url, "general.alignment must be a power of two, found \(a)")
        }
        return n
    }

    /// The tensor infos: name, rank, dimensions, type and offset, each checked on its own
    /// (rank, element-count overflow, row width a whole number of blocks, aligned offset).
    static func readTensorInfos(_ reader: inout ByteReader, count: Int, alignment: Int) throws -> [PendingTensor] {
        let url = reader.file.url
        var pending: [PendingTensor] = []
        pending.reserveCapacity(count)
        var seen = Set<String>()
        for i in 0 ..< count {
            let name = try readString(&reader, "name of tensor \(i)")
            guard seen.insert(name).inserted else {
                throw ModelIOError(url, "tensor \"\(name)\" appears twice")
            }
            let (dims, elements) = try readDimensions(&reader, name: name)
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
            pending.append(PendingTensor(name: name, dimensions: dims, type: type, offset: offset, bytes: bytes))
        }
        return pending
    }

    /// Rank and dimensions of tensor `name`, and its element count.
    private static func readDimensions(_ reader: inout ByteReader, name: String) throws -> ([Int], Int) {
        let url = reader.file.url
        let rank = try reader.read(UInt32.self, "the rank of \"\(name)\"")
        guard rank >= 1, rank <= UInt32(maximumRank) else {
            throw ModelIOError(url, "tensor \"\(name)\" has rank \(rank) (1 to \(maximumRank) allowed)")
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
        return (dims, elements)
    }

    /// Absolute byte ranges after the data offset, each checked to lie inside the file and not
    /// to overlap another tensor's.
    static func place(_ pending: [PendingTensor], dataOffset: Int, in file: MappedFile) throws -> [GGUFTensorInfo] {
        let url = file.url
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(pending.count)
        for p in pending {
            let (start, overflow) = dataOffset.addingReportingOverflow(p.offset)
            guard !overflow, file.contains(offset: start, length: p.bytes) else {
                throw ModelIOError(url, "tensor \"\(p.name)\" (\(p.bytes) bytes at data offset \(p.offset)) runs past the end of the file (\(file.count) bytes)")
            }
            infos.append(GGUFTensorInfo(name: p.name, dimensions: p.dimensions, type: p.type,
                                        relativeOffset: p.offset, byteRange: start ..< start + p.bytes))
        }
        let byStart = infos.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw ModelIOError(url, "tensors \"\(a.name)\" and \"\(b.name)\" overlap (bytes \(a.byteRange) and \(b.byteRange))")
        }
        return infos
    }

    // MARK: metadata values

    static func readString(_ reader: inout ByteReader, _ what: @autoclosure () -> String) throws -> String {
        let length = try reader.read(UInt64.self, "the length of the \(what())")
        guard length <= UInt64(reader.remaining) else {
            throw ModelIOError(reader.file.url, "the \(what()) claims \(length) bytes but only \(reader.remaining) remain in the file")
        }
        return try reader.readString(length: Int(length), what())
    }

    static func readValue(_ reader: inout ByteReader, type: GGUFValueType,
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
    static func readArray(_ reader: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
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
}
