import Foundation

/// A read-only file mapped into memory (or bytes already in memory), with bounds-checked access.
///
/// Mapping (`.alwaysMapped`) costs nothing up front: pages are read when touched. A mapped
/// file that shrinks under us would fault on access, so every read goes through a range check
/// against the size seen at open time, and callers check offsets read from the file before use.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let data: Data
    /// Whether `data`'s bytes are a mapping of the file, so that pages given back to the kernel
    /// are read again from the file when touched (`releasePages`).
    private let isFileMapping: Bool

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
        isFileMapping = data.withUnsafeBytes { Self.isFileMapped($0.baseAddress) }
    }

    /// Bytes already in memory, named `url` in errors.
    public init(data: Data, url: URL) {
        self.url = url
        self.data = data
        isFileMapping = false
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

    /// Gives the whole pages inside `offset ..< offset + length` back to the kernel, for bytes
    /// that were copied elsewhere (an interleaved weight): resident memory then holds them once.
    /// A mapped file's pages are read again if touched; bytes that are not a file mapping (a
    /// fallback read, or `init(data:url:)`) are left alone, since dropping them would lose them.
    public func releasePages(offset: Int, length: Int) {
        guard isFileMapping, contains(offset: offset, length: length), length > 0 else { return }
        let page = max(1, sysconf(Int32(_SC_PAGESIZE)))
        data.withUnsafeBytes { all in
            let start = Int(bitPattern: all.baseAddress!) + offset
            let first = (start + page - 1) / page * page, end = (start + length) / page * page
            if end > first { _ = madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED) }
        }
    }

    /// Whether `address` lies in a mapping of a file (a nonzero inode in /proc/self/maps).
    private static func isFileMapped(_ address: UnsafeRawPointer?) -> Bool {
        guard let address, let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return false }
        let at = UInt(bitPattern: address)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16),
                  (low ..< high).contains(at) else { continue }
            return fields[4] != "0"
        }
        return false
    }
}
