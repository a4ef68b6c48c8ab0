import Foundation
import Training

/// GSM8K (grade-school arithmetic): trained on worked solutions ending in `#### answer`,
/// evaluated as the paper does: greedy decoding of the question (rendered as in training), the
/// last number of the output against the number after `####`.
public struct GSM8KTask: QuestionAnswerTask {
    public init() {}
    public var name: String { "gsm8k" }
    public var maxNewTokens: Int { 256 }

    public func recognizes(answer: String) -> Bool { GSM8KAnswer.reference(answer) != nil }

    public func problem(question: String, answer: String, file: URL, line: Int) throws -> TaskProblem {
        guard let reference = GSM8KAnswer.reference(answer) else {
            throw DataError(file, line: line, "the answer has no number after \"####\"")
        }
        return TaskProblem(question: question, prompt: question, reference: GSM8KTask.text(reference)) { generated in
            TaskJudgement(predicted: GSM8KAnswer.lastNumber(in: generated).map(GSM8KTask.text),
                          correct: GSM8KAnswer.isCorrect(generated: generated, referenceAnswer: answer))
        }
    }

    /// A number as a person writes it: 18, not 18.0.
    static func text(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
