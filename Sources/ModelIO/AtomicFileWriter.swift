import Foundation

/// Writes a file atomically: bytes go to a temporary file beside the destination, which is
/// flushed to disk and then renamed over the destination (and the folder flushed), so readers
/// never see a partial file and a crash mid-write leaves the old file intact.
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
            throw ModelIOError(destination, "cannot open \(temporary.path) for writing: \(AtomicFileWriter.reason(error))")
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        do {
            try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                              count: bytes.count, deallocator: .none))
        } catch {
            throw ModelIOError(destination, "write failed: \(AtomicFileWriter.reason(error))")
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
            throw ModelIOError(destination, "cannot flush: \(AtomicFileWriter.reason(error))")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError(destination, "cannot move the finished file into place: \(reason)")
        }
        Self.synchronizeFolder(of: destination)
    }

    /// Flushes the folder's entry for the renamed file, so that after a power loss the new name
    /// is there too, not only the new bytes. Best effort: some file systems refuse to sync a
    /// folder, and the file itself is already complete and in place.
    static func synchronizeFolder(of file: URL) {
        let folder = open(file.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        guard folder >= 0 else { return }
        _ = fsync(folder)
        close(folder)
    }

    /// The system's reason for a failed file operation ("No space left on device"): Foundation
    /// wraps it in a generic Cocoa error whose own text says nothing useful.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    /// Closes and deletes the temporary file, leaving the destination untouched.
    public mutating func abandon() {
        guard !finished else { return }
        finished = true
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}
