import Foundation

/// The examples of one classification file (TSV or JSONL), each with its source line.
public struct ClassificationDataset: Sendable {
    /// The file the examples came from.
    public let path: String
    public let examples: [ClassificationExample]
    /// The 1-based source line of each example.
    public let lines: [Int]

    public init(path: String, examples: [ClassificationExample], lines: [Int]) {
        precondition(examples.count == lines.count, "one source line per example")
        self.path = path
        self.examples = examples
        self.lines = lines
    }

    public var count: Int { examples.count }

    /// The vocabulary of the labels this dataset uses (build it from the training split).
    public var labelVocabulary: LabelVocabulary { LabelVocabulary(labels: examples.map(\.label)) }

    /// How many examples carry each label.
    public var labelCounts: [String: Int] {
        examples.reduce(into: [:]) { $0[$1.label, default: 0] += 1 }
    }

    /// The class index of every example under `vocabulary`. Throws, naming the file and line,
    /// for a label the vocabulary does not hold (e.g. a dev label never seen in training).
    public func classIndices(_ vocabulary: LabelVocabulary) throws -> [Int] {
        try zip(examples, lines).map { example, line in
            guard let index = vocabulary.index(of: example.label) else {
                throw DataError(path: path, line: line,
                                "label \"\(example.label)\" is not one of the known labels \(vocabulary.labels)")
            }
            return index
        }
    }

    /// Reads a tab-separated file (quoting disabled) with the columns `format` names.
    public static func loadTSV(_ url: URL, format: ClassificationTableFormat) throws -> ClassificationDataset {
        var rows = try TabSeparatedFile.read(url)[...]
        var header: [String]? = nil
        if format.hasHeader {
            guard let first = rows.popFirst() else { throw DataError(url, "the file is empty (expected a header line)") }
            header = first.fields
        }
        func resolve(_ column: ColumnSelector) throws -> Int {
            switch column {
            case .index(let i):
                guard i >= 0 else { throw DataError(url, "column index \(i) is negative") }
                return i
            case .name(let name):
                guard let header else {
                    throw DataError(url, "\(column) is named but the file is read without a header line")
                }
                guard let i = header.firstIndex(of: name) else {
                    throw DataError(url, line: 1, "the header has no \(column) (it has \(header.map { "\"\($0)\"" }.joined(separator: ", ")))")
                }
                return i
            }
        }
        let textColumn = try resolve(format.text)
        let pairColumn = try format.textPair.map(resolve)
        let labelColumn = try resolve(format.label)
        let needed = max(textColumn, pairColumn ?? 0, labelColumn) + 1

        var examples: [ClassificationExample] = []
        var lines: [Int] = []
        examples.reserveCapacity(rows.count)
        lines.reserveCapacity(rows.count)
        for row in rows {
            guard row.fields.count >= needed else {
                throw DataError(url, line: row.line,
                                "expected at least \(needed) tab-separated columns, found \(row.fields.count)")
            }
            let label = row.fields[labelColumn]
            if label.isEmpty { throw DataError(url, line: row.line, "the label (\(format.label)) is empty") }
            examples.append(ClassificationExample(text: row.fields[textColumn],
                                                  textPair: pairColumn.map { row.fields[$0] },
                                                  label: label))
            lines.append(row.line)
        }
        if examples.isEmpty { throw DataError(url, "the file holds no examples") }
        return ClassificationDataset(path: url.path, examples: examples, lines: lines)
    }

    /// Reads a JSONL file whose records hold the fields `format` names; labels may be strings or
    /// integers.
    public static func loadJSONL(_ url: URL, format: ClassificationJSONFormat = ClassificationJSONFormat())
        throws -> ClassificationDataset
    {
        let records = try JSONLinesFile.read(url)
        if records.isEmpty { throw DataError(url, "the file holds no records") }
        let examples = try records.map { record in
            ClassificationExample(text: try record.string(format.textField),
                                  textPair: try format.textPairField.map { try record.string($0) },
                                  label: try record.label(format.labelField))
        }
        return ClassificationDataset(path: url.path, examples: examples, lines: records.map(\.line))
    }
}
