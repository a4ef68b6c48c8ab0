import Foundation
import LoRASB

/// The data flags `train` and `eval` share: where the examples are and how their fields read.
enum DataFlags {
    /// The library's defaults for the field names.
    static let defaults = DataOptions(path: URL(fileURLWithPath: ""))

    static let flags: [Arguments.Flag] = [
        .init("prompt-field", help: "JSONL field holding the prompt (e.g. question for GSM8K)"),
        .init("completion-field", help: "JSONL field holding the completion (e.g. answer for GSM8K)"),
        .init("text-field", help: "JSONL field holding plain text (loss on every token)"),
        .init("chat-field", help: "JSONL field holding chat messages"),
        .init("task", help: "task family for decoders: \(TaskFamilies.names.joined(separator: ", ")); GLUE task preset for encoders: \(GLUETask.allCases.map(\.rawValue).joined(separator: ", ")) (both detected from the data)"),
        .init("text-column", help: "classification: text field or TSV column (default \(defaults.classificationText))"),
        .init("pair-column", help: "classification: second text field or column, for pairs"),
        .init("label-column", help: "classification: label field or column (default \(defaults.classificationLabel))"),
    ]

    /// `DataOptions` for the `--data` path with the field flags applied.
    static func options(_ args: Arguments) throws -> DataOptions {
        var data = DataOptions(path: URL(fileURLWithPath: try args.required("data")))
        data.promptField = args.string("prompt-field")
        data.completionField = args.string("completion-field")
        data.textField = args.string("text-field")
        data.chatField = args.string("chat-field")
        if let t = args.string("task") {
            if let family = TaskFamilies.named(t) {
                data.taskFamily = family.name
            } else if let task = GLUETask(rawValue: t.lowercased()) {
                data.glueTask = task
            } else {
                throw CLIError("--task must be one of \((TaskFamilies.names + GLUETask.allCases.map(\.rawValue)).joined(separator: ", ")), got '\(t)'")
            }
        }
        if let t = args.string("text-column") { data.classificationText = t }
        data.classificationTextPair = args.string("pair-column")
        if let l = args.string("label-column") { data.classificationLabel = l }
        return data
    }
}
