import Foundation
import Testing
import TestSupport

/// `mpirun -np 2 lorasb eval` and `lorasb experiment` against `-np 1` on the real models: the
/// processes share out whole batches and gather what each measured, so answers, accuracies and
/// head metrics are exactly one process's and losses are too (summed in the same batch order);
/// only rank 0 prints and writes.
@Suite(.serialized, .enabled(if: MPIRun.available, "mpirun is not installed (apt install openmpi-bin libopenmpi-dev): distributed evaluation tests skipped"))
struct DistributedEvaluationTests {
    /// The experiment's losses come from data-parallel training (`DataParallelTests.tolerance`).
    static let trainingTolerance = DataParallelTests.tolerance

    /// `lorasb eval … --json` at `np` processes: the printed result object and the run's output.
    static func eval(np: Int, _ arguments: [String]) throws -> (result: [String: Any], output: String) {
        let run = try MPIRun.run(np: np, [["eval"] + arguments + ["--json"]], timeout: 600)
        #expect(run.status == 0, "\(run.output)")
        print("eval at \(np) process\(np > 1 ? "es" : ""): \(String(format: "%.1f", run.seconds)) s")
        // The result is the one flat object printed, after any progress lines.
        let object = try #require(run.output.lastIndex(of: "{").flatMap { start in
            try? JSONSerialization.jsonObject(with: Data(run.output[start...].utf8)) as? [String: Any]
        }, "no JSON result in \(run.output)")
        #expect(run.output.components(separatedBy: "\"metric\"").count == 2, "only rank 0 prints the result")
        return (object, run.output)
    }

    static func expectEqual(_ one: [String: Any], _ two: [String: Any], lossTolerance: Double = 0) {
        #expect(Set(one.keys) == Set(two.keys))
        for (key, a) in one {
            if let x = a as? Double, let y = two[key] as? Double {
                let tolerance = key.contains("loss") || key == "perplexity" ? lossTolerance * max(1, abs(x)) : 0
                #expect(abs(x - y) <= tolerance, "\(key): \(x) on one process, \(y) on two")
            } else {
                #expect("\(a)" == "\(two[key] ?? "missing")", "\(key)")
            }
        }
    }

    @Test func gsm8kAccuracyAndGenerationsOnTwoProcessesEqualOne() throws {
        let root = try DataParallelTests.folder("eval-gsm8k")
        defer { try? FileManager.default.removeItem(at: root) }
        // 18 problems, two decoded at a time in chunks of 8 batches (16 problems): rank 0
        // generates chunk 1, rank 1 chunk 2.
        func arguments(_ output: URL) throws -> [String] {
            ["--model", try TestPaths.require(TestPaths.smolLM2GGUF).path,
             "--data", TestPaths.sharedData.appendingPathComponent("gsm8k").path, "--task", "gsm8k", "--split", "test",
             "--limit", "18", "--batch-size", "2", "--max-tokens", "40", "--output", output.path]
        }
        let (one, _) = try Self.eval(np: 1, try arguments(root.appendingPathComponent("np1.jsonl")))
        let (two, output) = try Self.eval(np: 2, try arguments(root.appendingPathComponent("np2.jsonl")))
        Self.expectEqual(one, two)
        #expect(two["examples"] as? Int == 18)
        let generations = try Data(contentsOf: root.appendingPathComponent("np1.jsonl"))
        #expect(try Data(contentsOf: root.appendingPathComponent("np2.jsonl")) == generations,
                "the generations file differs: \(output)")
        #expect(String(decoding: generations, as: UTF8.self).split(separator: "\n").count == 18)
    }

    @Test func miniLMClassificationMetricsOnTwoProcessesEqualOne() throws {
        let root = try DataParallelTests.folder("eval-minilm")
        defer { try? FileManager.default.removeItem(at: root) }
        let adapter = root.appendingPathComponent("adapter")
        let trained = try MPIRun.run(np: 1, [try DataParallelTests.miniLM(adapter, iters: 2)])
        #expect(trained.status == 0, "\(trained.output)")
        // 21 RTE dev examples in batches of 8: rank 0 scores batches 1 and 3, rank 1 batch 2.
        let arguments = ["--model", try TestPaths.require(TestPaths.miniLM).path, "--adapter", adapter.path,
                         "--data", TestPaths.sharedData.appendingPathComponent("glue/RTE").path,
                         "--limit", "21", "--batch-size", "8", "--max-seq-len", "128"]
        let (one, _) = try Self.eval(np: 1, arguments)
        let (two, _) = try Self.eval(np: 2, arguments)
        Self.expectEqual(one, two)
        #expect(one["accuracy"] != nil && one["matthews_correlation"] != nil && two["examples"] as? Int == 21)
    }

    @Test func lossOnTwoProcessesEqualsOne() throws {
        let arguments = ["--model", try TestPaths.require(TestPaths.smolLM2GGUF).path,
                         "--data", TestPaths.sharedData.appendingPathComponent("gsm8k").path,
                         "--prompt-field", "question", "--completion-field", "answer", "--metric", "loss",
                         "--split", "test", "--limit", "7", "--batch-size", "2", "--max-seq-len", "160"]
        let (one, _) = try Self.eval(np: 1, arguments)
        let (two, _) = try Self.eval(np: 2, arguments)
        // The batches' losses are summed in batch order on every process: the same sum.
        Self.expectEqual(one, two)
        #expect((one["target_tokens"] as? Int ?? 0) > 0)
    }

    @Test func commonsenseExperimentOnTwoProcessesWritesOneProcessesResults() throws {
        let root = try DataParallelTests.folder("experiment")
        defer { try? FileManager.default.removeItem(at: root) }
        let models = try TestPaths.require(TestPaths.smolLM2GGUF).deletingLastPathComponent()
        func arguments(_ out: URL) -> [String] {
            ["experiment", "--suite", "commonsense", "--scale", "smoke", "--models", models.path,
             "--data", TestPaths.sharedData.path, "--out", out.path]
        }
        let (np1, np2) = (root.appendingPathComponent("np1"), root.appendingPathComponent("np2"))
        let one = try MPIRun.run(np: 1, [arguments(np1)], timeout: 900)
        #expect(one.status == 0, "\(one.output)")
        let two = try MPIRun.run(np: 2, [arguments(np2)], timeout: 900)
        #expect(two.status == 0, "\(two.output)")
        print("commonsense smoke suite: \(String(format: "%.1f", one.seconds)) s on one process, \(String(format: "%.1f", two.seconds)) s on two")
        #expect(two.output.components(separatedBy: "runs trained").count == 2, "only rank 0 reports: \(two.output)")

        let runs = try FileManager.default.contentsOfDirectory(atPath: np1.appendingPathComponent("runs/commonsense-smoke").path).sorted()
        #expect(runs.count == 3)
        for run in runs {
            func record(_ out: URL) throws -> [String: Any] {
                let file = out.appendingPathComponent("runs/commonsense-smoke/\(run)/experiment.json")
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
                return try #require(object?["metrics"] as? [String: Any], "\(file.path)")
            }
            // Accuracies exactly, the losses of data-parallel training within its tolerance.
            Self.expectEqual(try record(np1), try record(np2), lossTolerance: Self.trainingTolerance)
            let generations = "runs/commonsense-smoke/\(run)/commonsense.jsonl"
            #expect(try Data(contentsOf: np1.appendingPathComponent(generations)) == Data(contentsOf: np2.appendingPathComponent(generations)),
                    "\(run): the answers differ")
        }
        #expect(FileManager.default.fileExists(atPath: np2.appendingPathComponent("commonsense-smoke.md").path))
        #expect(FileManager.default.fileExists(atPath: np2.appendingPathComponent("commonsense-smoke-loss.svg").path))

        // Rank 0 finds every run finished and tells rank 1: nothing trains again.
        let again = try MPIRun.run(np: 2, [arguments(np2)], timeout: 300)
        #expect(again.status == 0 && again.output.contains("0 runs trained, 3 skipped"), "\(again.output)")
    }
}
