import Foundation
import Training

/// The JSONL layout GSM8K and MATH500 share: one `{"question": …, "answer": …}` per line, the
/// answer a worked solution ending in its final answer. The field flags, when given, name
/// other fields.
enum QuestionAnswerFile {
    /// The record layout: the data's own fields when any is named, else question / answer.
    static func format(_ data: DataOptions) -> LanguageModelingFormat {
        let named = data.promptField != nil || data.completionField != nil || data.textField != nil || data.chatField != nil
        return named ? data.languageModelingFormat : .promptCompletion(promptField: "question", completionField: "answer")
    }

    /// The data with the layout filled in, for the splits every decoder run reads.
    static func withFields(_ data: DataOptions) -> DataOptions {
        var d = data
        if case .promptCompletion(let p, let c) = format(data) {
            d.promptField = p
            d.completionField = c
        }
        return d
    }

    /// The answer field of the first record of the first split file, for detection; nil when the
    /// data is not JSONL in this layout.
    static func firstAnswer(_ data: DataOptions) -> String? {
        guard case .promptCompletion(let promptField, let answerField) = format(data),
              let files = try? DataSplitFiles.locate(data.path, fileExtension: "jsonl"),
              let file = files.train ?? files.validation ?? files.test,
              let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        // The first line is enough; GSM8K's and MATH's lines are a few KB.
        guard let head = try? handle.read(upToCount: 1 << 20),
              let line = head.split(separator: UInt8(ascii: "\n")).first,
              case .object(let fields)? = JSONValue(parsing: Data(line)),
              case .string(_)? = fields[promptField], case .string(let answer)? = fields[answerField] else { return nil }
        return answer
    }

    /// Training and validation splits in this layout.
    static func trainingData(_ data: DataOptions) throws -> TaskTrainingData {
        let s = try withFields(data).languageModelingSplits()
        return TaskTrainingData(train: s.train, validation: s.validation, validationName: s.validationName)
    }

    /// The problems of one split file as (question, answer) pairs.
    static func problems(_ data: DataOptions, split: DataSplit?) throws -> (file: URL, problems: [(question: String, answer: String)]) {
        let file = try data.file(of: split, fileExtension: "jsonl")
        let dataset = try LanguageModelingDataset.load(file, format: format(data))
        let problems = try dataset.examples.map { e -> (question: String, answer: String) in
            guard case .promptCompletion(let q, let a) = e else {
                throw DataError(file, "needs prompt/completion records (question and answer fields)")
            }
            return (q, a)
        }
        return (file, problems)
    }
}
