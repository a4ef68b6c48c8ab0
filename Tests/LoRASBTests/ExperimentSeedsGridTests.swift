import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// A suite with 2 seeds and a 2-rate learning-rate grid on the real all-MiniLM-L6-v2 and RTE
/// (LoRA-SB and LoRA-XS, rank 2, 3 steps): it is interrupted during its third run and
/// continued; the continuation trains exactly the runs not yet done, the chosen rate is the
/// tuning run with the highest final dev accuracy in the run logs (ties: the lower validation
/// loss, then the lower rate), and every table cell is the mean
/// ± standard deviation of the two seeds' logged metrics.
@Suite(.serialized) struct ExperimentSeedsGridTests {
    /// The last value of `key` in a run folder's `metrics.jsonl`, read independently of the
    /// code under test.
    func logged(_ folder: URL, _ key: String) throws -> Double {
        let lines = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let values = try lines.compactMap { line -> Double? in
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object[key] as? Double
        }
        return try #require(values.last, "\(folder.lastPathComponent): no \(key)")
    }

    @Test func twoSeedsTimesTwoRatesInterruptedAndContinued() throws {
        let models = try TestPaths.require(TestPaths.miniLM).deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-seeds-grid-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var suite = try ExperimentSuite.make(.glue, scale: .smoke, locations: ExperimentLocations(models: models, data: TestPaths.sharedData))
            .withSeeds(2)
        suite.tasks = suite.tasks.filter { $0.name == "RTE" }
        suite.configurations = suite.configurations.filter { $0.task == "RTE" && [.loraSB, .loraXS].contains($0.method) }
        suite.learningRateGrid = .multiples([0.5, 4])
        #expect(suite.configurations.count == 2 && suite.tuningRuns.count == 4)
        let started = Date()

        // First invocation: an interrupt arrives as the third tuning run starts.
        let arrived = DispatchSemaphore(value: 0)
        let monitor = InterruptMonitor(signal: SIGUSR2, secondInterruptExits: false) { _ in arrived.signal() }
        defer { monitor.cancel() }
        var sent = false
        let first = try ExperimentRunner(suite: suite, output: output, say: { message in
            if message.hasPrefix("[tuning 3/4]") && !message.contains("skipped") && !sent {
                sent = true
                kill(getpid(), SIGUSR2)
                _ = arrived.wait(timeout: .now() + 5)   // recorded before the run's first step
            }
        }, interrupt: monitor).run()
        #expect(sent && monitor.isInterrupted)
        #expect(first.interrupted)
        #expect(first.ran == Array(suite.tuningRuns.prefix(2).map(\.id)))   // the third stopped unfinished
        // LoRA-SB's two tuning runs finished, so its rate is chosen and its first seed's run (the
        // tuning run at that rate) is already in the table; LoRA-XS has no rate yet.
        #expect(first.records.map(\.configuration.method) == [.loraSB] && first.records.map(\.run.seed) == [0])

        // Second invocation: continues with exactly what is not done.
        let runner = ExperimentRunner(suite: suite, output: output, say: { _ in })
        let second = try runner.run()
        #expect(!second.interrupted)
        #expect(second.skipped == first.ran)
        #expect(Set(second.ran).isDisjoint(with: first.ran))
        let finalRuns = try runner.finalRuns()
        let all = Set(suite.tuningRuns.map(\.id)).union(finalRuns.map(\.id))
        #expect(Set(first.ran + second.ran) == all)
        #expect(all.count == 4 + 2)   // the first seed's final runs are tuning runs

        let document = try String(contentsOf: second.table, encoding: .utf8)
        let lines = document.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("| method |") }).tableCells
        let rateColumn = try #require(header.firstIndex(of: "learning rate"))
        let accuracyColumn = try #require(header.firstIndex(of: "RTE acc"))
        for c in suite.configurations {
            // The chosen rate: RTE's metric, accuracy, as logged last; ties go to the lower loss.
            let tuning = suite.tuningRuns.filter { $0.configuration.id == c.id }
            #expect(tuning.map(\.learningRate) == tuning.map(\.learningRate).sorted())
            let scores = try tuning.map { (try logged(runner.runFolder($0), "accuracy"), -(try logged(runner.runFolder($0), "validation_loss"))) }
            let chosen = scores[1] > scores[0] ? tuning[1].learningRate : tuning[0].learningRate
            let seeds = finalRuns.filter { $0.configuration.id == c.id }
            #expect(seeds.map(\.seed) == [0, 1] && seeds.allSatisfy { $0.learningRate == chosen })
            #expect(seeds.map { runner.runFolder($0).lastPathComponent }
                    == [0, 1].map { "\(c.id)-lr\(ExperimentRun.rateText(chosen))-s\($0)" })

            let row = try #require(lines.first { $0.hasPrefix("| \(c.methodName) | 2 |") }).tableCells
            #expect(row[rateColumn] == ExperimentRun.rateText(chosen))
            let accuracies = try seeds.map { try logged(runner.runFolder($0), "accuracy") }
            let mean = (accuracies[0] + accuracies[1]) / 2
            let std = abs(accuracies[0] - accuracies[1]) / 2.0.squareRoot()
            #expect(row[accuracyColumn] == String(format: "%.4f ± %.4f", mean, std), "\(c.id)")

            // The grid table: both rates with their logged accuracy and loss, the chosen one in bold.
            let gridRow = try #require(lines.first { $0.hasPrefix("| \(c.methodName) | 2 |") && $0.contains("×") == false && $0.contains(": ") })
            for (run, score) in zip(tuning, scores) {
                let cell = "\(ExperimentRun.rateText(run.learningRate)): \(ExperimentResultsTable.format(score.0)) / \(ExperimentResultsTable.format(-score.1))"
                #expect(gridRow.contains(run.learningRate == chosen ? "**\(cell)**" : "| \(cell) |"), "\(gridRow)")
            }
        }
        #expect(document.contains("## Learning-rate grid"))
        #expect(document.contains("seeds 0, 1 (cells: mean ± standard deviation over the 2 seeds"))

        // A third invocation has nothing left to do.
        let third = try ExperimentRunner(suite: suite, output: output, say: { _ in }).run()
        #expect(third.ran.isEmpty && third.skipped.count == all.count)
        #expect(try String(contentsOf: third.table, encoding: .utf8) == document)
        print("seeds × grid suite: \(all.count) runs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
