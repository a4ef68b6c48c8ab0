import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// `FineTuneRequest.gradientCheckpointing` reaches the model and changes nothing but memory:
/// a short SmolLM2 LoRA-SB run (initialisation, three steps, validation) gives the same losses
/// with and without it.
@Suite(.serialized) struct SmolLM2MemoryOptionsTests {
    /// Relative tolerance on every loss. Recomputing a block runs the same products on the same
    /// inputs, so one process gives identical numbers (ModelSmolLM2Tests checks the gradients
    /// bit for bit); but OpenBLAS splits sgemm by its thread count, which other tests change
    /// while this one runs, and a different split rounds the last bit differently.
    static let tolerance = 1e-5

    struct Run {
        var messages: [String]
        var result: FineTuneResult
        var trainingLosses: [Double]
        var validationLosses: [Double]
    }

    func run(checkpointing: Bool) throws -> Run {
        let output = temporaryRunFolder("memory")
        defer { try? FileManager.default.removeItem(at: output) }
        let data = DataOptions.gsm8k(train: 12, validation: 4)
        let trainer = TrainerSettings(iterations: 3, batchSize: 2, learningRate: 4e-4, warmupRatio: 0.34,
                                      seed: 0, stepsPerEval: 2, validationBatches: 0, saveEvery: 0)
        let adapter = AdapterSettings(method: .loraSB, rank: 8, targets: ["q", "k", "v", "o", "gate", "up", "down"],
                                      initSamples: 4)
        var request = FineTuneRequest(model: try TestPaths.require(TestPaths.smolLM2GGUF), data: data,
                                      adapter: adapter, trainer: trainer, maxSequenceLength: 128, output: output)
        request.gradientCheckpointing = checkpointing
        var messages: [String] = []
        let result = try FineTuneJob(request, say: { messages.append($0) }).run(progress: nil, interrupt: nil)
        let log = try RunMetricsLog.read(output.appendingPathComponent("metrics.jsonl"))
        return Run(messages: messages, result: result, trainingLosses: log.trainingLoss.map(\.value),
                   validationLosses: log.validationLoss.map(\.value))
    }

    @Test func checkpointedRunGivesTheSameLosses() throws {
        let plain = try run(checkpointing: false)
        let checkpointed = try run(checkpointing: true)
        let announced = "gradient checkpointing: each block is recomputed in backward"
        #expect(checkpointed.messages.contains(announced))
        #expect(!plain.messages.contains(announced))

        let a = [plain.result.baseValidationLoss, plain.result.initValidationLoss, plain.result.finalValidationLoss]
            .compactMap { $0 } + plain.trainingLosses + plain.validationLosses
        let b = [checkpointed.result.baseValidationLoss, checkpointed.result.initValidationLoss,
                 checkpointed.result.finalValidationLoss].compactMap { $0 }
            + checkpointed.trainingLosses + checkpointed.validationLosses
        #expect(plain.trainingLosses.count == 3 && plain.validationLosses.count >= 2)
        #expect(a.count == b.count && a.allSatisfy(\.isFinite))
        let worst = zip(a, b).map { abs($0 - $1) / abs($0) }.max() ?? .infinity
        print("SmolLM2 LoRA-SB run with and without gradient checkpointing: \(a.count) losses, largest relative difference \(worst)")
        #expect(worst <= Self.tolerance)
        // The run trained: the losses are not those of an untouched model.
        #expect(plain.result.finalValidationLoss != plain.result.baseValidationLoss)
    }

    @Test func encodersRefuseGradientCheckpointing() throws {
        let model = try LoadedModel(TestPaths.require(TestPaths.miniLM), labelCount: 2)
        #expect(throws: SettingError.self) { try model.useGradientCheckpointing(true) }
        try model.useGradientCheckpointing(false)
    }
}
