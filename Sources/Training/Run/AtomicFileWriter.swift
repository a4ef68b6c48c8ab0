import Foundation

/// Writes a file so that readers (and a crash or power cut at any moment) see either the old
/// file or the complete new one, never a torn mix: the bytes go to a temporary file in the same
/// folder, which is flushed to disk (`fsync`) and then renamed over the destination, and the
/// folder is synced so the rename itself survives. On any failure the temporary file is removed,
/// the destination is untouched, and the error names the destination and the system's reason.
public final class AtomicFileWriter {
    /// The file being written.
    public let destination: URL
    /// The temporary file the bytes go to until `commit()`.
    public let temporaryPath: String
    private var descriptor: Int32
    private var finished = false

    /// Creates the temporary file next to `destination` (permissions 0644).
    public init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent().path
        let name = destination.lastPathComponent
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() as UInt64, radix: 16)
        temporaryPath = (folder as NSString).appendingPathComponent(".\(name).\(getpid()).\(suffix).tmp")
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw FileWriteError.posix(destination.path, "creating a temporary file in \(folder)") }
    }

    deinit { if !finished { abort() } }

    /// Appends `bytes` (all of them: short writes and interruptions are retried).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abort")
        guard var p = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Foundation.write(descriptor, p, min(remaining, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                abort()
                throw FileWriteError.posix(destination.path, "writing", code)
            }
            p += n
            remaining -= n
        }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        try write(Data(text.utf8))
    }

    /// Flushes the bytes to disk and puts the file in place of the destination.
    public func commit() throws {
        precondition(!finished, "commit after commit or abort")
        if fsync(descriptor) != 0 {
            let code = errno
            abort()
            throw FileWriteError.posix(destination.path, "flushing to disk (fsync)", code)
        }
        let closed = close(descriptor)
        descriptor = -1
        if closed != 0 {
            let code = errno
            abort()
            throw FileWriteError.posix(destination.path, "closing", code)
        }
        if rename(temporaryPath, destination.path) != 0 {
            let code = errno
            abort()
            throw FileWriteError.posix(destination.path, "renaming the temporary file into place", code)
        }
        finished = true
        // Make the rename durable; a failure here leaves a complete file, so it is not an error.
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            _ = close(folder)
        }
    }

    /// Discards what was written and removes the temporary file.
    public func abort() {
        if descriptor >= 0 { _ = close(descriptor); descriptor = -1 }
        if !finished { _ = unlink(temporaryPath) }
        finished = true
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let writer = try AtomicFileWriter(destination: url)
        try writer.write(data)
        try writer.commit()
    }

    /// Writes the file `body` produces through the writer, atomically; if `body` throws, the
    /// destination is left as it was.
    public static func write(to url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
        let writer = try AtomicFileWriter(destination: url)
        do {
            try body(writer)
        } catch {
            writer.abort()
            throw error
        }
        try writer.commit()
    }
}
