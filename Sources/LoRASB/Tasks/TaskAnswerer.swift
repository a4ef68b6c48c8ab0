import Foundation
import ModelIO
import Models
import Training

/// Answers a share of one set's problems, by greedy generation (`batchSize` problems decoded
/// together, a finished one's place taken by the next) or by likelihood (each problem's
/// candidate answers scored in one pass), and judges each answer as the family does. A prompt
/// longer than `maxSequenceLength` is not run and is scored wrong.
struct TaskAnswerer {
    let request: EvaluationRequest
    let model: LoadedModel
    let decoder: LlamaModel
    let format: PromptFormat
    let maxNewTokens: Int

    init(request: EvaluationRequest, family: any TaskFamily, model: LoadedModel, decoder: LlamaModel) throws {
        self.request = request
        self.model = model
        self.decoder = decoder
        format = try PromptFormat(tokenizer: model.tokenizer, override: request.chatTemplate ?? family.chatTemplate)
        maxNewTokens = request.maxNewTokens ?? family.maxNewTokens
    }

    /// The records of `problems` (a slice of `set.problems`), in their order. `onRecord` sees
    /// each record as soon as it is judged (generations finish out of order).
    func answer(_ problems: ArraySlice<TaskProblem>, of set: TaskEvaluationSet,
                onRecord: (TaskEvaluation.Record) -> Void) throws -> [TaskEvaluation.Record] {
        switch request.scoring {
        case .generation: return try generate(problems, of: set, onRecord: onRecord)
        case .likelihood:
            return try problems.indices.map {
                let record = try likeliest(problems[$0], number: $0 + 1, of: set)
                onRecord(record)
                return record
            }
        }
    }

    func generate(_ problems: ArraySlice<TaskProblem>, of set: TaskEvaluationSet,
                  onRecord: (TaskEvaluation.Record) -> Void) throws -> [TaskEvaluation.Record] {
        let problems = Array(problems)
        let prompts = try problems.map { model.tokenizer.encode(try format.promptText($0.prompt)).ids }
        var records = [TaskEvaluation.Record?](repeating: nil, count: problems.count)
        for i in prompts.indices where prompts[i].count > request.maxSequenceLength {
            let record = TaskEvaluation.Record(tooLong: problems[i], in: set)
            records[i] = record
            onRecord(record)
        }
        let runnable = prompts.indices.filter { records[$0] == nil }
        if !runnable.isEmpty {
            let options = GenerationOptions(maxNewTokens: maxNewTokens, batchSize: request.batchSize)
            _ = try decoder.generate(prompts: runnable.map { prompts[$0] }, options: options, onFinish: { k, tokens in
                let p = problems[runnable[k]]
                let text = model.tokenizer.decode(tokens, skipSpecialTokens: true)
                let record = TaskEvaluation.Record(set: set.name, question: p.question, generated: text,
                                                   judgement: p.judge(text), reference: p.reference)
                records[runnable[k]] = record
                onRecord(record)
            })
        }
        // Every problem is judged once: too long, or when its generation finished.
        return records.compactMap { $0 }
    }

    /// Problem `number` (1-based, for errors) answered by its likeliest candidate; the first of
    /// equally likely answers wins.
    func likeliest(_ p: TaskProblem, number: Int, of set: TaskEvaluationSet) throws -> TaskEvaluation.Record {
        guard !p.choices.isEmpty else { throw DataError(set.file, "problem \(number) has no candidate answers to score") }
        let context = try format.promptText(p.prompt) + p.answerLeadIn
        let ids = ContinuationLikelihood.tokens(context: context, continuations: p.choices, tokenizer: model.tokenizer)
        let longest = ids.context.count + (ids.continuations.map(\.count).max() ?? 0)
        guard longest <= request.maxSequenceLength else { return TaskEvaluation.Record(tooLong: p, in: set) }
        let logps = try ContinuationLikelihood.logProbabilities(decoder, context: ids.context, continuations: ids.continuations,
                                                               padTokenID: model.padTokenID)
        var best = 0
        for k in logps.indices where logps[k] > logps[best] { best = k }
        return TaskEvaluation.Record(set: set.name, question: p.question,
                                     logProbabilities: zip(p.choices, logps).map { TaskEvaluation.ScoredAnswer(answer: $0, logProbability: $1) },
                                     judgement: TaskJudgement(predicted: p.choices[best], correct: p.choices[best] == p.reference),
                                     reference: p.reference)
    }
}
