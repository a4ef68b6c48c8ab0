import Foundation

/// One row of a tab-separated file with its 1-based line number.
public struct TableRow: Sendable, Equatable {
    public let line: Int
    public let fields: [String]
}

/// Reads tab-separated files with quoting disabled: a field is exactly the text between tabs.
///
/// GLUE's TSVs hold unbalanced double quotes (MRPC's `" The foodservice ...`); a CSV-style reader
/// would swallow lines into one field, which is why the GLUE loaders read with quoting off
/// (`csv.QUOTE_NONE`). Blank lines are skipped; a leading byte-order mark is dropped.
public enum TabSeparatedFile {
    public static func read(_ url: URL) throws -> [TableRow] {
        try TextLines.read(url).map { line in
            TableRow(line: line.number,
                     fields: line.text.split(separator: "\t", omittingEmptySubsequences: false)
                        .map(String.init))
        }
    }
}
