import Foundation

/// One tensor of a GGUF file being written: its name, ggml `ne` (innermost first), type, and
/// a closure that writes exactly its bytes when the data section reaches it, so tensors
/// stream to disk one at a time (a merged model is never held in memory).
public struct GGUFTensorPlan {
    public let name: String
    public let dimensions: [Int]
    public let type: GGMLType
    let produce: (GGUFTensorSink) throws -> Void

    public init(name: String, dimensions: [Int], type: GGMLType,
                bytes produce: @escaping (GGUFTensorSink) throws -> Void) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.produce = produce
    }

    public var elementCount: Int { dimensions.reduce(1, *) }
    public var byteCount: Int { type.byteCount(ofValues: elementCount) }
}

/// Where a tensor's closure writes its bytes: buffered, counted, and forwarded to the file.
public final class GGUFTensorSink {
    private let file: AtomicFileWriter
    private var buffer: [UInt8] = []
    private(set) var written = 0
    static let bufferLimit = 1 << 22

    init(file: AtomicFileWriter) { self.file = file }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        written += bytes.count
        if buffer.count + bytes.count > Self.bufferLimit { try flush() }
        if bytes.count >= Self.bufferLimit { try file.write(bytes) } else { buffer.append(contentsOf: bytes) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func flush() throws {
        try buffer.withUnsafeBytes { try file.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes a GGUF (version 3) file atomically: magic, version, tensor and metadata counts, the
/// metadata in the order given, the tensor infos (offsets from the data section, each aligned),
/// padding to `general.alignment` (32 unless the metadata sets it), then each tensor's bytes
/// followed by padding to the alignment, as `gguf.GGUFWriter` and ggml lay them out.
public struct GGUFWriter {
    public static let version: UInt32 = 3

    /// Key/value pairs in file order.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [GGUFTensorPlan] = []

    public init() {}

    /// Sets `key` to `value`: in place when the key is already there, else appended.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    public mutating func remove(_ key: String) {
        metadata.removeAll { $0.key == key }
    }

    public mutating func add(_ tensor: GGUFTensorPlan) {
        tensors.append(tensor)
    }

    /// Writes the file to `url` (temporary file, then rename): nothing is left behind if a
    /// tensor's closure or the disk fails. Errors name the file and the tensor.
    public func write(to url: URL) throws {
        let alignment = try checkedAlignment(url)
        try checkTensors(url)
        var header = GGUFByteBuffer()
        header.append(GGUFFile.magic)
        header.append(Self.version)
        header.append(UInt64(tensors.count))
        header.append(UInt64(metadata.count))
        for (key, value) in metadata { header.append(key: key, value: value) }
        var offset = 0
        for t in tensors {
            header.append(t.name)
            header.append(UInt32(t.dimensions.count))
            for d in t.dimensions { header.append(UInt64(d)) }
            header.append(t.type.rawValue)
            header.append(UInt64(offset))
            offset += Self.padded(t.byteCount, to: alignment)
        }
        header.pad(to: alignment)
        try AtomicFile.write(to: url) { file in
            try file.write(Data(header.bytes))
            let sink = GGUFTensorSink(file: file)
            for t in tensors {
                let start = sink.written
                try t.produce(sink)
                let count = sink.written - start
                guard count == t.byteCount else {
                    throw ModelIOError(url, "tensor \"\(t.name)\" (\(t.type) \(t.dimensions)) wrote \(count) bytes, expected \(t.byteCount)")
                }
                try sink.write([UInt8](repeating: 0, count: Self.padded(count, to: alignment) - count))
            }
            try sink.flush()
        }
    }

    static func padded(_ n: Int, to alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// `general.alignment` when set (a u32 power of two, as ggml requires), else 32.
    private func checkedAlignment(_ url: URL) throws -> Int {
        guard let value = metadata.first(where: { $0.key == "general.alignment" })?.value else {
            return GGUFFile.defaultAlignment
        }
        guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
            throw ModelIOError(url, "general.alignment must be a power of two stored as uint32, found \(value)")
        }
        return Int(a)
    }

    /// Unique names and keys; each tensor of rank 1…4 with whole blocks per row.
    private func checkTensors(_ url: URL) throws {
        var keys = Set<String>(), names = Set<String>()
        for (key, _) in metadata where !keys.insert(key).inserted {
            throw ModelIOError(url, "metadata key \"\(key)\" given twice")
        }
        for t in tensors {
            guard names.insert(t.name).inserted else { throw ModelIOError(url, "tensor \"\(t.name)\" given twice") }
            guard (1 ... GGUFFile.maximumRank).contains(t.dimensions.count), t.dimensions.allSatisfy({ $0 >= 0 }) else {
                throw ModelIOError(url, "tensor \"\(t.name)\" has dimensions \(t.dimensions) (rank 1 to \(GGUFFile.maximumRank), none negative)")
            }
            guard t.dimensions[0] % t.type.blockSize == 0 else {
                throw ModelIOError(url, "tensor \"\(t.name)\" of type \(t.type) has row length \(t.dimensions[0]), not a multiple of its block size \(t.type.blockSize)")
            }
        }
    }
}
