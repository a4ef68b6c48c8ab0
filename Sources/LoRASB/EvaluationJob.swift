import Adapters
import Distributed
import Foundation
import ModelIO
import Models
import Tensor
import Tokenizers
import Training

/// What `lorasb eval` measures.
public enum EvaluationMetric: String, Sendable, CaseIterable {
    /// Decoders: the accuracy of the task family the data belongs to (`TaskFamilies`: GSM8K,
    /// MATH, commonsense), else loss; encoders: classification.
    case auto
    /// Mean loss and perplexity (decoders: per target token; encoders: per example).
    case loss
    /// The GSM8K family's accuracy (as `task` with `data.taskFamily` gsm8k).
    case gsm8k
    /// The accuracy of the task family `data.taskFamily` names (or the data's, detected).
    case task
    /// Accuracy, F1 and Matthews correlation of a classification head; Pearson and Spearman
    /// correlation of a regression head.
    case classification
}

/// Everything an evaluation is told.
public struct EvaluationRequest: Sendable {
    public var model: URL
    /// A lorasb adapter folder loaded onto the model.
    public var adapter: URL?
    public var data: DataOptions
    /// nil: the validation split, else the test split (a single file is used as it is).
    public var split: DataSplit?
    public var metric: EvaluationMetric = .auto
    /// At most this many examples (in file order).
    public var limit: Int?
    public var batchSize: Int = 8
    /// Generation: new tokens per answer (nil: the task family's `maxNewTokens`).
    public var maxNewTokens: Int?
    /// Task families: how answers are scored (generation, or the likeliest candidate answer).
    public var scoring: TaskScoring = .generation
    public var maxSequenceLength: Int = 2048
    /// What the frozen weights' products compute in (`bf16` needs AVX-512 BF16).
    public var precision: ComputePrecision = .fp32
    /// `chatml`, `llama3`, `none`, or nil for the model's own template (`data.promptFormat`).
    public var chatTemplate: String? {
        get { data.promptFormat }
        set { data.promptFormat = newValue }
    }
    /// Writes input ids, attention mask (and token types) and the logits of the evaluated
    /// examples, in file order, to this safetensors file (for comparisons with other tools).
    public var dumpLogits: URL?
    /// Task families: one JSON line per problem (set, question, generation or log-probabilities,
    /// predicted and reference answer, correct).
    public var generationsOutput: URL?

    public init(model: URL, adapter: URL? = nil, data: DataOptions) {
        self.model = model
        self.adapter = adapter
        self.data = data
    }
}

/// What an evaluation measured: named values, the first being the headline.
public struct EvaluationResult: Sendable {
    public var metric: EvaluationMetric
    /// The data file evaluated.
    public var file: String
    public var examples: Int
    public var values: [(name: String, value: Double)]
    /// The task family evaluated, and how its answers were scored.
    public var task: String? = nil
    public var scoring: TaskScoring? = nil

    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }
}

/// Evaluates a (possibly adapted) model on a data split: loss and perplexity, GSM8K accuracy,
/// or classification metrics. Progress and notes go to `say` / `progress`.
///
/// Under `mpirun` every kind of evaluation splits its batches across the processes of
/// `communicator` and gathers what each batch measured, so every process returns the result
/// one process computes; rank 0 alone reports progress and writes files (the generations, the
/// logits dump).
public final class EvaluationJob {
    public let request: EvaluationRequest
    let opener: ModelOpening
    let communicator: any Communicator
    let progress: (String) -> Void

    /// `opener` hands out the model's files (share the training run's to open them once).
    public init(_ request: EvaluationRequest, opener: ModelOpening = ModelOpener(),
                communicator: any Communicator = SingleProcess(),
                progress: @escaping (String) -> Void = { _ in }) {
        self.request = request
        self.opener = opener
        self.communicator = communicator
        self.progress = communicator.isRoot ? progress : { _ in }
    }

    /// Opens the model and the request's adapter, then evaluates.
    public func run() throws -> EvaluationResult {
        try validate()
        try InputAgreement.check([request.model] + (request.adapter.map { [$0] } ?? []), on: communicator)
        return try run(on: try AdaptedModel(model: request.model, adapter: request.adapter, opener: opener))
    }

    /// Evaluates a model already in memory (an adapter just trained; `request.adapter` unused).
    public func run(on adapted: AdaptedModel) throws -> EvaluationResult {
        let r = request
        try validate()
        try InputAgreement.check([r.data.path], on: communicator)
        try adapted.model.network.use(r.precision)
        switch adapted.model.task {
        case .causalLM: return try evaluateDecoder(adapted)
        case .sequenceClassification: return try evaluateClassifier(adapted)
        }
    }

    /// Refuses settings no evaluation could run with, before anything is read.
    func validate() throws {
        let r = request
        guard r.batchSize >= 1 else { throw SettingError("batchSize", "must be at least 1, got \(r.batchSize)") }
        if let m = r.maxNewTokens, m < 1 { throw SettingError("maxNewTokens", "must be at least 1, got \(m)") }
        if let limit = r.limit, limit < 1 { throw SettingError("limit", "must be at least 1, got \(limit)") }
    }

    // MARK: decoders

    func evaluateDecoder(_ adapted: AdaptedModel) throws -> EvaluationResult {
        let r = request
        let model = adapted.model
        if r.metric == .classification {
            throw DataError(path: model.url.path, "classification metrics need an encoder with a classification head")
        }
        if let family = try taskFamily() {
            return try TaskEvaluation(request: r, family: family, communicator: communicator, progress: progress).run(model)
        }
        let file = try r.data.file(of: r.split, fileExtension: "jsonl")
        let dataset = try LanguageModelingDataset.load(file, format: r.data.languageModelingFormat)
        let examples = limited(dataset.examples)
        guard !examples.isEmpty else { throw DataError(file, "no examples to evaluate") }
        let format = try PromptFormat(tokenizer: model.tokenizer, override: r.data.promptFormat)
        let truncation = try SequenceTruncation(maxLength: r.maxSequenceLength)
        let encoded = truncation.apply(try examples.map(format.encode)).examples
        guard !encoded.isEmpty else { throw DataError(file, "no example has a target token") }
        if let dump = r.dumpLogits, communicator.isRoot { try dumpLogits(model, encoded, to: dump) }
        let (loss, perplexity, targets) = try Evaluation.loss(model, encoded, batchSize: r.batchSize, communicator: communicator)
        return EvaluationResult(metric: .loss, file: file.path, examples: encoded.count,
                                values: [("loss", loss), ("perplexity", perplexity), ("target_tokens", Double(targets))])
    }

    /// The task family a decoder is evaluated on: the one named, GSM8K for the `gsm8k` metric,
    /// the data's own under `auto`; nil measures loss.
    func taskFamily() throws -> (any TaskFamily)? {
        switch request.metric {
        case .loss, .classification: return nil
        case .gsm8k:
            guard request.data.taskFamily == nil || request.data.taskFamily == GSM8KTask().name else {
                throw SettingError("metric", "gsm8k contradicts taskFamily \(request.data.taskFamily!)")
            }
            return GSM8KTask()
        case .task:
            guard let family = try TaskFamilies.resolve(request.data) else {
                throw DataError(request.data.path, "is not the data of a task family (\(TaskFamilies.names.joined(separator: ", "))): name one with taskFamily")
            }
            return family
        case .auto: return try TaskFamilies.resolve(request.data)
        }
    }

    // MARK: encoders

    func evaluateClassifier(_ adapted: AdaptedModel) throws -> EvaluationResult {
        let r = request
        let model = adapted.model
        if r.metric == .gsm8k || r.metric == .task || r.data.taskFamily != nil {
            throw DataError(path: model.url.path, "task families need a decoder (a causal language model)")
        }
        guard let head = adapted.headLayout else {
            throw DataError(path: model.url.path, "the model has no trained classification head: give an adapter (or a merged export with id2label)")
        }
        let file = try r.data.file(of: r.split, fileExtension: r.data.classificationFileExtension)
        let (format, task) = r.data.classificationFormat(of: file)
        let layout = try EvaluationJob.layout(head, task: task, requested: r.data.headTask)
        let dataset = try ClassificationDataset.load(file, format: format).prefix(r.limit)
        guard dataset.count > 0 else { throw DataError(file, "no examples to evaluate") }
        let examples = try layout.encode(dataset, with: model.tokenizer,
                                         maxLength: min(r.maxSequenceLength, model.files.config.maxPositions)).examples
        if let dump = r.dumpLogits, communicator.isRoot { try dumpLogits(model, examples, to: dump) }
        var values = try HeadScores.scores(model, examples, layout: layout, batchSize: r.batchSize, allMetrics: true,
                                           communicator: communicator)
        let loss = try Evaluation.loss(model, examples, batchSize: r.batchSize, communicator: communicator)
        values.append(("loss", loss.loss))
        return EvaluationResult(metric: .classification, file: file.path, examples: examples.count, values: values)
    }

    /// The head's layout with the data's GLUE task (its metrics, positive class and score range);
    /// a `headTask` the head was not trained for is refused.
    static func layout(_ head: ClassificationLayout, task: GLUETask?, requested: HeadTask?) throws -> ClassificationLayout {
        switch head {
        case .regression:
            if requested == .classification {
                throw SettingError("headTask", "the model's head is a regression (one output), not a classifier")
            }
            return .regression(range: task?.targetRange)
        case .classes(let labels, _):
            if requested == .regression {
                throw SettingError("headTask", "the model's head is a classifier of \(labels.count) classes, not a regression")
            }
            return .classes(labels: labels, task: task)
        }
    }

    // MARK: shared

    func limited<T>(_ xs: [T]) -> [T] {
        guard let n = request.limit else { return xs }
        return Array(xs.prefix(n))
    }

    /// The largest dump: logits of every position are `examples × length × vocabulary` floats.
    static let maximumDumpValues = 1 << 28

    /// Writes `input_ids`, `attention_mask`, `token_type_ids` (encoders) and `logits` of the
    /// examples, in order, right-padded into one batch.
    func dumpLogits(_ model: LoadedModel, _ examples: [TokenizedExample], to url: URL) throws {
        let batch = BatchCollator(padTokenID: model.padTokenID).collate(examples, indices: Array(examples.indices))
        let width = model.decoder?.config.vocabSize ?? model.classifier?.labelCount ?? 1
        let perRow = model.decoder != nil ? batch.sequenceLength * width : width
        let (total, overflow) = perRow.multipliedReportingOverflow(by: batch.rows)
        guard !overflow, total <= EvaluationJob.maximumDumpValues else {
            throw DataError(url, "the logits would hold \(overflow ? "too many" : String(total)) values: evaluate fewer examples (limit)")
        }
        let tokens = try TrainingBatch(batch).tokens
        let logits: Tensor
        if let decoder = model.decoder {
            logits = try decoder.logits(tokens).copy()
        } else if let classifier = model.classifier {
            logits = try classifier.logits(tokens).copy()
        } else {
            throw DataError(path: model.url.path, "cannot compute logits of this model")
        }
        func matrix(_ values: [Int]) -> Tensor {
            Tensor(shape: [batch.rows, batch.sequenceLength], values: values.map { Float($0) })
        }
        var writer = SafeTensorsWriter(metadata: ["format": "lorasb-logits", "model": model.url.path])
        writer.add("input_ids", matrix(batch.tokenIDs))
        writer.add("attention_mask", matrix(batch.attentionMask))
        if let types = batch.tokenTypes { writer.add("token_type_ids", matrix(types)) }
        writer.add("logits", logits)
        try writer.write(to: url)
    }
}
