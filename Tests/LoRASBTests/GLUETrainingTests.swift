import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// all-MiniLM-L6-v2 with a fresh classification head, trained with LoRA-SB (r = 24 on the
/// paper's query, value, attention-output and FFN-output targets) on each GLUE task as
/// distributed, must end clearly above the majority-class rate of the dev set under the paper's
/// metric for the task.
@Suite(.serialized) struct GLUETrainingTests {
    struct Case: Sendable, CustomStringConvertible {
        let task: String
        let epochs: Double
        let learningRate: Double
        /// The dev set's majority-class score under the metric, and the floor we require.
        let majority: Double
        let required: Double
        let metric: String
        var description: String { task }
    }

    static let cases = [
        // CoLA: Matthews correlation (0 for any constant prediction).
        Case(task: "CoLA", epochs: 2, learningRate: 1e-2, majority: 0, required: 0.10, metric: "matthews_correlation"),
        // MRPC: accuracy; 279 of 408 dev pairs are paraphrases.
        Case(task: "MRPC", epochs: 2, learningRate: 2e-3, majority: 279.0 / 408, required: 0.70, metric: "accuracy"),
        // RTE: accuracy; 146 of 277 dev pairs are entailments.
        Case(task: "RTE", epochs: 2, learningRate: 2e-3, majority: 146.0 / 277, required: 0.545, metric: "accuracy"),
    ]

    @Test(arguments: cases)
    func loraSBBeatsTheMajorityClass(_ c: Case) throws {
        let model = try TestPaths.require(TestPaths.miniLM)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-glue-\(c.task)-\(UUID().uuidString)")
        let data = DataOptions(path: TestPaths.sharedData.appendingPathComponent("glue/\(c.task)"))
        let trainer = TrainerSettings(batchSize: 32, learningRate: c.learningRate, warmupRatio: 0.06, seed: 0,
                                      stepsPerEval: 0, validationBatches: 0, saveEvery: 0, stepsPerReport: 50)
        // The thresholds were measured with the estimation samples in file order.
        let adapter = AdapterSettings(method: .loraSB, rank: 24, targets: ["query", "value", "attn_out", "ffn_out"],
                                      initOrder: .file)
        let request = FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer, epochs: c.epochs,
                                      maxSequenceLength: 128, output: output, evaluateBase: false)
        var log: [String] = []
        let result = try FineTuneJob(request, say: { log.append($0) }).run(progress: nil, interrupt: nil)
        let score = try #require(result.finalMetrics.first { $0.0 == c.metric }?.1)
        print("GLUE \(c.task): \(c.metric) \(score) (majority \(c.majority)); init loss \(result.initValidationLoss ?? .nan) → final \(result.finalValidationLoss ?? .nan)")
        #expect(score > c.required, "\(c.task) \(c.metric) \(score) is not clearly above the majority rate \(c.majority)")
        #expect(score > c.majority)
        // All parameters, as PEFT counts them: the checkpoint's and the new two-label head's.
        #expect(result.totalParameters == 22_713_216 + 2 * 384 + 2)
        try? FileManager.default.removeItem(at: output)
    }
}
