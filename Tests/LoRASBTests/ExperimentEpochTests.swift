import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// A suite measured in epochs, as the GLUE protocol is (real all-MiniLM-L6-v2 on RTE): every
/// run takes as many steps as its epochs over its own data, validates (loss and head metrics)
/// after every epoch, records the best of those beside the last, and a configuration marked to
/// run once does so with the first seed while the others run with every seed.
@Suite(.serialized) struct ExperimentEpochTests {
    func logRecords(_ folder: URL) throws -> [[String: Any]] {
        try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func epochsSetTheStepsAndEveryEpochIsValidated() throws {
        let models = try TestPaths.require(TestPaths.miniLM).deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-epochs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var suite = try ExperimentSuite.make(.glue, scale: .smoke, locations: ExperimentLocations(models: models, data: TestPaths.sharedData))
            .withSeeds(2)
        suite.tasks = suite.tasks.filter { $0.name == "RTE" }.map { task in
            var t = task
            t.data.maxTrainExamples = 12   // 3 batches of 4 per epoch
            return t
        }
        suite.configurations = suite.configurations.filter { $0.task == "RTE" && [.loraSB, .lora].contains($0.method) }
        suite.epochs = 2
        suite.evaluateEachEpoch = true
        let once = try #require(suite.configurations.first { $0.method == .lora })
        suite.runOnce = [once.id]
        #expect(suite.steps(trainExamples: 12) == 6 && suite.evaluations(trainExamples: 12) == 3)

        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        let outcome = try runner.run()
        #expect(!outcome.interrupted)
        // LoRA-SB with both seeds, LoRA once with the first.
        #expect(outcome.records.map { "\($0.configuration.method.rawValue)-s\($0.run.seed)" } == ["lora-sb-s0", "lora-sb-s1", "lora-s0"])

        for record in outcome.records {
            let records = try logRecords(runner.runFolder(record.run))
            #expect(records.filter { $0["loss"] != nil }.count == 6)
            // Before the first step, after the first epoch (step 3) and after the last.
            let validations = records.filter { $0["validation_loss"] != nil }
            #expect(validations.compactMap { $0["step"] as? Int } == [0, 3, 6])
            #expect(validations.allSatisfy { $0["accuracy"] is Double })
            let best = try #require(validations.filter { ($0["step"] as? Int ?? 0) > 0 }.compactMap { $0["accuracy"] as? Double }.max())
            #expect(record.metrics[ExperimentRecord.best("accuracy")] == best)
            #expect(record.spec["epochs"] == "2.0" && record.spec["steps_per_eval"] == "epoch" && record.spec["lr_schedule"] == "linear")
        }
        let document = try String(contentsOf: outcome.table, encoding: .utf8)
        #expect(document.contains("2 epochs, batch 4") && document.contains("linear decay"))
        #expect(!document.contains("Not run yet"))
    }
}
