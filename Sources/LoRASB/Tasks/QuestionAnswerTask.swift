import Foundation
import Training

/// A family whose data is question/answer JSONL (GSM8K, MATH): it trains on the worked
/// answers with the model's chat template and generates its answers; what differs is how a
/// reference and a generation are read.
public protocol QuestionAnswerTask: TaskFamily {
    /// Whether a record's answer field is in this family's form (detection).
    func recognizes(answer: String) -> Bool
    /// The problem of one record; throws (naming the line) when its answer has no final answer.
    func problem(question: String, answer: String, file: URL, line: Int) throws -> TaskProblem
}

extension QuestionAnswerTask {
    public var chatTemplate: String? { nil }
    public var scorings: [TaskScoring] { [.generation] }

    public func recognizes(_ data: DataOptions) -> Bool {
        QuestionAnswerFile.firstAnswer(data).map(recognizes(answer:)) ?? false
    }

    public func trainingData(_ data: DataOptions) throws -> TaskTrainingData {
        try QuestionAnswerFile.trainingData(data)
    }

    public func evaluationSets(_ data: DataOptions, split: DataSplit?) throws -> [TaskEvaluationSet] {
        let (file, problems) = try QuestionAnswerFile.problems(data, split: split)
        return [TaskEvaluationSet(name: name, file: file, problems: try problems.enumerated().map {
            try problem(question: $1.question, answer: $1.answer, file: file, line: $0 + 1)
        })]
    }
}
