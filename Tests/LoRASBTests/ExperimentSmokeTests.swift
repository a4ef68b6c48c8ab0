import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// The GLUE suite at smoke scale on the real all-MiniLM-L6-v2 and the real CoLA/MRPC/RTE files,
/// end to end: every configuration trains into its own folder, the table's numbers are the ones
/// in the run folders' `metrics.jsonl`, the plot has a line per run and curve, and a second
/// invocation skips everything and writes the same table.
@Suite(.serialized) struct ExperimentSmokeTests {
    @Test func glueSmokeSuiteEndToEnd() throws {
        let models = try TestPaths.require(TestPaths.miniLM).deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-experiment-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let suite = ExperimentSuite.make(.glue, scale: .smoke,
                                         locations: ExperimentLocations(models: models, data: TestPaths.sharedData))
        var messages: [String] = []
        let started = Date()
        let outcome = try ExperimentRunner(suite: suite, output: output, say: { messages.append($0) }).run()
        let seconds = Date().timeIntervalSince(started)
        print("glue smoke suite: \(suite.configurations.count) runs in \(String(format: "%.1f", seconds)) s")
        let runs = suite.finalRuns { $0.learningRate }
        #expect(outcome.ran == runs.map(\.id))
        #expect(outcome.skipped.isEmpty && !outcome.interrupted)
        #expect(outcome.records.count == suite.configurations.count)

        let document = try String(contentsOf: outcome.table, encoding: .utf8)
        #expect(outcome.table.lastPathComponent == "glue-smoke.md")
        let lines = document.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("| method |") }).tableCells
        func column(_ title: String) throws -> Int { try #require(header.firstIndex(of: title), "no column \(title)") }

        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        for run in runs {
            let c = run.configuration
            let folder = runner.runFolder(run)
            #expect(folder.lastPathComponent == "\(c.id)-lr\(ExperimentRun.rateText(c.learningRate))-s0")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("adapter_config.json").path))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoints").path))
            // Read the run's log independently of the code under test.
            let records = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let steps = records.filter { $0["loss"] != nil }.count
            #expect(steps == suite.steps, "\(c.id): \(steps) training records")
            let validations = records.compactMap { $0["validation_loss"] as? Double }
            #expect(validations.count == suite.steps + 1)     // every step, plus before the first
            let final = try #require(records.last)
            let manifest = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any])

            let row = try #require(lines.first { $0.hasPrefix("| \(c.methodName) | \(c.method == .full ? "—" : String(c.rank)) |") }).tableCells
            for col in suite.task(c.task)?.columns ?? [] where col.metric.hasPrefix("best_") {
                // The best of the validations after training began, each of which scored the head.
                let name = String(col.metric.dropFirst("best_".count))
                let scored = records.filter { ($0["step"] as? Int ?? 0) > 0 && $0["validation_loss"] != nil }
                #expect(scored.count == suite.steps)
                let best = try #require(scored.compactMap { $0[name] as? Double }.max())
                #expect(row[try column(col.title)] == ExperimentResultsTable.format(best), "\(c.id) \(col.title)")
            }
            for col in suite.task(c.task)?.columns ?? [] where !col.metric.hasPrefix("best_") {
                let logged = try #require(final[col.metric] as? Double, "\(c.id): \(col.metric) not in the log")
                #expect(row[try column(col.title)] == ExperimentResultsTable.format(logged), "\(c.id) \(col.title)")
                #expect(logged >= (col.metric == "matthews_correlation" ? -1 : 0) && logged <= 1)
            }
            let trainable = try #require(manifest["trainable_parameters"] as? Int ?? manifest["trainableParameters"] as? Int)
            #expect(row[try column("trainable params")] == ExperimentResultsTable.formatCount(trainable))
            let record = try #require(outcome.records.first { $0.configuration.id == c.id })
            #expect(record.trainableParameters == trainable)
            // Equal up to the last bit Foundation's JSON number parsing may lose.
            let recorded = try #require(record.metrics[ExperimentRecord.validationLoss])
            let logged = try #require(validations.last)
            #expect(abs(recorded - logged) <= 1e-12 * max(1, abs(logged)), "\(c.id): \(recorded) vs \(logged)")
            #expect(record.tokens == final["tokens"] as? Int ?? records.compactMap { $0["tokens"] as? Int }.max())
            #expect((record.initSeconds != nil) == [.loraSB, .loraGA].contains(c.method))
        }
        // Full fine-tuning trains the whole model; the adapters a tiny part of it.
        let full = try #require(outcome.records.first { $0.configuration.method == .full })
        let sb = try #require(outcome.records.first { $0.configuration.method == .loraSB })
        #expect(full.trainableParameters > 20_000_000 && sb.trainableParameters < full.trainableParameters / 100)

        let svgText = try String(contentsOf: outcome.plot, encoding: .utf8)
        let svg = try #require(ParsedSVG.parse(svgText))
        #expect(svg.all("g", class: "panel").count == 3)
        let paths = svg.all("path", class: "series")
        #expect(paths.count == 2 * suite.configurations.count)
        #expect(paths.allSatisfy { pathPoints($0.attributes["d"] ?? "").points.count >= 2 })

        // Again: everything is finished, nothing trains, the same table comes out.
        let again = try ExperimentRunner(suite: suite, output: output, say: { _ in }).run()
        #expect(again.ran.isEmpty)
        #expect(again.skipped == runs.map(\.id))
        #expect(try String(contentsOf: again.table, encoding: .utf8) == document)
    }
}

extension String {
    /// The cells of a Markdown table line, trimmed.
    var tableCells: [String] {
        split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
