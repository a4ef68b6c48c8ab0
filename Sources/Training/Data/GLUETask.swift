import Foundation

/// A classification metric a task reports.
public enum ClassificationMetric: String, Sendable, CaseIterable, Codable {
    case accuracy
    case f1
    case matthewsCorrelation = "matthews_correlation"
}

/// The six GLUE tasks of the LoRA-SB paper's language-understanding table, with the layout of
/// their distributed TSV files and the metrics the paper reports.
public enum GLUETask: String, Sendable, CaseIterable {
    case cola, sst2, mrpc, qnli, rte, stsb

    /// The task's folder name in the GLUE distribution (`glue_data/CoLA`).
    public var folderName: String {
        switch self {
        case .cola: return "CoLA"
        case .sst2: return "SST-2"
        case .mrpc: return "MRPC"
        case .qnli: return "QNLI"
        case .rte: return "RTE"
        case .stsb: return "STS-B"
        }
    }

    /// The task named by `name`: its short name (`stsb`) or its folder name (`STS-B`), any case.
    public init?(named name: String) {
        let lowered = name.lowercased()
        guard let task = GLUETask.allCases.first(where: { $0.rawValue == lowered || $0.folderName.lowercased() == lowered }) else {
            return nil
        }
        self = task
    }

    /// The columns of train.tsv / dev.tsv.
    public var tableFormat: ClassificationTableFormat {
        switch self {
        case .cola:
            // No header: source, label, original label (unused), sentence.
            return ClassificationTableFormat(hasHeader: false, text: .index(3), label: .index(1))
        case .sst2:
            return ClassificationTableFormat(hasHeader: true, text: .name("sentence"), label: .name("label"))
        case .mrpc:
            // Header "Quality  #1 ID  #2 ID  #1 String  #2 String", after a byte-order mark.
            return ClassificationTableFormat(hasHeader: true, text: .name("#1 String"),
                                             textPair: .name("#2 String"), label: .name("Quality"))
        case .qnli:
            return ClassificationTableFormat(hasHeader: true, text: .name("question"),
                                             textPair: .name("sentence"), label: .name("label"))
        case .rte:
            return ClassificationTableFormat(hasHeader: true, text: .name("sentence1"),
                                             textPair: .name("sentence2"), label: .name("label"))
        case .stsb:
            return ClassificationTableFormat(hasHeader: true, text: .name("sentence1"),
                                             textPair: .name("sentence2"), label: .name("score"))
        }
    }

    /// STS-B's target is a similarity score from 0 to 5, learned by regression; the others classify.
    public var isRegression: Bool { self == .stsb }

    /// The range a regression target must lie in.
    public var targetRange: ClosedRange<Float>? { self == .stsb ? 0...5 : nil }

    /// The classification metrics reported for the task; the first is the one the paper's table
    /// uses. STS-B reports `RegressionMetric`s instead.
    public var metrics: [ClassificationMetric] {
        switch self {
        case .cola: return [.matthewsCorrelation, .accuracy]
        case .mrpc: return [.accuracy, .f1]
        case .sst2, .qnli, .rte: return [.accuracy]
        case .stsb: return []
        }
    }

    /// The label counted as positive for F1 (MRPC: `"1"`, a paraphrase).
    public var positiveLabel: String? {
        switch self {
        case .cola, .sst2, .mrpc: return "1"
        case .qnli, .rte, .stsb: return nil
        }
    }

    /// The folder holding the task's split files under `path`: the task's own folder when `path`
    /// is a whole GLUE distribution (`glue_data` holding `RTE/`), else `path` itself.
    public func folder(in path: URL) -> URL {
        let own = path.appendingPathComponent(folderName)
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: own.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? own : path
    }
}
