import Foundation
import Training

/// A family of tasks the paper trains and evaluates on (GSM8K, MATH, commonsense reasoning):
/// how its data reads, how a problem is prompted and scored, and the settings it needs by
/// default. Adding a family is one file with a type conforming to this and one line in
/// `TaskFamilies.all`; the jobs run every family through the same code.
public protocol TaskFamily: Sendable {
    /// The name `--task` selects the family by.
    var name: String { get }
    /// New tokens a generated answer may take, unless a request sets `maxNewTokens`.
    var maxNewTokens: Int { get }
    /// The template prompts are rendered with, unless a request sets `chatTemplate`: nil for
    /// the model's own chat template, `none` for the prompt as plain text.
    var chatTemplate: String? { get }
    /// The ways the family's answers can be scored; the first is the default.
    var scorings: [TaskScoring] { get }
    /// Whether the data at `data.path` is this family's (used when no family is named).
    func recognizes(_ data: DataOptions) -> Bool
    /// The training and validation examples, limited as `data` says.
    func trainingData(_ data: DataOptions) throws -> TaskTrainingData
    /// The sets to evaluate on `split` (nil: the family's usual evaluation split).
    func evaluationSets(_ data: DataOptions, split: DataSplit?) throws -> [TaskEvaluationSet]
}

/// How an evaluation decides a model's answer to a problem.
public enum TaskScoring: String, Sendable, CaseIterable {
    /// Greedy decoding of the prompt; the family extracts the answer from the text.
    case generation
    /// The candidate answer with the highest log-probability as the prompt's continuation;
    /// never fails to answer.
    case likelihood
}

/// A family's examples for fine-tuning, before tokenisation.
public struct TaskTrainingData: Sendable {
    public var train: [LanguageModelingExample]
    public var validation: [LanguageModelingExample]
    /// Where the validation examples came from, for the run's summary.
    public var validationName: String

    public init(train: [LanguageModelingExample], validation: [LanguageModelingExample], validationName: String) {
        self.train = train
        self.validation = validation
        self.validationName = validationName
    }
}

/// One set of problems scored together (GSM8K's test file; each commonsense test set).
public struct TaskEvaluationSet: Sendable {
    /// The set's name in progress lines, results and the generations file.
    public var name: String
    public var file: URL
    public var problems: [TaskProblem]

    public init(name: String, file: URL, problems: [TaskProblem]) {
        self.name = name
        self.file = file
        self.problems = problems
    }
}

/// What the scoring of one answer found.
public struct TaskJudgement: Equatable, Sendable, Codable {
    /// The answer read from the model's output; nil when it gave none.
    public var predicted: String?
    public var correct: Bool

    public init(predicted: String?, correct: Bool) {
        self.predicted = predicted
        self.correct = correct
    }
}

/// One problem of an evaluation set: its prompt, its reference answer and how a generation is
/// judged.
public struct TaskProblem: Sendable {
    /// The problem as the data states it (written to the generations file).
    public var question: String
    /// The user's prompt, rendered with the family's template before the model sees it.
    public var prompt: String
    /// The reference answer as scoring compares it.
    public var reference: String
    /// Likelihood scoring: the candidate answers, one of them `reference`.
    public var choices: [String]
    /// Likelihood scoring: the text of a response before its answer ("the correct answer is ").
    public var answerLeadIn: String
    /// Reads the answer out of a generated text and compares it with the reference.
    public var judge: @Sendable (String) -> TaskJudgement

    public init(question: String, prompt: String, reference: String, choices: [String] = [],
                answerLeadIn: String = "", judge: @escaping @Sendable (String) -> TaskJudgement) {
        self.question = question
        self.prompt = prompt
        self.reference = reference
        self.choices = choices
        self.answerLeadIn = answerLeadIn
        self.judge = judge
    }
}
