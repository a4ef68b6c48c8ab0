import Foundation
import ModelIO
import Tokenizers
import Training

/// A run's examples as read from its `DataOptions`, in the form the model's family needs, with
/// the options they were read with: records for a decoder; texts with labels or scores, and the
/// head layout they imply, for an encoder.
public struct TrainingData {
    public enum Examples {
        case languageModeling(train: [LanguageModelingExample], validation: [LanguageModelingExample])
        case sequences(train: ClassificationDataset, validation: ClassificationDataset?, layout: ClassificationLayout)
    }

    public let options: DataOptions
    public let examples: Examples
    /// The validation file (or "none"), for the data summary.
    public let validationName: String
    /// Decoders: the task family the data is of (`TaskFamilies`), whose prompt template it is
    /// rendered with unless `options.promptFormat` names one; nil for plain language modelling.
    public var taskFamily: (any TaskFamily)?

    /// Reads the splits `options` name for a model of `family`.
    public static func load(_ options: DataOptions, family: ModelFamily) throws -> TrainingData {
        if family == .llama {
            if let taskFamily = try TaskFamilies.resolve(options) {
                let t = try taskFamily.trainingData(options)
                return TrainingData(options: options, examples: .languageModeling(train: t.train, validation: t.validation),
                                    validationName: t.validationName, taskFamily: taskFamily)
            }
            let s = try options.languageModelingSplits()
            return TrainingData(options: options, examples: .languageModeling(train: s.train, validation: s.validation),
                                validationName: s.validationName)
        }
        let s = try options.classificationSplits()
        let layout = ClassificationLayout.of(s.train, task: s.task, requested: options.headTask)
        return TrainingData(options: options, examples: .sequences(train: s.train, validation: s.validation, layout: layout),
                            validationName: s.validation?.path ?? "none")
    }

    /// The head an encoder needs for these examples (nil for a decoder's data).
    public var layout: ClassificationLayout? {
        if case .sequences(_, _, let layout) = examples { return layout }
        return nil
    }

    /// The examples as tokens, cut to `maxSequenceLength`: decoders' records rendered with
    /// `options.promptFormat` (the model's chat template by default), encoders' texts with their
    /// class or target value.
    public func encoded(with tokenizer: Tokenizer, maxSequenceLength: Int) throws -> EncodedData {
        switch examples {
        case .languageModeling(let train, let validation):
            let format = try PromptFormat(tokenizer: tokenizer, override: options.promptFormat ?? taskFamily?.chatTemplate)
            let truncation = try SequenceTruncation(maxLength: maxSequenceLength)
            let t = truncation.apply(try train.map(format.encode))
            let v = truncation.apply(try validation.map(format.encode))
            return EncodedData(train: t.examples, validation: v.examples, truncation: t.report, validationTruncation: v.report)
        case .sequences(let train, let validation, let layout):
            let (t, cut) = try layout.encode(train, with: tokenizer, maxLength: maxSequenceLength)
            let v = try validation.map { try layout.encode($0, with: tokenizer, maxLength: maxSequenceLength).examples } ?? []
            var report = TruncationReport()
            report.truncatedExamples = cut
            return EncodedData(train: t, validation: v, truncation: report)
        }
    }
}

/// A run's examples as tokens, with what truncation did to each split.
public struct EncodedData {
    public var train: [TokenizedExample]
    public var validation: [TokenizedExample]
    public var truncation: TruncationReport
    public var validationTruncation = TruncationReport()
}
