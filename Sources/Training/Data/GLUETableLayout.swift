import Foundation

/// What a GLUE file's first line says about it: which task, and which columns hold the texts
/// and the label (or score).
public struct GLUETableLayout: Equatable, Sendable {
    public var task: GLUETask
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
        // Most specific first: QNLI's columns include SST-2's.
        for task in [GLUETask.mrpc, .qnli, .stsb, .rte, .sst2] {
            let f = task.tableFormat
            let columns = [f.text, f.label] + (f.textPair.map { [$0] } ?? [])
            if columns.allSatisfy({ if case .name(let n) = $0 { return h.contains(n) } else { return false } }) {
                return GLUETableLayout(task: task, format: f)
            }
        }
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
