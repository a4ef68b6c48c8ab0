import Foundation
import Tensor

/// Where one tensor of a safetensors file lives and what it holds.
public struct SafeTensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major shape, outermost dimension first.
    public let shape: [Int]
    /// Absolute byte range in the file.
    public let byteRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A `.safetensors` file, memory-mapped and read lazily.
///
/// Opening parses and validates the header only: every tensor's byte range is checked against
/// the file size, against its shape and dtype, and against the other tensors (no overlaps), so
/// later reads cannot touch bytes outside the file. A tensor's bytes are converted to fp32 only
/// when `tensor(named:)` asks for it.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping each name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end of the
/// header) plus an optional `"__metadata__"` object of strings, then the tensor bytes.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Headers larger than this are refused (the reference implementation's limit).
    public static let maximumHeaderSize = 100_000_000

    public let url: URL
    let file: MappedFile
    /// The `__metadata__` strings of the header (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in the order their bytes appear in the file.
    public let names: [String]
    private let infos: [String: SafeTensorsTensorInfo]
    /// Byte offset where tensor data starts (8 + header length).
    public let dataStart: Int

    /// Maps and parses the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(file: MappedFile(url))
    }

    /// Parses safetensors bytes already in memory; `url` names them in errors.
    public convenience init(data: Data, url: URL) throws {
        try self.init(file: MappedFile(data: data, url: url))
    }

    init(file: MappedFile) throws {
        let url = file.url
        self.url = url
        self.file = file
        var reader = ByteReader(file)
        let declared = try reader.read(UInt64.self, "the header length")
        guard declared <= UInt64(file.count - 8) else {
            throw ModelIOError(url, "header length \(declared) runs past the end of the file (\(file.count) bytes)")
        }
        let headerLength = Int(declared)
        guard headerLength <= SafeTensorsFile.maximumHeaderSize else {
            throw ModelIOError(url, "header length \(headerLength) exceeds the \(SafeTensorsFile.maximumHeaderSize)-byte limit")
        }
        guard headerLength >= 2 else {
            throw ModelIOError(url, "header length \(headerLength) is too small to hold a JSON object")
        }
        dataStart = 8 + headerLength
        let headerData = try file.withBytes(offset: 8, length: headerLength) { Data($0) }
        let header: JSONObject
        do {
            header = try JSONObject(data: headerData, path: url.path)
        } catch let e as ModelIOError {
            throw ModelIOError(url, "header is not valid: \(e.problem)")
        }

        var metadata: [String: String] = [:]
        if let meta = try header.object("__metadata__") {
            for key in meta.keys {
                guard let value = meta.dictionary[key] as? String else {
                    throw ModelIOError(url, "__metadata__ value for \"\(key)\" is not a string")
                }
                metadata[key] = value
            }
        }
        self.metadata = metadata

        let dataSize = file.count - dataStart
        var infos: [String: SafeTensorsTensorInfo] = [:]
        for name in header.keys where name != "__metadata__" {
            guard let entry = try header.object(name) else {
                throw ModelIOError(url, "tensor \"\(name)\" has a null entry")
            }
            infos[name] = try SafeTensorsFile.parseEntry(entry, name: name, url: url,
                                                         dataStart: dataStart, dataSize: dataSize)
        }
        let ordered = infos.values.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var previous: SafeTensorsTensorInfo?
        for info in ordered where !info.byteRange.isEmpty {
            if let p = previous, info.byteRange.lowerBound < p.byteRange.upperBound {
                throw ModelIOError(url, "tensors \"\(p.name)\" and \"\(info.name)\" overlap (bytes \(p.byteRange) and \(info.byteRange))")
            }
            previous = info
        }
        self.infos = infos
        names = ordered.map(\.name)
    }

    private static func parseEntry(_ entry: JSONObject, name: String, url: URL,
                                   dataStart: Int, dataSize: Int) throws -> SafeTensorsTensorInfo {
        let dtypeName = try entry.required("dtype", entry.string)
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw ModelIOError(url, "tensor \"\(name)\" has unknown dtype \"\(dtypeName)\"")
        }
        let shape = try entry.required("shape", entry.intArray)
        let offsets = try entry.required("data_offsets", entry.intArray)
        guard offsets.count == 2 else {
            throw ModelIOError(url, "tensor \"\(name)\" data_offsets should hold 2 numbers, found \(offsets.count)")
        }
        let elements = try checkedElementCount(shape, url: url, name: name)
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw ModelIOError(url, "tensor \"\(name)\" shape \(shape) is too large")
        }
        let begin = offsets[0], end = offsets[1]
        guard begin >= 0, begin <= end else {
            throw ModelIOError(url, "tensor \"\(name)\" has invalid data_offsets [\(begin), \(end)]")
        }
        guard end <= dataSize else {
            throw ModelIOError(url, "tensor \"\(name)\" data_offsets [\(begin), \(end)] run past the end of the file (data section holds \(dataSize) bytes)")
        }
        guard end - begin == bytes else {
            throw ModelIOError(url, "tensor \"\(name)\" shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(end - begin)")
        }
        return SafeTensorsTensorInfo(name: name, dtype: dtype, shape: shape,
                                     byteRange: (dataStart + begin) ..< (dataStart + end))
    }

    /// The product of `shape`, refusing negative dimensions and overflow (also of the product of
    /// the non-zero dimensions, so the count is safe to compute in any order).
    static func checkedElementCount(_ shape: [Int], url: URL, name: String) throws -> Int {
        var count = 1
        var nonZeroCount = 1
        for d in shape {
            guard d >= 0 else {
                throw ModelIOError(url, "tensor \"\(name)\" has negative dimension in shape \(shape)")
            }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            let (q, overflowNonZero) = nonZeroCount.multipliedReportingOverflow(by: max(d, 1))
            nonZeroCount = q
            guard !overflow, !overflowNonZero else {
                throw ModelIOError(url, "tensor \"\(name)\" shape \(shape) overflows the element count")
            }
            count = p
        }
        return count
    }

    /// File size in bytes.
    public var fileSize: Int { file.count }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { infos[name] != nil }

    /// The header entry for `name`.
    public func info(named name: String) throws -> SafeTensorsTensorInfo {
        guard let info = infos[name] else { throw ModelIOError(url, "no tensor named \"\(name)\"") }
        return info
    }

    /// Every header entry, in file order.
    public var tensorInfos: [SafeTensorsTensorInfo] { names.compactMap { infos[$0] } }

    /// The tensor `name` converted to fp32 (F32, F16, BF16 or F64 storage).
    public func tensor(named name: String) throws -> Tensor {
        let info = try info(named: name)
        guard info.dtype.convertsToFloat else {
            throw ModelIOError(url, "tensor \"\(name)\" is \(info.dtype.rawValue), not a floating-point type convertible to fp32 (use integers(named:))")
        }
        let out = Tensor(zeros: info.shape)
        let n = info.elementCount
        let dst = UncheckedBox(out.pointer)
        try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count) { raw in
            guard let base = raw.baseAddress, n > 0 else { return }
            let src = UncheckedBox(base)
            switch info.dtype {
            case .f32:
                UnsafeMutableRawPointer(dst.value).copyMemory(from: base, byteCount: n * 4)
            case .f16:
                Parallel.forEachChunk(n, minChunk: 65_536) { range in
                    for i in range {
                        let bits = UInt16(littleEndian: src.value.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        dst.value[i] = HalfPrecision.float(fromFloat16Bits: bits)
                    }
                }
            case .bf16:
                Parallel.forEachChunk(n, minChunk: 65_536) { range in
                    for i in range {
                        let bits = UInt16(littleEndian: src.value.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        dst.value[i] = HalfPrecision.float(fromBFloat16Bits: bits)
                    }
                }
            case .f64:
                for i in 0 ..< n {
                    let bits = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    dst.value[i] = Float(Double(bitPattern: bits))
                }
            default:
                break
            }
        }
        return out
    }

    /// The integer or boolean buffer `name` (such as `position_ids`) as `Int`s.
    public func integers(named name: String) throws -> [Int] {
        let info = try info(named: name)
        guard info.dtype.isInteger else {
            throw ModelIOError(url, "tensor \"\(name)\" is \(info.dtype.rawValue), not an integer type")
        }
        let n = info.elementCount
        return try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count) { raw in
            var out = [Int](repeating: 0, count: n)
            for i in 0 ..< n {
                switch info.dtype {
                case .bool, .u8: out[i] = Int(raw[i])
                case .i8: out[i] = Int(Int8(bitPattern: raw[i]))
                case .u16: out[i] = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                case .i16: out[i] = Int(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case .u32: out[i] = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .i32: out[i] = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .i64: out[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case .u64:
                    let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    guard let exact = Int(exactly: v) else {
                        throw ModelIOError(url, "tensor \"\(name)\" element \(i) (\(v)) does not fit in Int")
                    }
                    out[i] = exact
                default: break
                }
            }
            return out
        }
    }

    /// Calls `body` with the raw little-endian bytes of tensor `name`.
    public func withRawBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(named: name)
        return try file.withBytes(offset: info.byteRange.lowerBound, length: info.byteRange.count, body)
    }
}
