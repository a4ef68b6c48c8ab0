import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// SmolLM2-135M-Instruct (the real Q4_1 GGUF) on GSM8K: the LoRA-SB initialisation alone, which
/// folds the rank-32 approximation of the first full fine-tuning step into the model, lowers the
/// held-out answer loss, and a short run keeps it below the base model's.
@Suite(.serialized) struct GSM8KTrainingTests {
    @Test func initialisationAndTrainingLowerHeldOutAnswerLoss() throws {
        let model = try TestPaths.require(TestPaths.smolLM2GGUF)
        let output = temporaryRunFolder("gsm8k")
        let data = DataOptions.gsm8k(train: 48, validation: 16)
        // η_eff = lr / (warm-up ratio · steps) = 4e-4 / 2 = 2e-4.
        let trainer = TrainerSettings(iterations: 8, batchSize: 4, learningRate: 4e-4, warmupRatio: 0.25,
                                      seed: 0, stepsPerEval: 0, validationBatches: 0, saveEvery: 0)
        // The README's numbers for this run were measured with the samples in file order.
        let adapter = AdapterSettings(method: .loraSB, rank: 32, targets: ["q", "k", "v", "o", "gate", "up", "down"],
                                      initSamples: 16, initOrder: .file)
        let request = FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer,
                                      maxSequenceLength: 256, output: output)
        let result = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        let base = try #require(result.baseValidationLoss)
        let initialised = try #require(result.initValidationLoss)
        let final = try #require(result.finalValidationLoss)
        print("GSM8K held-out answer loss: base \(base) → after LoRA-SB init \(initialised) → after 8 steps \(final)")
        #expect(initialised < base, "the initialisation should lower the held-out loss")
        #expect(final < base, "fine-tuning should keep the held-out loss below the base model's")
        #expect(result.trainableParameters == 215_040)
        try? FileManager.default.removeItem(at: output)
    }
}
