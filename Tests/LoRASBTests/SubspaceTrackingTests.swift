import Foundation
import Testing
@testable import LoRASB
import ModelIO
import Tensor
import TestSupport

/// The subspace suite at smoke scale on the real all-MiniLM-L6-v2 and MRPC: full fine-tuning
/// saves W_t − W_0 at every step, each adapter run logs its cosines with them, and both are
/// checked against the saved files independently of the tracking code: the full run's last
/// update against its saved weights less the model file's, and the adapters' last cosines
/// against updates recomputed from their saved factors.
@Suite(.serialized) struct SubspaceTrackingTests {
    func cosine(_ x: [Float], _ y: [Float]) -> Double {
        var (d, a, b) = (0.0, 0.0, 0.0)
        for i in x.indices { d += Double(x[i]) * Double(y[i]); a += Double(x[i] * x[i]); b += Double(y[i] * y[i]) }
        return d / (a * b).squareRoot()
    }

    /// `B · R · A` (or `B · A`) of one adapted weight, scaled, from an adapter file.
    func update(_ file: SafeTensorsFile, _ module: String, scale: Float) throws -> [Float] {
        let b = try file.tensor(named: "\(module).lora_B"), a = try file.tensor(named: "\(module).lora_A")
        var left = b
        if let r = try? file.tensor(named: "\(module).lora_R") { left = Gemm.product(b, r) }
        let w = Gemm.product(left, a)
        return w.array.map { $0 * scale }
    }

    @Test func cosinesWithFullFineTuningMatchTheSavedWeights() throws {
        let modelFolder = try TestPaths.require(TestPaths.miniLM)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-subspace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let suite = ExperimentSuite.make(.subspace, scale: .smoke,
                                         locations: ExperimentLocations(models: modelFolder.deletingLastPathComponent(), data: TestPaths.sharedData))
        #expect(suite.configurations.first?.method == .full)
        #expect(Set(suite.configurations.map(\.method)) == [.full, .loraSB, .loraXS, .lora])
        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        let outcome = try runner.run()
        #expect(outcome.records.count == suite.configurations.count)
        let runs = suite.finalRuns { $0.learningRate }
        let fullRun = try #require(runs.first { $0.configuration.method == .full })
        let fullFolder = runner.runFolder(fullRun)
        let steps = suite.steps
        for step in 1...steps {
            #expect(FileManager.default.fileExists(atPath: SubspaceTracking.snapshotURL(fullFolder, step: step).path))
        }

        // The full run's last update is its saved weight less the pretrained one.
        let last = try SafeTensorsFile(url: SubspaceTracking.snapshotURL(fullFolder, step: steps))
        let saved = try SafeTensorsFile(url: fullFolder.appendingPathComponent("adapter.safetensors"))
        let pretrained = try SafeTensorsFile(url: modelFolder.appendingPathComponent("model.safetensors"))
        let module = "encoder.layer.2.attention.self.query"
        let moved = try saved.tensor(named: "bert.\(module).weight").array
        let before = try pretrained.tensor(named: "\(module).weight").array
        let recorded = try last.tensor(named: "bert.\(module)").array
        #expect(recorded.count == moved.count)
        #expect(zip(recorded, zip(moved, before)).allSatisfy { abs($0 - ($1.0 - $1.1)) <= 1e-6 })
        #expect(recorded.contains { $0 != 0 })

        for run in runs where run.configuration.method != .full {
            let folder = runner.runFolder(run)
            let log = try SubspaceTracking.readMeanCosines(folder)
            #expect(log.map(\.step) == Array(1...steps))
            #expect(log.allSatisfy { abs($0.mean) <= 1 && abs($0.global) <= 1 })
            let record = try #require(outcome.records.first { $0.run == run })
            // Equal up to the last bit Foundation's JSON number parsing may lose.
            let recordedMean = try #require(record.metrics[SubspaceTracking.meanCosine]), loggedMean = try #require(log.last?.mean)
            #expect(abs(recordedMean - loggedMean) <= 1e-12)
            // The last cosine of one weight, recomputed from the adapter's saved factors.
            let adapter = try SafeTensorsFile(url: folder.appendingPathComponent("adapter.safetensors"))
            let manifest = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any])
            let settings = try #require(manifest["settings"] as? [String: Any])
            let alpha = try #require(settings["alpha"] as? Double)
            let rank = Double(run.configuration.rank)
            let ours = try update(adapter, "bert.\(module)", scale: Float(alpha / rank))
            let lines = try String(contentsOf: folder.appendingPathComponent(SubspaceTracking.logName), encoding: .utf8).split(separator: "\n")
            let lastLine = try #require(lines.last)
            let object = try #require(JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
            let loggedCosine = try #require(object["cosine.bert.\(module)"] as? Double)
            #expect(abs(loggedCosine - cosine(ours, recorded)) < 1e-4, "\(run.id): \(loggedCosine) vs \(cosine(ours, recorded))")
        }
        let document = try String(contentsOf: outcome.table, encoding: .utf8)
        #expect(document.contains("cos to full FT (mean)") && document.contains("subspace-smoke-cosine.svg"))
        #expect(FileManager.default.fileExists(atPath: runner.subspacePlotURL.path))
    }
}
