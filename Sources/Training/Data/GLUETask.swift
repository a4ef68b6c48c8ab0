/// A classification metric a task reports.
public enum ClassificationMetric: String, Sendable, CaseIterable, Codable {
    case accuracy
    case f1
    case matthewsCorrelation = "matthews_correlation"
}

/// The GLUE tasks of the LoRA-SB paper's language-understanding runs, with the layout of their
/// distributed TSV files and the metrics the paper reports.
public enum GLUETask: String, Sendable, CaseIterable {
    case cola
    case mrpc
    case rte

    /// The task's folder name in the GLUE distribution (`glue_data/CoLA`).
    public var folderName: String {
        switch self {
        case .cola: return "CoLA"
        case .mrpc: return "MRPC"
        case .rte: return "RTE"
        }
    }

    /// The columns of train.tsv / dev.tsv.
    public var tableFormat: ClassificationTableFormat {
        switch self {
        case .cola:
            // No header: source, label, original label (unused), sentence.
            return ClassificationTableFormat(hasHeader: false, text: .index(3), label: .index(1))
        case .mrpc:
            // Header "Quality  #1 ID  #2 ID  #1 String  #2 String", after a byte-order mark.
            return ClassificationTableFormat(hasHeader: true, text: .name("#1 String"),
                                             textPair: .name("#2 String"), label: .name("Quality"))
        case .rte:
            return ClassificationTableFormat(hasHeader: true, text: .name("sentence1"),
                                             textPair: .name("sentence2"), label: .name("label"))
        }
    }

    /// The metrics reported for the task; the first is the one the paper's table uses.
    public var metrics: [ClassificationMetric] {
        switch self {
        case .cola: return [.matthewsCorrelation, .accuracy]
        case .mrpc: return [.accuracy, .f1]
        case .rte: return [.accuracy]
        }
    }

    /// The label counted as positive for F1 (MRPC: `"1"`, a paraphrase).
    public var positiveLabel: String? {
        switch self {
        case .cola, .mrpc: return "1"
        case .rte: return nil
        }
    }
}
