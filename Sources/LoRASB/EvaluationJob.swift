import Adapters
import Foundation
import ModelIO
import Models
import Tensor
import Tokenizers
import Training

/// What `lorasb eval` measures.
public enum EvaluationMetric: String, Sendable, CaseIterable {
    /// Decoders: GSM8K accuracy when the completions carry `#### answer`, else loss;
    /// encoders: classification.
    case auto
    /// Mean loss and perplexity (decoders: per target token; encoders: per example).
    case loss
    /// Greedy generation, the last number of the output against the number after `####`.
    case gsm8k
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
    /// GSM8K: new tokens per answer.
    public var maxNewTokens: Int = 256
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
    /// GSM8K: one JSON line per problem (question, generation, predicted and reference number).
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

    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }
}

/// Evaluates a (possibly adapted) model on a data split: loss and perplexity, GSM8K accuracy,
/// or classification metrics. Progress and notes go to `say` / `progress`.
public final class EvaluationJob {
    public let request: EvaluationRequest
    let opener: ModelOpening
    let progress: (String) -> Void

    /// `opener` hands out the model's files (share the training run's to open them once).
    public init(_ request: EvaluationRequest, opener: ModelOpening = ModelOpener(),
                progress: @escaping (String) -> Void = { _ in }) {
        self.request = request
        self.opener = opener
        self.progress = progress
    }

    public func run() throws -> EvaluationResult {
        let r = request
        guard r.batchSize >= 1 else { throw SettingError("batchSize", "must be at least 1, got \(r.batchSize)") }
        guard r.maxNewTokens >= 1 else { throw SettingError("maxNewTokens", "must be at least 1, got \(r.maxNewTokens)") }
        if let limit = r.limit, limit < 1 { throw SettingError("limit", "must be at least 1, got \(limit)") }
        let adapted = try AdaptedModel(model: r.model, adapter: r.adapter, opener: opener)
        try adapted.model.network.use(r.precision)
        switch adapted.model.task {
        case .causalLM: return try evaluateDecoder(adapted)
        case .sequenceClassification: return try evaluateClassifier(adapted)
        }
    }

    // MARK: decoders

    func evaluateDecoder(_ adapted: AdaptedModel) throws -> EvaluationResult {
        let r = request
        let model = adapted.model
        if r.metric == .classification {
            throw DataError(path: model.url.path, "classification metrics need an encoder with a classification head")
        }
        let file = try r.data.file(of: r.split, fileExtension: "jsonl")
        let dataset = try LanguageModelingDataset.load(file, format: r.data.languageModelingFormat)
        let examples = limited(dataset.examples)
        guard !examples.isEmpty else { throw DataError(file, "no examples to evaluate") }
        let format = try PromptFormat(tokenizer: model.tokenizer, override: r.data.promptFormat)

        var metric = r.metric
        if metric == .auto { metric = EvaluationJob.looksLikeGSM8K(examples) ? .gsm8k : .loss }

        if metric == .gsm8k {
            let problems = try examples.map { e -> (question: String, answer: String) in
                guard case .promptCompletion(let q, let a) = e else {
                    throw DataError(file, "GSM8K needs prompt/completion records (e.g. promptField question, completionField answer)")
                }
                return (q, a)
            }
            var correct = 0
            let started = Date()
            let results = try Evaluation.gsm8k(model, format: format, problems: problems,
                                               maxNewTokens: r.maxNewTokens, batchSize: r.batchSize) { i, result in
                if result.correct { correct += 1 }
                let done = i + 1
                let elapsed = Date().timeIntervalSince(started)
                let eta = Double(problems.count - done) * elapsed / Double(done)
                self.progress(String(format: "gsm8k %d/%d  accuracy %.4f  %@ elapsed, %@ left", done, problems.count,
                                     Double(correct) / Double(done),
                                     TrainingProgress.clock(elapsed), TrainingProgress.clock(eta)))
            }
            if let out = r.generationsOutput { try EvaluationJob.writeGenerations(results, to: out) }
            let accuracy = Double(results.filter(\.correct).count) / Double(results.count)
            return EvaluationResult(metric: .gsm8k, file: file.path, examples: results.count,
                                    values: [("accuracy", accuracy), ("correct", Double(results.filter(\.correct).count))])
        }

        let truncation = try SequenceTruncation(maxLength: r.maxSequenceLength)
        let encoded = truncation.apply(try examples.map(format.encode)).examples
        guard !encoded.isEmpty else { throw DataError(file, "no example has a target token") }
        if let dump = r.dumpLogits { try dumpLogits(model, encoded, to: dump) }
        let (loss, perplexity, targets) = try Evaluation.loss(model, encoded, batchSize: r.batchSize)
        return EvaluationResult(metric: .loss, file: file.path, examples: encoded.count,
                                values: [("loss", loss), ("perplexity", perplexity), ("target_tokens", Double(targets))])
    }

    /// Whether prompt/completion records carry GSM8K's `#### answer`.
    static func looksLikeGSM8K(_ examples: [LanguageModelingExample]) -> Bool {
        examples.allSatisfy {
            if case .promptCompletion(_, let c) = $0 { return GSM8KAnswer.reference(c) != nil }
            return false
        }
    }

    static func writeGenerations(_ results: [Evaluation.GSM8KResult], to url: URL) throws {
        var lines = Data()
        for r in results {
            let object: [String: Any] = [
                "question": r.question, "generated": r.generated, "correct": r.correct,
                "predicted": r.predicted.map { $0 as Any } ?? NSNull(),
                "reference": r.reference.map { $0 as Any } ?? NSNull(),
            ]
            lines += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            lines += Data("\n".utf8)
        }
        try AtomicFile.write(lines, to: url)
    }

    // MARK: encoders

    func evaluateClassifier(_ adapted: AdaptedModel) throws -> EvaluationResult {
        let r = request
        let model = adapted.model
        if r.metric == .gsm8k {
            throw DataError(path: model.url.path, "GSM8K needs a decoder (a causal language model)")
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
        if let dump = r.dumpLogits { try dumpLogits(model, examples, to: dump) }
        var values = try HeadScores.scores(model, examples, layout: layout, batchSize: r.batchSize, allMetrics: true)
        let loss = try Evaluation.loss(model, examples, batchSize: r.batchSize)
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
