import Foundation
import Tensor

/// Collects fp32 tensors and metadata and writes them as one `.safetensors` file, atomically.
///
/// The header lists tensors sorted by name, with data laid out in the same order; it is padded
/// with spaces to a multiple of 8 bytes so the data section starts aligned, as the format asks.
public struct SafeTensorsWriter {
    private var tensors: [String: Tensor] = [:]
    /// Strings stored under `__metadata__`.
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds (or replaces) tensor `name`. The tensor is not copied: it is read at `write` time.
    public mutating func add(_ name: String, _ tensor: Tensor) {
        precondition(name != "__metadata__", "\"__metadata__\" is reserved by the format")
        tensors[name] = tensor
    }

    public var names: [String] { tensors.keys.sorted() }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    func encodedHeader() throws -> Data {
        var object: [String: Any] = [:]
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            let bytes = t.count * MemoryLayout<Float>.size
            object[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        if !metadata.isEmpty { object["__metadata__"] = metadata }
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let padding = (8 - data.count % 8) % 8
        data.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        return data
    }

    /// Writes the file to `url` (temporary file, then rename).
    public func write(to url: URL) throws {
        let header: Data
        do {
            header = try encodedHeader()
        } catch {
            throw ModelIOError(url, "cannot encode the header: \(error.localizedDescription)")
        }
        var writer = try AtomicFileWriter(destination: url)
        do {
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try writer.write($0) }
            try writer.write(header)
            for name in names {
                guard let t = tensors[name] else { continue }
                // Float is little-endian on every platform we build for.
                try writer.write(UnsafeRawBufferPointer(t.buffer))
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }
}
