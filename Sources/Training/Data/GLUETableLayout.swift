import Foundation

/// The six GLUE tasks of the LoRA-SB paper's language-understanding table, recognised from the
/// columns of their distributed TSV files whatever the folder is called. (`GLUETask` holds the
/// three tasks whose data the experiment suites run on; the other three join it when their jobs
/// are wired.)
public enum GLUEPaperTask: String, Sendable, CaseIterable {
    case cola, sst2, mrpc, qnli, rte, stsb

    /// STS-B's target is a similarity score from 0 to 5, learned by regression; the others classify.
    public var isRegression: Bool { self == .stsb }

    /// The range a regression target must lie in.
    public var targetRange: ClosedRange<Float>? { self == .stsb ? 0...5 : nil }

    /// The existing preset of the same task, where there is one.
    public var preset: GLUETask? { GLUETask(rawValue: rawValue) }
}

/// What a GLUE file's first line says about it: which task, and which columns hold the texts
/// and the label (or score).
public struct GLUETableLayout: Equatable, Sendable {
    public var task: GLUEPaperTask
    public var format: ClassificationTableFormat

    /// Detects the layout from the header names GLUE distributes:
    /// CoLA has no header (source, label, original label, sentence); SST-2 `sentence  label`;
    /// MRPC `Quality  #1 ID  #2 ID  #1 String  #2 String`; QNLI `index  question  sentence  label`;
    /// RTE `index  sentence1  sentence2  label`; STS-B `index genre … sentence1  sentence2  score`.
    public static func detect(_ url: URL) throws -> GLUETableLayout {
        guard let first = try TabSeparatedFile.read(url).first else { throw DataError(url, "the file is empty") }
        if let layout = detect(header: first.fields) { return layout }
        let shown = first.fields.prefix(12).map { "\"\($0.prefix(40))\"" }.joined(separator: ", ")
        throw DataError(url, line: first.line,
                        "not a GLUE CoLA, SST-2, MRPC, QNLI, RTE or STS-B file with labels: the first line is \(shown)")
    }

    public static func detect(header h: [String]) -> GLUETableLayout? {
        func has(_ names: String...) -> Bool { names.allSatisfy(h.contains) }
        func named(_ task: GLUEPaperTask, _ text: String, _ pair: String?, _ label: String) -> GLUETableLayout {
            GLUETableLayout(task: task, format: ClassificationTableFormat(
                hasHeader: true, text: .name(text), textPair: pair.map(ColumnSelector.name), label: .name(label)))
        }
        if has("#1 String", "#2 String", "Quality") { return named(.mrpc, "#1 String", "#2 String", "Quality") }
        if has("question", "sentence", "label") { return named(.qnli, "question", "sentence", "label") }
        if has("sentence1", "sentence2", "score") { return named(.stsb, "sentence1", "sentence2", "score") }
        if has("sentence1", "sentence2", "label") { return named(.rte, "sentence1", "sentence2", "label") }
        if has("sentence", "label") { return named(.sst2, "sentence", nil, "label") }
        // CoLA's rows: a source code, the 0/1 label, the original judgement ("" or "*"), the sentence.
        if h.count == 4, h[1] == "0" || h[1] == "1", h[2].isEmpty || h[2] == "*" {
            return GLUETableLayout(task: .cola, format: GLUETask.cola.tableFormat)
        }
        return nil
    }

    /// Reads the file with the detected columns.
    public static func load(_ url: URL) throws -> (layout: GLUETableLayout, data: ClassificationDataset) {
        let layout = try detect(url)
        return (layout, try ClassificationDataset.loadTSV(url, format: layout.format))
    }
}
