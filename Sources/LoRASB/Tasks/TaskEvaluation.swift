import Distributed
import Foundation
import ModelIO
import Models
import Training

/// Evaluates a decoder on a task family's sets: every problem answered by greedy generation or
/// by likelihood, judged by the family, with a progress line per problem, accuracy and its 95%
/// interval per set and (for several sets) their mean, and optionally every answer written as
/// one JSON line.
///
/// Each set's problems are cut into chunks of `chunkBatches · batchSize`, and the processes of
/// `communicator` share out whole chunks. Within a chunk, `batchSize` problems generate
/// together and a finished one's place goes to the chunk's next problem. The chunks do not
/// depend on the number of processes, so a problem's greedy generation meets the same
/// neighbours however many run, and every answer (and the accuracy) is the one a single
/// process gives. Every process returns the same result; only rank 0 writes the generations
/// file.
struct TaskEvaluation {
    let request: EvaluationRequest
    let family: any TaskFamily
    let communicator: any Communicator
    let progress: (String) -> Void

    /// One problem's outcome, as the generations file records it.
    struct Record: Codable {
        var set: String
        var question: String
        var generated: String?
        var logProbabilities: [ScoredAnswer]?
        var judgement: TaskJudgement
        var reference: String
        /// The prompt was longer than `maxSequenceLength` tokens: not run, scored wrong.
        var tooLong = false
    }

    /// Likelihood scoring: a candidate answer and its log-probability after the prompt.
    struct ScoredAnswer: Codable {
        var answer: String
        var logProbability: Double
    }

    /// The problems of one set answered together by one process.
    struct Chunk {
        var set: Int
        var problems: Range<Int>
    }

    /// Batches per chunk. Refilling finished rows keeps a chunk's batch full until its last
    /// problems, whose rows then drain one by one; longer chunks waste less of that tail but
    /// share out among processes more coarsely.
    static let chunkBatches = 8

    func run(_ model: LoadedModel) throws -> EvaluationResult {
        let r = request
        guard let decoder = model.decoder else {
            throw DataError(path: model.url.path, "task \(family.name) needs a decoder (a causal language model)")
        }
        guard family.scorings.contains(r.scoring) else {
            throw SettingError("scoring", "task \(family.name) scores by \(family.scorings.map(\.rawValue).joined(separator: " or ")), not \(r.scoring.rawValue)")
        }
        let sets = try family.evaluationSets(r.data, split: r.split).map { set -> TaskEvaluationSet in
            var s = set
            if let limit = r.limit { s.problems = Array(s.problems.prefix(limit)) }
            return s
        }
        guard sets.contains(where: { !$0.problems.isEmpty }) else { throw DataError(r.data.path, "no problems to evaluate") }
        let answerer = try TaskAnswerer(request: r, family: family, model: model, decoder: decoder)

        let chunkSize = r.batchSize * TaskEvaluation.chunkBatches
        let chunks = sets.indices.flatMap { s in
            stride(from: 0, to: sets[s].problems.count, by: chunkSize).map {
                Chunk(set: s, problems: $0 ..< min($0 + chunkSize, sets[s].problems.count))
            }
        }
        // Progress counts this process's problems: its share of each set, and of all.
        var share = [Int](repeating: 0, count: sets.count)
        for c in communicator.units(of: chunks.count) { share[chunks[c].set] += chunks[c].problems.count }
        let mine = share.reduce(0, +)
        var done = [Int](repeating: 0, count: sets.count), correct = done
        let started = Date()
        let answered = try communicator.map(units: chunks.count) { c -> [Record] in
            let chunk = chunks[c], set = sets[chunk.set]
            return try answerer.answer(set.problems[chunk.problems], of: set) { record in
                done[chunk.set] += 1
                if record.judgement.correct { correct[chunk.set] += 1 }
                let finished = done.reduce(0, +)
                let elapsed = Date().timeIntervalSince(started)
                let eta = Double(mine - finished) * elapsed / Double(finished)
                progress(String(format: "%@ %d/%d  accuracy %.4f  %@ elapsed, %@ left", set.name, done[chunk.set], share[chunk.set],
                                Double(correct[chunk.set]) / Double(done[chunk.set]),
                                TrainingProgress.clock(elapsed), TrainingProgress.clock(eta)))
            }
        }
        var records: [Record] = []
        var scores: [(name: String, correct: Int, total: Int, unanswered: Int, tooLong: Int)] = []
        for (s, set) in sets.enumerated() where !set.problems.isEmpty {
            let ofSet = zip(chunks, answered).filter { $0.0.set == s }.flatMap(\.1)
            records += ofSet
            let tooLong = ofSet.filter(\.tooLong).count
            if tooLong > 0 {
                progress("\(set.name): \(tooLong) of \(set.problems.count) prompts are longer than maxSequenceLength (\(r.maxSequenceLength) tokens): not run, scored wrong")
            }
            scores.append((set.name, ofSet.filter(\.judgement.correct).count, set.problems.count,
                           ofSet.filter { $0.judgement.predicted == nil }.count, tooLong))
        }
        if let out = r.generationsOutput, communicator.isRoot { try TaskEvaluation.write(records, to: out) }

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
                                examples: records.count, values: values, task: family.name, scoring: r.scoring)
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
                object["log_probabilities"] = Dictionary(scores.map { ($0.answer, $0.logProbability) }, uniquingKeysWith: { a, _ in a })
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
