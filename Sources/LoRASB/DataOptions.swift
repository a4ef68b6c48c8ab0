import Foundation
import Training

/// Where the examples come from and how their fields are read.
public struct DataOptions: Sendable, Equatable {
    /// A file or a folder of split files (`train`, `valid`/`validation`/`dev`, `test`).
    public var path: URL
    /// Decoders: a record's fields (nil: detected from the first record, as `mlx_lm.lora`).
    public var promptField: String?
    public var completionField: String?
    public var textField: String?
    public var chatField: String?
    /// Decoders: how prompts and chats are rendered: `chatml`, `llama3`, `none`, or nil for the
    /// model's own chat template.
    public var promptFormat: String?
    /// Encoders: a GLUE task preset (nil: detected from the folder name, else from the files'
    /// columns).
    public var glueTask: GLUETask?
    /// Encoders: classification or regression (nil: detected, see `ClassificationLayout.of`).
    public var headTask: HeadTask?
    /// Decoders: the task family (`TaskFamilies`: gsm8k, math, commonsense) the data belongs
    /// to; nil detects it from the data, and data of no family is plain language modelling.
    public var taskFamily: String?
    /// Encoders, other data: the text, optional second text and label fields (JSONL keys or TSV
    /// header names).
    public var classificationText: String
    public var classificationTextPair: String?
    public var classificationLabel: String
    /// At most this many training / validation examples (in file order; nil: all).
    public var maxTrainExamples: Int?
    public var maxValidationExamples: Int?

    public init(path: URL, promptField: String? = nil, completionField: String? = nil,
                textField: String? = nil, chatField: String? = nil, promptFormat: String? = nil,
                glueTask: GLUETask? = nil, headTask: HeadTask? = nil, taskFamily: String? = nil,
                classificationText: String = "text", classificationTextPair: String? = nil,
                classificationLabel: String = "label", maxTrainExamples: Int? = nil,
                maxValidationExamples: Int? = nil) {
        self.path = path
        self.promptField = promptField
        self.completionField = completionField
        self.textField = textField
        self.chatField = chatField
        self.promptFormat = promptFormat
        self.glueTask = glueTask
        self.headTask = headTask
        self.taskFamily = taskFamily
        self.classificationText = classificationText
        self.classificationTextPair = classificationTextPair
        self.classificationLabel = classificationLabel
        self.maxTrainExamples = maxTrainExamples
        self.maxValidationExamples = maxValidationExamples
    }

    /// The record layout the options name for language modelling.
    public var languageModelingFormat: LanguageModelingFormat {
        if let p = promptField ?? (completionField != nil ? "prompt" : nil) {
            return .promptCompletion(promptField: p, completionField: completionField ?? "completion")
        }
        if let t = textField { return .text(field: t) }
        if let c = chatField { return .chat(field: c) }
        return .automatic
    }

    /// The GLUE task named or implied by the data path's folder (`.../glue/RTE`, `STS-B/dev.tsv`).
    public var resolvedGLUETask: GLUETask? {
        if let glueTask { return glueTask }
        return [path.lastPathComponent, path.deletingLastPathComponent().lastPathComponent]
            .lazy.compactMap(GLUETask.init(named:)).first
    }
}
