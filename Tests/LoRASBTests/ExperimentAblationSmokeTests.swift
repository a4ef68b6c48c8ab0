import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// The LoRA-SB ablation suites at smoke scale on the real SmolLM2-135M and GSM8K: each trains
/// every configuration, records the ablated setting in its adapter manifest, and writes a table
/// with a row per configuration holding the run logs' numbers.
@Suite(.serialized) struct ExperimentAblationSmokeTests {
    func runSmoke(_ name: ExperimentSuiteName, manifest check: (ExperimentConfiguration, [String: Any]) -> Void) throws {
        let models = try TestPaths.require(TestPaths.smolLM2GGUF).deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-\(name.rawValue)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let suite = ExperimentSuite.make(name, scale: .smoke, locations: ExperimentLocations(models: models, data: TestPaths.sharedData))
        let started = Date()
        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        let outcome = try runner.run()
        print("\(name.rawValue) smoke suite: \(suite.configurations.count) runs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(outcome.records.count == suite.configurations.count && !outcome.interrupted)

        let document = try String(contentsOf: outcome.table, encoding: .utf8)
        let lines = document.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("| method |") }).tableCells
        let settingColumn = try #require(header.firstIndex(of: "setting"))
        for run in try runner.finalRuns() {
            let c = run.configuration
            let row = try #require(lines.first { $0.tableCells.count > settingColumn && $0.tableCells[settingColumn] == c.setting },
                                   "no row for \(c.id)").tableCells
            let folder = runner.runFolder(run)
            let log = try RunMetricsLog.read(folder.appendingPathComponent("metrics.jsonl"))
            let final = try #require(log.validationLoss.last?.value)
            #expect(row[try #require(header.firstIndex(of: "answer loss"))] == ExperimentResultsTable.format(final))
            let afterInit = try #require(log.validationLoss.first?.value)
            #expect(row[try #require(header.firstIndex(of: "loss after init"))] == ExperimentResultsTable.format(afterInit))
            let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any])
            check(c, try #require(object["settings"] as? [String: Any]))
        }
    }

    @Test func basisSuite() throws {
        try runSmoke(.ablationBasis) { c, settings in
            #expect(settings["init_basis"] as? String == c.initBasis.rawValue, "\(c.id)")
            #expect(settings["init_noise"] as? Double == c.initNoise, "\(c.id)")
        }
    }

    @Test func splitSuite() throws {
        try runSmoke(.ablationSplit) { c, settings in
            #expect(settings["init_split"] as? String == c.initSplit.rawValue, "\(c.id)")
        }
    }

    @Test func initSamplesSuite() throws {
        try runSmoke(.ablationInit) { c, settings in
            #expect(settings["init_samples"] as? Int == c.initSamples, "\(c.id)")
            #expect(settings["init_gradient"] as? String == c.initGradient.rawValue, "\(c.id)")
        }
    }
}
