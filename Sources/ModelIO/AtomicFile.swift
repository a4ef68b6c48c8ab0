import Foundation

/// Whole-file atomic writes for what is saved besides tensors (adapter and trainer state,
/// configs, evaluation results), through `AtomicFileWriter`: the bytes go to a temporary file
/// beside the destination, are flushed to disk and renamed over it, so a crash or a full disk
/// leaves the previous file intact. Errors (`ModelIOError`) name the destination and the reason.
public enum AtomicFile {
    /// Writes what `body` produces through the writer; if `body` or the write throws, the
    /// temporary file is removed and the destination left as it was.
    public static func write(to url: URL, _ body: (inout AtomicFileWriter) throws -> Void) throws {
        var writer = try AtomicFileWriter(destination: url)
        do {
            try body(&writer)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.write(data) }
    }

    /// Writes `value` as pretty-printed JSON with sorted keys (stable diffs between checkpoints).
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw ModelIOError(url, "cannot encode JSON: \(error)")
        }
        try write(data + Data("\n".utf8), to: url)
    }

    /// Writes a `JSONSerialization` object (dictionaries, arrays, strings, numbers, NSNull) as
    /// pretty-printed JSON with sorted keys, for formats other tools define (PEFT, Transformers).
    public static func writeJSONObject(_ object: Any, to url: URL) throws {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ModelIOError(url, "cannot encode JSON: \(error)")
        }
        try write(data + Data("\n".utf8), to: url)
    }
}
