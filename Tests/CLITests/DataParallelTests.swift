import Foundation
import Testing
import TestSupport
import Training

/// `mpirun -np 2 lorasb train` against `-np 1` on the real models: the same global batches give
/// the same loss curve and adapter up to the order of float sums; a checkpoint written at one
/// world size resumes at another; a killed rank or a differing input file stops the run.
@Suite(.serialized, .enabled(if: MPIRun.available, "mpirun is not installed (apt install openmpi-bin libopenmpi-dev): data-parallel tests skipped"))
struct DataParallelTests {
    static let tolerance = 2e-4
    /// SmolLM2's LoRA-SB start is `−η sign(G)`: sign is discontinuous at 0, so gradient entries
    /// within float-summation error of zero (summed in another order by two processes) may take
    /// either sign, and the SVD of ΔW moves with them (3.4e-3 of the largest output measured;
    /// the losses stay within `tolerance`).
    static let signTolerance = 1e-2

    static func miniLM(_ output: URL, iters: Int = 3, extra: [String] = []) throws -> [String] {
        ["train", "--model", try TestPaths.require(TestPaths.miniLM).path,
         "--data", TestPaths.sharedData.appendingPathComponent("glue/RTE").path,
         "--train-examples", "32", "--val-examples", "16", "--iters", String(iters), "--batch-size", "8",
         "--init-samples", "16", "--max-seq-len", "128", "--learning-rate", "1e-3",
         "--steps-per-eval", "0", "--adapter-path", output.path] + extra
    }

    static func smolLM2(_ output: URL, extra: [String] = []) throws -> [String] {
        ["train", "--model", try TestPaths.require(TestPaths.smolLM2GGUF).path,
         "--data", TestPaths.sharedData.appendingPathComponent("gsm8k").path,
         "--prompt-field", "question", "--completion-field", "answer",
         "--train-examples", "16", "--val-examples", "8", "--iters", "4", "--batch-size", "4",
         "--init-samples", "8", "--max-seq-len", "96", "--learning-rate", "1e-3", "--warmup-ratio", "0",
         "--steps-per-eval", "0", "--save-every", "2", "--adapter-path", output.path] + extra
    }

    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("data-parallel-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func expectSameRun(_ a: URL, _ b: URL, adapterTolerance: Double = tolerance) throws {
        let (la, lb) = (try MPIRun.losses(a), try MPIRun.losses(b))
        #expect(!la.isEmpty && la.keys.sorted() == lb.keys.sorted())
        for (step, loss) in la {
            let other = lb[step] ?? .nan
            #expect(abs(loss - other) <= tolerance * max(1, abs(loss)), "step \(step): loss \(loss) vs \(other)")
        }
        let difference = try MPIRun.adapterDifference(a, b)
        #expect(difference <= Float(adapterTolerance), "adapters differ by \(difference) of their largest entry")
    }

    @Test func miniLMOnTwoProcessesTrainsAsOne() throws {
        let root = try Self.folder("minilm")
        defer { try? FileManager.default.removeItem(at: root) }
        let one = try MPIRun.run(np: 1, [try Self.miniLM(root.appendingPathComponent("np1"))])
        #expect(one.status == 0, "\(one.output)")
        let two = try MPIRun.run(np: 2, [try Self.miniLM(root.appendingPathComponent("np2"))])
        #expect(two.status == 0, "\(two.output)")
        #expect(two.output.contains("2 ranks"), "the progress line shows the world size: \(two.output)")
        #expect(two.output.components(separatedBy: "saved the adapter").count == 2, "only rank 0 reports")
        try Self.expectSameRun(root.appendingPathComponent("np1"), root.appendingPathComponent("np2"))
    }

    @Test func smolLM2OnTwoProcessesTrainsAsOneAndResumesAtAnotherWorldSize() throws {
        let root = try Self.folder("smollm2")
        defer { try? FileManager.default.removeItem(at: root) }
        let (np1, np2, resumed) = (root.appendingPathComponent("np1"), root.appendingPathComponent("np2"),
                                   root.appendingPathComponent("resumed"))
        let one = try MPIRun.run(np: 1, [try Self.smolLM2(np1)])
        #expect(one.status == 0, "\(one.output)")
        let two = try MPIRun.run(np: 2, [try Self.smolLM2(np2)])
        #expect(two.status == 0, "\(two.output)")
        try Self.expectSameRun(np1, np2, adapterTolerance: Self.signTolerance)
        // The step-2 checkpoint of the two-process run, continued by one process, ends where the
        // two processes ended (the same start, then steps that differ only in summation order).
        let checkpoint = TrainingCheckpoint.folder(run: np2, step: 2)
        let continued = try MPIRun.run(np: 1, [try Self.smolLM2(resumed, extra: ["--resume", checkpoint.path])])
        #expect(continued.status == 0, "\(continued.output)")
        let resumedDifference = try MPIRun.adapterDifference(np2, resumed)
        #expect(resumedDifference <= Float(Self.tolerance), "the resumed adapter differs by \(resumedDifference)")
        let (resumedLoss, twoLoss) = (try MPIRun.losses(resumed)[4] ?? .nan, try MPIRun.losses(np2)[4] ?? .nan)
        #expect(abs(resumedLoss - twoLoss) <= Self.tolerance, "step 4: loss \(resumedLoss) resumed, \(twoLoss) on two processes")
    }

    @Test func aKilledRankStopsTheOthersAndLeavesTheCheckpointIntact() throws {
        let root = try Self.folder("killed")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let latest = run.appendingPathComponent("checkpoints/latest")
        var killedAt: Date?
        let result = try MPIRun.run(np: 2, [try Self.miniLM(run, iters: 500, extra: ["--save-every", "1"])],
                                    timeout: 300) { ranks in
            guard FileManager.default.fileExists(atPath: latest.path), let victim = ranks[1] else { return true }
            kill(victim, SIGKILL)
            killedAt = Date()
            return false
        }
        let killed = try #require(killedAt, "rank 1 was never seen running: \(result.output)")
        let stopped = Date().timeIntervalSince(killed)
        #expect(result.status != 0)
        #expect(stopped < 15, "the job went on for \(stopped) s after rank 1 died")
        #expect(result.output.contains("rank 1"), "Open MPI names the rank that died: \(result.output)")
        let checkpoint = try TrainingCheckpoint.locate(run)
        let (state, _) = try TrainingCheckpoint.load(checkpoint)
        #expect(state.step >= 1 && state.step < 500)
    }

    @Test func aRankReadingOtherDataStopsBeforeTraining() throws {
        let root = try Self.folder("mismatch")
        defer { try? FileManager.default.removeItem(at: root) }
        let rte = TestPaths.sharedData.appendingPathComponent("glue/RTE")
        let changed = root.appendingPathComponent("RTE")
        try FileManager.default.copyItem(at: rte, to: changed)
        let train = changed.appendingPathComponent("train.tsv")
        let text = try String(contentsOf: train, encoding: .utf8)
        try (text + text.split(separator: "\n").last.map { "\($0)\n" }!).write(to: train, atomically: true, encoding: .utf8)
        var programs = [try Self.miniLM(root.appendingPathComponent("run")), try Self.miniLM(root.appendingPathComponent("run"))]
        programs[1][programs[1].firstIndex(of: "--data")! + 1] = changed.path
        let result = try MPIRun.run(np: 1, programs, timeout: 120)
        #expect(result.status != 0)
        #expect(result.output.contains("rank 1") && result.output.contains("train.tsv"), "\(result.output)")
        #expect(!result.output.contains("step 1/"), "no step was trained: \(result.output)")
    }
}
