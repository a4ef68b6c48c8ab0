/// A GitHub-flavoured Markdown table: a header row, an alignment row, one line per row.
public struct MarkdownTable: Sendable, Equatable {
    public enum Alignment: Sendable { case left, right }

    public var header: [String]
    public var alignments: [Alignment]
    public var rows: [[String]]

    /// `alignments` defaults to left for every column; rows shorter than the header are padded
    /// with empty cells.
    public init(header: [String], alignments: [Alignment]? = nil, rows: [[String]]) {
        self.header = header
        self.alignments = alignments ?? header.map { _ in .left }
        self.rows = rows
    }

    /// The table's text, ending in a newline. `|` inside a cell is escaped and line breaks
    /// become spaces, so a cell can never split the table.
    public var text: String {
        let width = header.count
        func line(_ cells: [String]) -> String {
            let padded = (0..<width).map { $0 < cells.count ? MarkdownTable.escape(cells[$0]) : "" }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = (0..<width).map { i -> String in
            (i < alignments.count ? alignments[i] : .left) == .right ? "---:" : "---"
        }
        var out = line(header) + "\n| " + rule.joined(separator: " | ") + " |\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }

    static func escape(_ cell: String) -> String {
        var out = ""
        for scalar in cell.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
