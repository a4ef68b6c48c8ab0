/// A column of a table, by header name or by 0-based position.
public enum ColumnSelector: Equatable, Sendable, CustomStringConvertible {
    case name(String)
    case index(Int)

    public var description: String {
        switch self {
        case .name(let n): return "column \"\(n)\""
        case .index(let i): return "column \(i)"
        }
    }
}

/// Which columns of a tab-separated file hold a classification example.
public struct ClassificationTableFormat: Equatable, Sendable {
    /// Whether the first row names the columns (and is not an example).
    public var hasHeader: Bool
    public var text: ColumnSelector
    /// The second text of a sentence-pair task (MRPC, RTE), if any.
    public var textPair: ColumnSelector?
    public var label: ColumnSelector

    public init(hasHeader: Bool, text: ColumnSelector, textPair: ColumnSelector? = nil,
                label: ColumnSelector) {
        self.hasHeader = hasHeader
        self.text = text
        self.textPair = textPair
        self.label = label
    }
}

/// Which fields of a JSONL record hold a classification example.
public struct ClassificationJSONFormat: Equatable, Sendable {
    public var textField: String
    public var textPairField: String?
    public var labelField: String

    public init(textField: String = "text", textPairField: String? = nil, labelField: String = "label") {
        self.textField = textField
        self.textPairField = textPairField
        self.labelField = labelField
    }
}

/// A sequence-classification example before tokenisation.
public struct ClassificationExample: Equatable, Sendable {
    public var text: String
    /// The second sentence of a pair task, encoded after the first with a separator.
    public var textPair: String?
    /// The label as written in the file (`"1"`, `"entailment"`); `LabelVocabulary` maps it to
    /// a class index.
    public var label: String

    public init(text: String, textPair: String? = nil, label: String) {
        self.text = text
        self.textPair = textPair
        self.label = label
    }
}
