import Foundation

/// Writes a file atomically: bytes go to a temporary file beside the destination, which is
/// flushed to disk and then renamed over the destination, so readers never see a partial file
/// and a crash mid-write leaves the old file intact.
public struct AtomicFileWriter {
    public let destination: URL
    let temporary: URL
    private let handle: FileHandle
    private var finished = false

    /// Creates the temporary file next to `destination`.
    public init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw ModelIOError(destination, "cannot create a temporary file in \(folder.path)")
        }
        do {
            handle = try FileHandle(forWritingTo: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError(destination, "cannot open \(temporary.path) for writing: \(error.localizedDescription)")
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        do {
            try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                              count: bytes.count, deallocator: .none))
        } catch {
            throw ModelIOError(destination, "write failed: \(error.localizedDescription)")
        }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Flushes, closes and renames the temporary file over the destination.
    public mutating func commit() throws {
        finished = true
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError(destination, "cannot flush: \(error.localizedDescription)")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError(destination, "cannot move the finished file into place: \(reason)")
        }
    }

    /// Closes and deletes the temporary file, leaving the destination untouched.
    public mutating func abandon() {
        guard !finished else { return }
        finished = true
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}
