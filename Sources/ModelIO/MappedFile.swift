import Foundation

/// A read-only file mapped into memory (or bytes already in memory), with bounds-checked access.
///
/// Mapping (`.alwaysMapped`) costs nothing up front: pages are read when touched. A mapped
/// file that shrinks under us would fault on access, so every read goes through a range check
/// against the size seen at open time, and callers check offsets read from the file before use.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let data: Data

    /// Maps `url` read-only.
    public init(_ url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelIOError(url, "no such file")
        }
        guard !isDirectory.boolValue else { throw ModelIOError(url, "is a folder, expected a file") }
        // Devices and pipes have no size to check offsets against (and may never end).
        // (Symbolic links, as in the Hugging Face cache's snapshots, are followed.)
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw ModelIOError(url, "is not a regular file")
        }
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ModelIOError(url, "cannot read: \(error.localizedDescription)")
        }
    }

    /// Bytes already in memory, named `url` in errors.
    public init(data: Data, url: URL) {
        self.url = url
        self.data = data
    }

    /// The file size in bytes.
    public var count: Int { data.count }

    /// Whether `offset ..< offset + length` lies inside the file (no overflow possible).
    public func contains(offset: Int, length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    /// Calls `body` with the bytes `offset ..< offset + length`, after checking they exist.
    public func withBytes<R>(offset: Int, length: Int,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard contains(offset: offset, length: length) else {
            throw ModelIOError(url, "byte range \(offset)..<\(offset &+ length) lies outside the file (\(count) bytes)")
        }
        return try data.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[offset ..< offset + length]))
        }
    }
}
