import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// LoRA-SB on the real Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF: a two-step run on a few GSM8K
/// problems (short sequences, so the suite stays within a few minutes on two cores), and the
/// resident bytes of the loaded weights. Runs only when the file is present.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: TestPaths.qwenCoderGGUF("0.5B").path),
                             "needs Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf (scripts/fetch-qwen.sh)"))
struct QwenFineTuneTests {
    static let targets = ["q", "k", "v", "o", "gate", "up", "down"]

    /// Initialisation, two steps, the saved adapter reloaded onto a fresh model. η_eff is fixed:
    /// in a two-step run the formula lr / (warmup_ratio · steps) is the learning rate itself,
    /// a full-rate sign step taken from only four samples' gradients.
    @Test func twoStepLoRASBRunSavesAnAdapterThatReloadsWithTheSameLoss() throws {
        let output = temporaryRunFolder("qwen")
        defer { try? FileManager.default.removeItem(at: output) }
        let data = DataOptions.gsm8k(train: 4, validation: 2)
        let trainer = TrainerSettings(iterations: 2, batchSize: 2, learningRate: 1e-4, warmupRatio: 0.5,
                                      seed: 0, stepsPerEval: 0, validationBatches: 0, saveEvery: 0)
        let adapter = AdapterSettings(method: .loraSB, rank: 32, targets: Self.targets, initSamples: 4)
        let request = FineTuneRequest(model: TestPaths.qwenCoderGGUF("0.5B"), data: data, adapter: adapter, trainer: trainer,
                                      maxSequenceLength: 96, output: output, initLearningRate: .fixed(2e-5))
        let job = FineTuneJob(request, say: { print($0) })
        let started = Date()
        let result = try job.run(progress: nil, interrupt: nil)
        print(String(format: "Qwen2.5-Coder-0.5B two-step LoRA-SB run: %.1f s", Date().timeIntervalSince(started)))

        guard case .finished(let steps) = result.outcome else { Issue.record("the run did not finish"); return }
        #expect(steps == 2)
        let report = try #require(result.initialisation)
        #expect(report.samples == 4)
        #expect(report.effectiveLearningRate == 2e-5)
        #expect(report.energyKept.count == 24 * Self.targets.count)
        #expect(report.energyKept.allSatisfy { $0.fraction > 0 && $0.fraction <= 1 + 1e-6 })
        #expect(result.trainableParameters == 24 * Self.targets.count * 32 * 32)

        let base = try #require(result.baseValidationLoss)
        let initialised = try #require(result.initValidationLoss)
        let final = try #require(result.finalValidationLoss)
        let log = try RunMetricsLog.read(output.appendingPathComponent("metrics.jsonl"))
        let training = log.trainingLoss.map(\.value)
        print("Qwen2.5-Coder-0.5B answer loss: base \(base) → after init \(initialised) → after 2 steps \(final); training losses \(training)")
        #expect(training.count == 2)
        #expect(([base, initialised, final] + training).allSatisfy { $0.isFinite && $0 > 0 })
        #expect(initialised != base, "the initialisation changed the model")

        // The saved adapter on a fresh copy of the base model gives the trained model's
        // validation loss (every answer token's logits enter it).
        let reloaded = try LoadedModel(TestPaths.qwenCoderGGUF("0.5B"))
        let (adapters, manifest) = try AdapterFolder.load(output, onto: reloaded.network, identity: reloaded.identity)
        #expect(manifest.settings.method == .loraSB && adapters.trainableParameterCount == result.trainableParameters)
        let encoded = try TrainingData.load(job.request.data, family: reloaded.files.config.family)
            .encoded(with: reloaded.tokenizer, maxSequenceLength: job.request.maxSequenceLength)
        let batches = try BatchLoader.evaluationBatches(encoded.validation, batchSize: trainer.batchSize,
                                                        padTokenID: reloaded.padTokenID)
        let reloadedLoss = try Trainer.meanLoss(of: reloaded.network, over: batches)
        print("Qwen2.5-Coder-0.5B reloaded adapter: validation loss \(reloadedLoss) (trained model \(final))")
        #expect(abs(reloadedLoss - final) <= 1e-5 * final)
        #expect(reloadedLoss != base)
    }

    /// Every matrix of the loaded model stays in the file's encoding (Q5_0 / Q8_0 / Q4_K / Q6_K
    /// blocks; the untied output head is its own tensor) after a training step's products have
    /// run; only the norms and the q/k/v biases are fp32.
    @Test func loadedModelHoldsNoFP32CopyOfAFrozenMatrix() throws {
        let files = try ModelFiles(url: TestPaths.qwenCoderGGUF("0.5B"))
        let model = try LlamaModel(files: files)
        guard case .gguf(let file) = files.storage else { Issue.record("Qwen2.5-Coder is a GGUF file"); return }
        let ids = Array(try ModelFixture("qwen2-0.5b").matrix("ids")[0].prefix(12))
        for precision in ComputePrecision.allCases where precision == .fp32 || Gemm.bf16Supported {
            try model.use(precision)
            _ = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [ids]))
            #expect(model.outputProjection.weight !== model.embedding.weight, "the head is its own tensor")
            let weights = ResidentWeights(model, file: file)
            weights.expectNoFP32Matrices("Qwen2.5-Coder-0.5B (\(precision))")
            // Within 1% of the file's tensor bytes (the vectors are a few hundred kB).
            let fileTensorBytes = file.tensorInfos.reduce(0) { $0 + $1.byteRange.count }
            #expect(Double(weights.matrixBytes + weights.vectorBytes) <= 1.01 * Double(fileTensorBytes))
        }
    }
}
