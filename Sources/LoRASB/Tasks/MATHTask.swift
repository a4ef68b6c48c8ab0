import Foundation
import Training

/// MATH (competition mathematics; here MATH500): evaluated by greedy decoding, the final answer
/// of the output (its last `\boxed{…}`, else the text after "The answer is:", else after a
/// GSM8K-style `####`, which a model trained on GSM8K writes) against the reference's, equal
/// after the MATH benchmark's normalisation. Training data in the same layout trains as GSM8K
/// does; the paper's MetaMathQA is not available, so GSM8K's training split stands in for it.
public struct MATHTask: QuestionAnswerTask {
    public init() {}
    public var name: String { "math" }
    /// The authors' MATH evaluation allows 512 new tokens.
    public var maxNewTokens: Int { 512 }

    /// Answers ending in `\boxed{…}` or "The answer is:" (and no GSM8K `####`).
    public func recognizes(answer: String) -> Bool {
        GSM8KAnswer.reference(answer) == nil && MATHAnswer.extract(answer) != nil
    }

    public func problem(question: String, answer: String, file: URL, line: Int) throws -> TaskProblem {
        guard let reference = MATHTask.finalAnswer(answer) else {
            throw DataError(file, line: line, "the answer has no \\boxed{…}, \"The answer is:\" or \"####\"")
        }
        return TaskProblem(question: question, prompt: question, reference: reference) { generated in
            let predicted = MATHTask.finalAnswer(generated)
            return TaskJudgement(predicted: predicted, correct: predicted.map { MATHAnswer.isEquivalent($0, reference) } ?? false)
        }
    }

    /// The final answer of a solution: `MATHAnswer.extract`, else the first line after the last
    /// `####`.
    public static func finalAnswer(_ text: String) -> String? {
        if let answer = MATHAnswer.extract(text) { return answer }
        guard let marker = text.range(of: "####", options: .backwards) else { return nil }
        let answer = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            .prefix { $0 != "\n" }.trimmingCharacters(in: .whitespaces)
        return answer.isEmpty ? nil : answer
    }
}
