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
        url = file.url
        self.file = file
        var reader = ByteReader(file)
        let header = try GGUFFile.readHeader(&reader)
        version = header.version
        (metadataKeys, metadata) = try GGUFFile.readMetadata(&reader, count: header.metadataCount)
        alignment = try GGUFFile.alignment(in: metadata, url: file.url)
        let pending = try GGUFFile.readTensorInfos(&reader, count: header.tensorCount, alignment: alignment)
        dataOffset = reader.offset + (alignment - reader.offset % alignment) % alignment
        tensorInfos = try GGUFFile.place(pending, dataOffset: dataOffset, in: file)
        tensorIndex = Dictionary(uniqueKeysWithValues: tensorInfos.enumerated().map { ($1.name, $0) })
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

    /// The 2-D tensor `name` left in the file, decoded row range by row range on demand (rows
    /// in `rowOrder` when given: matrix row `i` is stored row `rowOrder[i]`). Its type is
    /// supported and its block scales finite, so decoding never meets a poisoned block.
    public func quantizedMatrix(named name: String, rowOrder: [Int]? = nil) throws -> FileBackedMatrix {
        let info = try validatedInfo(named: name)
        guard info.dimensions.count == 2 else {
            throw ModelIOError(url, "tensor \"\(name)\" has \(info.dimensions.count) dimensions \(info.dimensions), expected a matrix")
        }
        return try FileBackedMatrix(file: file, offset: info.byteRange.lowerBound, rows: info.dimensions[1],
                                    columns: info.dimensions[0], type: info.type, rowOrder: rowOrder, name: name)
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
