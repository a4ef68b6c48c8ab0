import Foundation
import Tokenizers
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
    /// Encoders: a GLUE task preset (detected from the folder name when nil).
    public var glueTask: GLUETask?
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
                textField: String? = nil, chatField: String? = nil, glueTask: GLUETask? = nil,
                taskFamily: String? = nil, classificationText: String = "text", classificationTextPair: String? = nil,
                classificationLabel: String = "label", maxTrainExamples: Int? = nil,
                maxValidationExamples: Int? = nil) {
        self.path = path
        self.promptField = promptField
        self.completionField = completionField
        self.textField = textField
        self.chatField = chatField
        self.glueTask = glueTask
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

    /// The GLUE task named or implied by the data path's folder (`.../glue/RTE`).
    public var resolvedGLUETask: GLUETask? {
        if let glueTask { return glueTask }
        let names = [path.lastPathComponent, path.deletingLastPathComponent().lastPathComponent]
        return GLUETask.allCases.first { task in names.contains { $0.lowercased() == task.rawValue } }
    }

    /// Language-modelling splits; validation falls back to the test split.
    func languageModelingSplits() throws -> (train: [LanguageModelingExample], validation: [LanguageModelingExample], validationName: String) {
        let splits = try LanguageModelingDataset.loadSplits(path, format: languageModelingFormat)
        guard let train = splits.train, !train.examples.isEmpty else {
            throw DataError(path, "no training examples (expected a JSONL file or a folder with train.jsonl)")
        }
        let validation = splits.validation ?? splits.test
        let name = splits.validation.map { $0.path } ?? splits.test.map { $0.path } ?? "none"
        return (limit(train.examples, maxTrainExamples),
                limit(validation?.examples ?? [], maxValidationExamples), name)
    }

    /// Classification splits; validation falls back to the test split.
    func classificationSplits() throws -> (train: ClassificationDataset, validation: ClassificationDataset?, task: GLUETask?) {
        let task = resolvedGLUETask
        let splits: DatasetSplits<ClassificationDataset>
        if let task {
            splits = try task.loadSplits(path)
        } else {
            let isTSV = path.pathExtension.lowercased() == "tsv"
                || (try? DataSplitFiles.locate(path, fileExtension: "tsv").train) != nil
            splits = try ClassificationDataset.loadSplits(path, format: classificationFormat(tsv: isTSV))
        }
        guard let train = splits.train, train.count > 0 else {
            throw DataError(path, "no training examples")
        }
        let validation = splits.validation ?? splits.test
        return (train.prefix(maxTrainExamples), validation?.prefix(maxValidationExamples), task)
    }

    /// How classification files without a GLUE preset are read: named TSV columns (with a
    /// header) or JSONL fields.
    func classificationFormat(tsv: Bool) -> ClassificationFileFormat {
        tsv ? .tsv(ClassificationTableFormat(hasHeader: true, text: .name(classificationText),
                                             textPair: classificationTextPair.map { .name($0) },
                                             label: .name(classificationLabel)))
            : .jsonl(ClassificationJSONFormat(textField: classificationText,
                                              textPairField: classificationTextPair,
                                              labelField: classificationLabel))
    }

    private func limit<T>(_ xs: [T], _ n: Int?) -> [T] {
        guard let n, n >= 0 else { return xs }
        return Array(xs.prefix(n))
    }
}

extension ClassificationDataset {
    /// The first `n` examples (all when nil).
    func prefix(_ n: Int?) -> ClassificationDataset {
        guard let n, n >= 0, n < count else { return self }
        return ClassificationDataset(path: path, examples: Array(examples.prefix(n)), lines: Array(lines.prefix(n)))
    }
}

extension ClassificationDataset {
    /// The examples as token ids (text pairs with segment ids) and class indices under `labels`,
    /// each cut to `maxLength` tokens the tokenizer's way (longest text first, special tokens
    /// kept). Returns how many had to be cut. A label outside `labels` is an error naming its line.
    func encoded(with tokenizer: Tokenizer, labels: [String], maxLength: Int) throws -> (examples: [TokenizedExample], truncated: Int) {
        var index: [String: Int] = [:]
        for (i, l) in labels.enumerated() where index[l] == nil { index[l] = i }
        var cut = 0
        var out: [TokenizedExample] = []
        out.reserveCapacity(count)
        for (e, line) in zip(examples, lines) {
            guard let label = index[e.label] else {
                throw DataError(path: path, line: line, "label \"\(e.label)\" is not one of the model's labels \(labels)")
            }
            var enc = tokenizer.encode(e.text, pair: e.textPair)
            if enc.ids.count > maxLength {
                enc = tokenizer.encode(e.text, pair: e.textPair, truncation: TruncationOptions(maxLength: maxLength))
                cut += 1
            }
            out.append(TokenizedExample(tokens: enc.ids, label: label, tokenTypes: enc.typeIds))
        }
        return (out, cut)
    }
}
