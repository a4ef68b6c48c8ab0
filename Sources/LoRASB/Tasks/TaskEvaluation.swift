import Foundation
import ModelIO
import Models
import Training

/// Evaluates a decoder on a task family's sets: every problem answered by greedy generation or
/// by likelihood, judged by the family, with a progress line per problem, accuracy and its 95%
/// interval per set and (for several sets) their mean, and optionally every answer written as
/// one JSON line.
struct TaskEvaluation {
    let request: EvaluationRequest
    let family: any TaskFamily
    let progress: (String) -> Void

    /// One problem's outcome, as the generations file records it.
    struct Record {
        var set: String
        var question: String
        var generated: String?
        var logProbabilities: [(String, Double)]?
        var judgement: TaskJudgement
        var reference: String
        /// The prompt was longer than `maxSequenceLength` tokens: not run, scored wrong.
        var tooLong = false
    }

    func run(_ model: LoadedModel) throws -> EvaluationResult {
        let r = request
        guard let decoder = model.decoder else {
            throw DataError(path: model.url.path, "task \(family.name) needs a decoder (a causal language model)")
        }
        guard family.scorings.contains(r.scoring) else {
            throw SettingError("scoring", "task \(family.name) scores by \(family.scorings.map(\.rawValue).joined(separator: " or ")), not \(r.scoring.rawValue)")
        }
        let maxNewTokens = r.maxNewTokens ?? family.maxNewTokens
        let format = try PromptFormat(tokenizer: model.tokenizer, override: r.chatTemplate ?? family.chatTemplate)
        let sets = try family.evaluationSets(r.data, split: r.split).map { set -> TaskEvaluationSet in
            var s = set
            if let limit = r.limit { s.problems = Array(s.problems.prefix(limit)) }
            return s
        }
        guard sets.contains(where: { !$0.problems.isEmpty }) else { throw DataError(r.data.path, "no problems to evaluate") }

        let total = sets.reduce(0) { $0 + $1.problems.count }
        let started = Date()
        var done = 0
        var records: [Record] = []
        var scores: [(name: String, correct: Int, total: Int, unanswered: Int, tooLong: Int)] = []
        for set in sets where !set.problems.isEmpty {
            var correct = 0, unanswered = 0, tooLong = 0
            func finish(_ index: Int, _ record: Record) {
                records.append(record)
                if record.judgement.correct { correct += 1 }
                if record.judgement.predicted == nil { unanswered += 1 }
                if record.tooLong { tooLong += 1 }
                done += 1
                let elapsed = Date().timeIntervalSince(started)
                let eta = Double(total - done) * elapsed / Double(done)
                progress(String(format: "%@ %d/%d  accuracy %.4f  %@ elapsed, %@ left", set.name, index + 1, set.problems.count,
                                Double(correct) / Double(index + 1), TrainingProgress.clock(elapsed), TrainingProgress.clock(eta)))
            }
            let prompts = try set.problems.map { model.tokenizer.encode(try format.promptText($0.prompt)).ids }
            switch r.scoring {
            case .generation:
                var start = 0
                while start < prompts.count {
                    let chunk = Array(start..<min(prompts.count, start + r.batchSize))
                    let runnable = chunk.filter { prompts[$0].count <= r.maxSequenceLength }
                    let outputs = runnable.isEmpty ? [] : try decoder.generate(prompts: runnable.map { prompts[$0] },
                                                                               options: GenerationOptions(maxNewTokens: maxNewTokens))
                    for i in chunk {
                        let p = set.problems[i]
                        if let k = runnable.firstIndex(of: i) {
                            let text = model.tokenizer.decode(outputs[k], skipSpecialTokens: true)
                            finish(i, Record(set: set.name, question: p.question, generated: text, judgement: p.judge(text), reference: p.reference))
                        } else {
                            finish(i, Record(tooLong: p, in: set))
                        }
                    }
                    start += chunk.count
                }
            case .likelihood:
                for (i, p) in set.problems.enumerated() {
                    guard !p.choices.isEmpty else { throw DataError(set.file, "problem \(i + 1) has no candidate answers to score") }
                    let context = try format.promptText(p.prompt) + p.answerLeadIn
                    let ids = ContinuationLikelihood.tokens(context: context, continuations: p.choices, tokenizer: model.tokenizer)
                    let longest = ids.context.count + (ids.continuations.map(\.count).max() ?? 0)
                    guard longest <= r.maxSequenceLength else {
                        finish(i, Record(tooLong: p, in: set))
                        continue
                    }
                    let logps = try ContinuationLikelihood.logProbabilities(decoder, context: ids.context, continuations: ids.continuations,
                                                                           padTokenID: model.padTokenID)
                    // The first of equally likely answers wins.
                    var best = 0
                    for k in logps.indices where logps[k] > logps[best] { best = k }
                    finish(i, Record(set: set.name, question: p.question, logProbabilities: Array(zip(p.choices, logps)),
                                     judgement: TaskJudgement(predicted: p.choices[best], correct: p.choices[best] == p.reference),
                                     reference: p.reference))
                }
            }
            if tooLong > 0 {
                progress("\(set.name): \(tooLong) of \(set.problems.count) prompts are longer than maxSequenceLength (\(r.maxSequenceLength) tokens): not run, scored wrong")
            }
            scores.append((set.name, correct, set.problems.count, unanswered, tooLong))
        }
        if let out = r.generationsOutput { try TaskEvaluation.write(records, to: out) }

        var values: [(name: String, value: Double)] = []
        let mean = BinomialInterval.mean(of: scores.map { ($0.correct, $0.total) })
        if scores.count == 1, let s = scores.first {
            let ci = BinomialInterval.wilson(correct: s.correct, total: s.total)
            values = [("accuracy", mean.mean), ("accuracy_low", ci.low), ("accuracy_high", ci.high),
                      ("correct", Double(s.correct)), ("unanswered", Double(s.unanswered)), ("too_long", Double(s.tooLong))]
        } else {
            values = [("accuracy", mean.mean), ("accuracy_low", mean.low), ("accuracy_high", mean.high),
                      ("correct", Double(scores.reduce(0) { $0 + $1.correct })),
                      ("unanswered", Double(scores.reduce(0) { $0 + $1.unanswered })),
                      ("too_long", Double(scores.reduce(0) { $0 + $1.tooLong }))]
            for s in scores {
                let ci = BinomialInterval.wilson(correct: s.correct, total: s.total)
                values += [("\(s.name).accuracy", Double(s.correct) / Double(s.total)),
                           ("\(s.name).accuracy_low", ci.low), ("\(s.name).accuracy_high", ci.high),
                           ("\(s.name).examples", Double(s.total))]
            }
        }
        return EvaluationResult(metric: .task, file: sets.count == 1 ? sets[0].file.path : r.data.path.path,
                                examples: total, values: values, task: family.name, scoring: r.scoring)
    }

    /// One JSON line per problem: set, question, generation (or each answer's log-probability),
    /// predicted and reference answer, whether it is correct.
    static func write(_ records: [Record], to url: URL) throws {
        var lines = Data()
        for r in records {
            var object: [String: Any] = [
                "set": r.set, "question": r.question, "correct": r.judgement.correct, "reference": r.reference,
                "predicted": r.judgement.predicted.map { $0 as Any } ?? NSNull(),
            ]
            if let g = r.generated { object["generated"] = g }
            if let scores = r.logProbabilities {
                object["log_probabilities"] = Dictionary(scores, uniquingKeysWith: { a, _ in a })
            }
            if r.tooLong { object["too_long"] = true }
            lines += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            lines += Data("\n".utf8)
        }
        try AtomicFile.write(lines, to: url)
    }
}

extension TaskEvaluation.Record {
    /// A problem whose prompt is longer than the evaluation allows: not run, scored wrong.
    init(tooLong problem: TaskProblem, in set: TaskEvaluationSet) {
        self.init(set: set.name, question: problem.question, judgement: TaskJudgement(predicted: nil, correct: false),
                  reference: problem.reference)
        tooLong = true
    }
}
