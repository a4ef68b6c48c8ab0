import Foundation
import Testing
import LoRASB
import TestSupport

/// `lorasb eval`'s job on the real models: metrics on tiny subsets against values computed
/// directly from logits, and clear errors for bad adapter folders.
@Suite(.serialized) struct EvaluationJobTests {
    static var fixtures: URL { TestPaths.fixtures.appendingPathComponent("export") }

    @Test func classificationMetricsMatchThePEFTLogits() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        var request = EvaluationRequest(model: base, adapter: Self.fixtures.appendingPathComponent("minilm-adapter"),
                                        data: DataOptions(path: TestPaths.sharedData.appendingPathComponent("glue/RTE")))
        request.limit = 8
        request.batchSize = 3   // several batches, longest first: results must map back in order
        let result = try EvaluationJob(request).run()
        #expect(result.metric == .classification && result.examples == 8)
        #expect(result.file.hasSuffix("dev.tsv"))

        // Directly: PEFT's logits of the same 8 dev examples (scripts/verify_exports.py).
        let reference = try SafeTensorsFile(url: Self.fixtures.appendingPathComponent("minilm_reference.safetensors"))
        let logits = try reference.tensor(named: "peft_logits").array
        let dev = try ClassificationDataset.load(TestPaths.sharedData.appendingPathComponent("glue/RTE/dev.tsv"),
                                                 format: .tsv(GLUETask.rte.tableFormat))
        let labels = ["entailment", "not_entailment"]
        let references = dev.examples.prefix(8).map { labels.firstIndex(of: $0.label) ?? -1 }
        var correct = 0
        var loss = 0.0
        for (i, y) in references.enumerated() {
            let a = Double(logits[2 * i]), b = Double(logits[2 * i + 1])
            if (b > a ? 1 : 0) == y { correct += 1 }
            let m = max(a, b)
            loss += m + log(exp(a - m) + exp(b - m)) - (y == 0 ? a : b)
        }
        #expect(result.value("accuracy") == Double(correct) / 8)
        let ours = try #require(result.value("loss"))
        #expect(abs(ours - loss / 8) <= 1e-5)
        #expect(result.value("f1") != nil && result.value("matthews_correlation") != nil)
    }

    @Test func decoderLossMatchesADirectCrossEntropy() throws {
        let gguf = try TestPaths.require(TestPaths.smolLM2GGUF)
        var data = DataOptions(path: TestPaths.sharedData.appendingPathComponent("gsm8k"))
        data.promptField = "question"
        data.completionField = "answer"
        var request = EvaluationRequest(model: gguf, data: data)
        request.metric = .loss
        request.limit = 2
        request.batchSize = 1
        let dump = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-eval-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: dump) }
        request.dumpLogits = dump
        let result = try EvaluationJob(request).run()
        #expect(result.file.hasSuffix("test.jsonl"))

        // Directly: the completion tokens' cross-entropy from the dumped logits, in Double.
        let file = try SafeTensorsFile(url: dump)
        let ids = try file.tensor(named: "input_ids"), logits = try file.tensor(named: "logits")
        let rows = ids.shape[0], length = ids.shape[1], vocab = logits.shape[2]
        let model = try LoadedModel(gguf)
        let format = try PromptFormat(tokenizer: model.tokenizer)
        let examples = try LanguageModelingDataset.load(TestPaths.sharedData.appendingPathComponent("gsm8k/test.jsonl"),
                                                        format: .promptCompletion(promptField: "question", completionField: "answer"))
        var total = 0.0, count = 0
        for r in 0..<rows {
            let encoded = try format.encode(examples.examples[r])
            #expect(encoded.tokens == (0..<encoded.tokens.count).map { Int(ids.array[r * length + $0]) })
            for t in 1..<encoded.tokens.count where encoded.targetMask?[t] ?? true {
                let row = logits.pointer + (r * length + t - 1) * vocab
                var m = -Double.infinity
                for j in 0..<vocab { m = max(m, Double(row[j])) }
                var s = 0.0
                for j in 0..<vocab { s += exp(Double(row[j]) - m) }
                total += m + log(s) - Double(row[encoded.tokens[t]])
                count += 1
            }
        }
        #expect(result.value("target_tokens") == Double(count))
        let ours = try #require(result.value("loss"))
        print("SmolLM2 eval loss \(ours), direct \(total / Double(count))")
        #expect(abs(ours - total / Double(count)) <= 1e-4)
        #expect(abs(try #require(result.value("perplexity")) - exp(ours)) <= 1e-6 * exp(ours))
    }

    @Test func gsm8kAccuracyScoresTheGreedyGenerations() throws {
        let gguf = try TestPaths.require(TestPaths.smolLM2GGUF)
        var data = DataOptions(path: TestPaths.sharedData.appendingPathComponent("gsm8k"))
        data.promptField = "question"
        data.completionField = "answer"
        var request = EvaluationRequest(model: gguf, adapter: Self.fixtures.appendingPathComponent("smollm2-adapter"), data: data)
        request.limit = 2
        request.maxNewTokens = 12
        request.batchSize = 2
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-gsm8k-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        request.generationsOutput = output
        var progress: [String] = []
        let result = try EvaluationJob(request) { progress.append($0) }.run()
        #expect(result.metric == .task && result.task == "gsm8k" && result.examples == 2)
        #expect(progress.count == 2 && progress.last?.hasPrefix("gsm8k 2/2") == true)

        // Directly: each written generation rescored, and the first reproduced by greedy decoding.
        let lines = String(decoding: try Data(contentsOf: output), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let answers = try LanguageModelingDataset.load(TestPaths.sharedData.appendingPathComponent("gsm8k/test.jsonl"),
                                                       format: .promptCompletion(promptField: "question", completionField: "answer"))
        var correct = 0
        var generations: [String] = []
        for (line, example) in zip(lines, answers.examples) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let generated = try #require(object["generated"] as? String)
            guard case .promptCompletion(_, let answer) = example else { Issue.record("not prompt/completion"); return }
            if GSM8KAnswer.isCorrect(generated: generated, referenceAnswer: answer) { correct += 1 }
            #expect((object["correct"] as? Bool) == GSM8KAnswer.isCorrect(generated: generated, referenceAnswer: answer))
            generations.append(generated)
        }
        #expect(result.value("accuracy") == Double(correct) / 2)

        let adapted = try AdaptedModel(model: gguf, adapter: Self.fixtures.appendingPathComponent("smollm2-adapter"))
        guard case .promptCompletion(let question, _) = answers.examples[0] else { return }
        let format = try PromptFormat(tokenizer: adapted.model.tokenizer)
        let prompt = adapted.model.tokenizer.encode(try format.promptText(question)).ids
        let out = try #require(adapted.model.decoder).generate(prompts: [prompt], options: GenerationOptions(maxNewTokens: 12))
        #expect(adapted.model.tokenizer.decode(out[0], skipSpecialTokens: true) == generations[0])
    }

    // MARK: bad inputs

    static func copyOfAdapter(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-bad-adapter-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: url)
        return url
    }

    static func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    @Test func missingAdapterFolderNamesIt() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-adapter-\(UUID().uuidString)")
        let m = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: missing) })
        #expect(m.contains(missing.path) && m.contains("no such adapter folder"))

        // A folder without adapter_config.json.
        let empty = try Self.copyOfAdapter("minilm-adapter")
        defer { try? FileManager.default.removeItem(at: empty) }
        try FileManager.default.removeItem(at: empty.appendingPathComponent("adapter_config.json"))
        let m2 = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: empty) })
        #expect(m2.contains(empty.appendingPathComponent("adapter_config.json").path))
    }

    @Test func adapterForAnotherModelIsRefused() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        // A decoder adapter on an encoder: another task.
        let adapter = Self.fixtures.appendingPathComponent("smollm2-adapter")
        let m = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: adapter) })
        #expect(m.contains(adapter.path) && m.contains("causal-lm"))

        // Same task, another architecture size: the manifest's identity does not fit.
        let edited = try Self.copyOfAdapter("minilm-adapter")
        defer { try? FileManager.default.removeItem(at: edited) }
        let config = edited.appendingPathComponent("adapter_config.json")
        var text = String(decoding: try Data(contentsOf: config), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"hidden_size\" : 384", with: "\"hidden_size\" : 768")
        try Data(text.utf8).write(to: config)
        let m2 = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: edited) })
        #expect(m2.contains(edited.path) && m2.contains("does not fit"))
    }

    @Test func corruptAdapterFilesAreNamed() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        let folder = try Self.copyOfAdapter("minilm-adapter")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("adapter_config.json")
        let original = try Data(contentsOf: config)

        try Data(original.prefix(original.count / 2)).write(to: config)
        let truncated = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: folder) })
        #expect(truncated.contains(config.path))

        try Data("{\"format\": \"lorasb-adapter\", \"version\": 1}".utf8).write(to: config)
        let incomplete = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: folder) })
        #expect(incomplete.contains(config.path) && incomplete.contains("missing"))

        // A truncated tensor file.
        try original.write(to: config)
        let tensors = folder.appendingPathComponent("adapter.safetensors")
        let bytes = try Data(contentsOf: tensors)
        try Data(bytes.prefix(bytes.count - 100)).write(to: tensors)
        let broken = try #require(Self.message { _ = try AdaptedModel(model: base, adapter: folder) })
        #expect(broken.contains(tensors.path))
    }
}
