import Foundation

extension AtomicFileWriter {
    /// Writes `data` to `url` atomically (temporary file beside it, flush, rename).
    public static func write(_ data: Data, to url: URL) throws {
        var writer = try AtomicFileWriter(destination: url)
        do {
            try writer.write(data)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Writes `object` as pretty-printed JSON with sorted keys, atomically.
    public static func writeJSON(_ object: Any, to url: URL) throws {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ModelIOError(url, "cannot encode JSON: \(error.localizedDescription)")
        }
        try write(data + Data("\n".utf8), to: url)
    }
}
