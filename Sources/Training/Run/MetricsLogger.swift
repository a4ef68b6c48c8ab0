import Foundation

/// Appends one JSON object per line to a run's metrics file (`metrics.jsonl`), each line handed to
/// the operating system as it is logged, so `tail -f` follows a run and a crash loses nothing
/// already logged. Keys keep the order they are given in.
///
/// The log grows line by line by design (it is not written atomically): a torn final line after
/// a crash is the only possible damage, and JSONL readers skip or report it.
public final class MetricsLogger {
    public let url: URL
    private let handle: FileHandle

    /// Opens `url` for logging, appending to what it holds when `append` (a resumed run) and
    /// starting it empty otherwise.
    public init(url: URL, append: Bool = false) throws {
        self.url = url
        let manager = FileManager.default
        if !append || !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw FileWriteError(path: url.path, "cannot create the file")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw FileWriteError(path: url.path, "cannot open for writing (\(systemReason(error)))")
        }
    }

    deinit { try? handle.close() }

    /// The JSON line (without newline) for a record.
    public static func line(_ record: KeyValuePairs<String, MetricValue>) -> String {
        line(record.map { ($0.key, $0.value) })
    }

    /// The JSON line (without newline) for fields in order.
    public static func line(_ fields: [(String, MetricValue)]) -> String {
        "{" + fields.map { "\(MetricValue.quoted($0.0)):\($0.1.json)" }.joined(separator: ",") + "}"
    }

    /// Writes one record as one line.
    public func log(_ record: KeyValuePairs<String, MetricValue>) throws {
        try log(record.map { ($0.key, $0.value) })
    }

    /// Writes fields (in order) as one line.
    public func log(_ fields: [(String, MetricValue)]) throws {
        let text = MetricsLogger.line(fields) + "\n"
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw FileWriteError(path: url.path, "cannot append a line (\(systemReason(error)))")
        }
    }
}
