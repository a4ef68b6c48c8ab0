import Foundation

/// One line of a text file with its 1-based line number.
public struct NumberedLine: Sendable, Equatable {
    public let number: Int
    public let text: String
}

/// Splits a UTF-8 text file into lines the way data files are written in practice: `\n` or
/// `\r\n` endings, an optional UTF-8 byte-order mark at the start (the GLUE MRPC files have one),
/// and an optional final newline. Blank lines (empty or only spaces/tabs) are skipped, since
/// JSONL and TSV writers often leave one at the end.
public enum TextLines {
    /// The non-blank lines of the file at `url`.
    /// Throws `DataError` when the file cannot be read or a line is not valid UTF-8.
    public static func read(_ url: URL) throws -> [NumberedLine] {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw DataError(url, "cannot read the file (\(systemReason(error)))")
        }
        return try split(data, path: url.path)
    }

    /// The non-blank lines of `data`, which came from the file named `path`.
    public static func split(_ data: Data, path: String) throws -> [NumberedLine] {
        var lines: [NumberedLine] = []
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            // Skip a UTF-8 byte-order mark.
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            var number = 1
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                var contentEnd = end
                if contentEnd > start, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<contentEnd])
                if !isBlank(slice) {
                    guard let text = String(validating: slice, as: UTF8.self) else {
                        throw DataError(path: path, line: number, "the line is not valid UTF-8 text")
                    }
                    lines.append(NumberedLine(number: number, text: text))
                }
                start = end + 1
                number += 1
            }
        }
        return lines
    }

    private static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }
}
