import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// A tiny real run of each task family on SmolLM2-135M (the real Q4_1 GGUF): LoRA-SB training
/// on a small union of the commonsense training sets, then every commonsense test set scored by
/// generation and by likelihood with that adapter; a few MATH500 problems by generation. Each
/// answer written to the generations file is checked against a direct computation.
@Suite(.serialized) struct TaskFamilyRunTests {
    static var commonsense: URL { TestPaths.sharedData.appendingPathComponent("commonsense") }

    static func lines(_ url: URL) throws -> [[String: Any]] {
        try String(decoding: Data(contentsOf: url), as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A small evaluation request: the first `limit` problems of each set, all in one batch.
    static func request(_ model: URL, adapter: URL? = nil, data: URL, limit: Int, maxNewTokens: Int, output: URL) -> EvaluationRequest {
        var request = EvaluationRequest(model: model, adapter: adapter, data: DataOptions(path: data))
        request.limit = limit
        request.batchSize = limit
        request.maxNewTokens = maxNewTokens
        request.generationsOutput = output
        return request
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-\(name)-\(UUID().uuidString)")
    }

    @Test func commonsenseTrainsOnTheUnionAndEvaluatesEverySetBothWays() throws {
        let model = try TestPaths.require(TestPaths.smolLM2GGUF)
        let adapterFolder = Self.temporary("commonsense-run")
        defer { try? FileManager.default.removeItem(at: adapterFolder) }
        let data = DataOptions(path: Self.commonsense, taskFamily: "commonsense", maxTrainExamples: 8, maxValidationExamples: 6)
        let trainer = TrainerSettings(iterations: 2, batchSize: 2, learningRate: 1e-3, warmupRatio: 0.5,
                                      seed: 0, stepsPerEval: 0, validationBatches: 0, saveEvery: 0)
        let adapter = AdapterSettings(method: .loraSB, rank: 4, targets: ["q", "v"], initSamples: 4)
        // Short enough that some of the six validation examples (PIQA's, ARC-Easy's) are longer.
        let maxLength = 128
        var said: [String] = []
        let trained = try FineTuneJob(FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer,
                                                      maxSequenceLength: maxLength, output: adapterFolder),
                                      say: { said.append($0) }).run(progress: nil, interrupt: nil)
        #expect(said.contains { $0.hasPrefix("data: ") && $0.contains("training examples, \(6 - trained.validationTruncation.droppedExamples) validation") })
        let base = try #require(trained.baseValidationLoss), final = try #require(trained.finalValidationLoss)
        print("commonsense answer loss: base \(base) → after 2 steps \(final)")
        #expect(base.isFinite && final.isFinite)

        // Validation examples longer than the limit are reported: the same count, directly.
        let loaded = try LoadedModel(model)
        let plain = try PromptFormat(tokenizer: loaded.tokenizer, override: "none")
        let validation = try CommonsenseTask().trainingData(data).validation
        let longer = try validation.filter { try plain.encode($0).tokens.count > maxLength }.count
        #expect(trained.validationTruncation.truncatedExamples == longer)
        #expect(longer > 0 && said.contains { $0.hasPrefix("validation: \(longer) examples longer than \(maxLength) tokens") })

        // Generation: every set, found without naming the family.
        let generations = Self.temporary("commonsense-generations.jsonl")
        defer { try? FileManager.default.removeItem(at: generations) }
        var request = Self.request(model, adapter: adapterFolder, data: Self.commonsense, limit: 2, maxNewTokens: 8, output: generations)
        var progress: [String] = []
        let generated = try EvaluationJob(request) { progress.append($0) }.run()
        let names = ["ARC-Challenge", "ARC-Easy", "boolq", "openbookqa", "piqa", "winogrande"]
        #expect(generated.task == "commonsense" && generated.scoring == .generation && generated.examples == 12)
        #expect(progress.count == 12 && progress.last?.hasPrefix("winogrande 2/2  accuracy") == true)
        let perSet = try names.map { try #require(generated.value("\($0).accuracy")) }
        #expect(abs(try #require(generated.value("accuracy")) - perSet.reduce(0, +) / 6) < 1e-12)
        let low = try #require(generated.value("accuracy_low")), high = try #require(generated.value("accuracy_high"))
        #expect(low <= generated.value("accuracy")! && generated.value("accuracy")! <= high)
        let records = try Self.lines(generations)
        #expect(records.map { $0["set"] as? String } == names.flatMap { [$0, $0] })
        var unanswered = 0
        for (record, name) in zip(records, names.flatMap { [$0, $0] }) {
            let set = try CommonsenseSet.load(Self.commonsense.appendingPathComponent("\(name)/test.json"))
            let text = try #require(record["generated"] as? String)
            let keyword = set.predictedKeyword(ignoringCaseIn: text)
            if keyword == nil { unanswered += 1 }
            #expect(record["predicted"] as? String == keyword)
            #expect(record["correct"] as? Bool == (keyword == record["reference"] as? String))
        }
        #expect(generated.value("unanswered") == Double(unanswered))

        // The first generation, directly: the Alpaca prompt as plain text, greedy, with the adapter.
        let adapted = try AdaptedModel(model: model, adapter: adapterFolder)
        let first = try CommonsenseSet.load(Self.commonsense.appendingPathComponent("ARC-Challenge/test.json")).examples[0]
        let ids = adapted.model.tokenizer.encode(AlpacaPrompt.render(first)).ids
        let out = try #require(adapted.model.decoder).generate(prompts: [ids], options: GenerationOptions(maxNewTokens: 8))
        #expect(adapted.model.tokenizer.decode(out[0], skipSpecialTokens: true) == records[0]["generated"] as? String)

        // Likelihood: always an answer, the likeliest keyword, as computed directly.
        let likelihoods = Self.temporary("commonsense-likelihood.jsonl")
        defer { try? FileManager.default.removeItem(at: likelihoods) }
        request.scoring = .likelihood
        request.generationsOutput = likelihoods
        let scored = try EvaluationJob(request).run()
        #expect(scored.scoring == .likelihood && scored.examples == 12 && scored.value("unanswered") == 0)
        let scoredRecords = try Self.lines(likelihoods)
        for record in scoredRecords {
            let logps = try #require(record["log_probabilities"] as? [String: Double])
            let best = try #require(logps.max { $0.value < $1.value }?.key)
            #expect(record["predicted"] as? String == best)
        }
        let direct = ContinuationLikelihood.tokens(context: AlpacaPrompt.render(first) + "the correct answer is ",
                                                   continuations: first.choices, tokenizer: adapted.model.tokenizer)
        let values = try ContinuationLikelihood.logProbabilities(try #require(adapted.model.decoder), context: direct.context,
                                                                continuations: direct.continuations, padTokenID: adapted.model.padTokenID)
        let recorded = try #require(scoredRecords[0]["log_probabilities"] as? [String: Double])
        for (keyword, value) in zip(first.choices, values) {
            #expect(abs(try #require(recorded[keyword]) - value) < 1e-6 * max(1, abs(value)))
        }
        let correct = scoredRecords.filter { $0["correct"] as? Bool == true }.count
        #expect(scored.value("correct") == Double(correct))
    }

    @Test func math500IsScoredByItsFinalAnswers() throws {
        let model = try TestPaths.require(TestPaths.smolLM2GGUF)
        let file = TestPaths.sharedData.appendingPathComponent("math/math500_test.jsonl")
        let output = Self.temporary("math.jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        var request = Self.request(model, data: file, limit: 3, maxNewTokens: 24, output: output)
        var progress: [String] = []
        let result = try EvaluationJob(request) { progress.append($0) }.run()
        #expect(result.task == "math" && result.examples == 3 && result.file == file.path)
        #expect(progress.last?.hasPrefix("math 3/3  accuracy") == true)
        let accuracy = try #require(result.value("accuracy"))
        #expect(try #require(result.value("accuracy_low")) <= accuracy && accuracy <= (try #require(result.value("accuracy_high"))))
        let problems = try LanguageModelingDataset.load(file, format: .promptCompletion(promptField: "question", completionField: "answer"))
        let records = try Self.lines(output)
        #expect(records.count == 3)
        var correct = 0
        for (record, example) in zip(records, problems.examples) {
            guard case .promptCompletion(let question, let answer) = example else { Issue.record("not prompt/completion"); return }
            let reference = try #require(MATHAnswer.extract(answer))
            let predicted = MATHTask.finalAnswer(try #require(record["generated"] as? String))
            let isCorrect = predicted.map { MATHAnswer.isEquivalent($0, reference) } ?? false
            if isCorrect { correct += 1 }
            #expect(record["question"] as? String == question && record["reference"] as? String == reference)
            #expect(record["predicted"] as? String == predicted && record["correct"] as? Bool == isCorrect)
        }
        #expect(accuracy == Double(correct) / 3)

        // MATH answers are generated; likelihood needs candidate answers.
        request.scoring = .likelihood
        #expect(throws: SettingError.self) { try EvaluationJob(request).run() }
    }
}
