import Foundation

/// An accuracy every trained run of a suite is scored on after training: a task family's own
/// evaluation (the last number of a GSM8K answer, the boxed MATH answer, each commonsense set's
/// first keyword) on its test problems, as `lorasb eval` computes it.
public struct ExperimentAccuracy: Sendable, Equatable {
    /// The prefix of the record's metrics (`gsm8k` → `gsm8k_accuracy`, `gsm8k_correct`;
    /// a set's: `commonsense.boolq_accuracy`) and the run's generations file (`gsm8k.jsonl`).
    public var name: String
    /// The title of its table column (`GSM8K acc`).
    public var title: String
    /// The data the family evaluates (its `taskFamily` set); its test split is read.
    public var data: DataOptions
    /// The first `problems` problems of each set (nil: all of them).
    public var problems: Int?
    public var maxNewTokens: Int
    public var batchSize: Int
    public var scoring: TaskScoring = .generation
    /// Sets that also get a column of their own (the commonsense sets); empty: the headline only.
    public var sets: [String] = []

    public init(name: String, title: String, data: DataOptions, problems: Int?, maxNewTokens: Int,
                batchSize: Int, scoring: TaskScoring = .generation, sets: [String] = []) {
        self.name = name
        self.title = title
        self.data = data
        self.problems = problems
        self.maxNewTokens = maxNewTokens
        self.batchSize = batchSize
        self.scoring = scoring
        self.sets = sets
    }

    /// The record's key of an evaluation value (`accuracy`, `correct`; `boolq.accuracy` for a set).
    public func metric(_ value: String) -> String {
        guard let dot = value.firstIndex(of: ".") else { return "\(name)_\(value)" }
        return "\(name).\(value[..<dot])_\(value[value.index(after: dot)...])"
    }

    /// The evaluation of the adapter in `adapter` on `model`.
    func request(model: URL, adapter: URL) -> EvaluationRequest {
        var r = EvaluationRequest(model: model, adapter: adapter, data: data)
        r.split = .test
        r.metric = .task
        r.limit = problems
        r.batchSize = batchSize
        r.maxNewTokens = maxNewTokens
        r.scoring = scoring
        r.generationsOutput = adapter.appendingPathComponent("\(name).jsonl")
        return r
    }

    /// What a run's record keeps of these settings: a record made with other settings is redone.
    var spec: String {
        var s = "\(problems.map { "\($0) problems" } ?? "all problems"), \(maxNewTokens) new tokens, batch \(batchSize)"
        if scoring != .generation { s += ", \(scoring.rawValue) scoring" }
        return s
    }

    /// New tokens generated at most over every set, for the plan's estimate.
    func generatedTokens() throws -> Int {
        guard scoring == .generation, let family = try TaskFamilies.resolve(data) else { return 0 }
        let sets = try family.evaluationSets(data, split: .test)
        return sets.reduce(0) { $0 + min(problems ?? $1.problems.count, $1.problems.count) } * maxNewTokens
    }

    /// The table columns: the headline, then one per set.
    func columns(task: String) -> [ExperimentColumn] {
        [ExperimentColumn(title, task: task, metric: metric("accuracy"))]
            + sets.map { ExperimentColumn($0, task: task, metric: metric("\($0).accuracy")) }
    }
}
