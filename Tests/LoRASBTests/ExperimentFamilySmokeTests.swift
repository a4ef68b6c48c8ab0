import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// The arithmetic and commonsense suites at smoke scale on the real SmolLM2-135M and the real
/// GSM8K, MATH500 and commonsense files: every configuration trains, is scored by its families'
/// evaluations, and the table shows each record's accuracies.
@Suite(.serialized) struct ExperimentFamilySmokeTests {
    func runSmoke(_ name: ExperimentSuiteName) throws -> (ExperimentSuite, [ExperimentRecord], [String]) {
        let models = try TestPaths.require(TestPaths.smolLM2GGUF).deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-\(name.rawValue)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let suite = ExperimentSuite.make(name, scale: .smoke, locations: ExperimentLocations(models: models, data: TestPaths.sharedData))
        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        let outcome = try runner.run()
        #expect(outcome.records.count == suite.configurations.count && !outcome.interrupted)
        for run in try runner.finalRuns() {
            for a in suite.accuracies {
                let lines = try String(contentsOf: runner.runFolder(run).appendingPathComponent("\(a.name).jsonl"), encoding: .utf8)
                    .split(separator: "\n")
                #expect(lines.count == (a.problems ?? 0) * max(a.sets.count, 1), "\(run.id) \(a.name)")
            }
        }
        let document = try String(contentsOf: outcome.table, encoding: .utf8)
        return (suite, outcome.records, document.split(separator: "\n").map(String.init))
    }

    /// The table row of `record`'s configuration, by its columns' titles.
    func row(_ record: ExperimentRecord, in lines: [String]) throws -> [String: String] {
        let header = try #require(lines.first { $0.hasPrefix("| method |") }).tableCells
        let c = record.configuration
        let cells = try #require(lines.first {
            let cells = $0.tableCells
            return cells.first == c.methodName && cells.count > 1 && cells[1] == String(c.rank)
        }, "no row for \(c.id)").tableCells
        return Dictionary(zip(header, cells), uniquingKeysWith: { a, _ in a })
    }

    @Test func arithmeticSuiteScoresGSM8KAndMATH() throws {
        let (suite, records, lines) = try runSmoke(.arithmetic)
        #expect(Set(records.map(\.configuration.method)) == [.loraSB, .loraXS, .lora])
        for record in records {
            let gsm8k = try #require(record.metrics["gsm8k_accuracy"])
            let math = try #require(record.metrics["math_accuracy"])
            #expect(record.metrics["gsm8k_problems"] == 2 && record.metrics["math_problems"] == 2)
            #expect(record.metrics["math_accuracy_low"].map { $0 <= math } == true)
            let cells = try row(record, in: lines)
            #expect(cells["GSM8K acc"] == ExperimentResultsTable.format(gsm8k))
            #expect(cells["MATH500 acc"] == ExperimentResultsTable.format(math))
        }
        #expect(suite.accuracies.count == 2)
    }

    @Test func commonsenseSuiteScoresEverySet() throws {
        let (suite, records, lines) = try runSmoke(.commonsense)
        let sets = try #require(suite.accuracies.first).sets
        #expect(sets.count == 6)
        for record in records {
            let cells = try row(record, in: lines)
            var mean = 0.0
            for set in sets {
                let accuracy = try #require(record.metrics["commonsense.\(set)_accuracy"], "\(set)")
                #expect(cells[set] == ExperimentResultsTable.format(accuracy))
                mean += accuracy / Double(sets.count)
            }
            let headline = try #require(record.metrics["commonsense_accuracy"])
            #expect(abs(headline - mean) < 1e-12)
            #expect(cells["mean acc"] == ExperimentResultsTable.format(headline))
        }
    }
}
