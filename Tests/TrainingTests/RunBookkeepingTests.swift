import Foundation
import ModelIO
import XCTest
@testable import Training

final class AtomicFileTests: XCTestCase {
    func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testWritesReplacesAndLeavesNoTemporaryFiles() throws {
        let tmp = try TemporaryFolder()
        let url = tmp.url.appendingPathComponent("trainer_state.json")
        try AtomicFile.write(Data("first".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "first")
        try AtomicFile.write(to: url) { writer in
            try writer.write(Data("second ".utf8))
            try writer.write(Data("part".utf8))
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "second part")
        XCTAssertEqual(try contents(tmp.url), ["trainer_state.json"])
        let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try AtomicFile.write(big, to: url)
        XCTAssertEqual(try Data(contentsOf: url), big)
    }

    func testJSONStateRoundTrips() throws {
        let tmp = try TemporaryFolder()
        let url = tmp.url.appendingPathComponent("sampler.json")
        var sampler = try BatchSampler(lengths: [5, 3, 9, 2, 7], batchSize: 2, seed: 8)
        _ = sampler.next()
        try AtomicFile.writeJSON(sampler.state, to: url)
        let read = try JSONDecoder().decode(BatchSampler.State.self, from: Data(contentsOf: url))
        XCTAssertEqual(read, sampler.state)
        XCTAssertTrue(try String(contentsOf: url, encoding: .utf8).contains("\"batchSize\" : 2"))
    }

    func testFailureInBodyKeepsOldFile() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("model.safetensors", "old")
        struct Stop: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: url) { writer in
            try writer.write(Data("half of the new".utf8))
            throw Stop()
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old")
        XCTAssertEqual(try contents(tmp.url), ["model.safetensors"])
    }

    func testErrorsNameTheDestination() throws {
        let tmp = try TemporaryFolder()
        let missingFolder = tmp.url.appendingPathComponent("no/such/folder/file.json")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: missingFolder)) { error in
            XCTAssertTrue("\(error)".hasPrefix(missingFolder.path), "\(error)")
        }
        // Renaming over a folder fails after the data is written: the temporary file goes away.
        let folder = tmp.url.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try tmp.write("occupied/inside", "x")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: folder)) { error in
            XCTAssertTrue("\(error)".hasPrefix(folder.path), "\(error)")
        }
        XCTAssertEqual(try contents(tmp.url), ["occupied"])
    }

    /// A write the file system refuses midway (here the file-size limit standing in for a full
    /// disk, which a test cannot safely produce) surfaces as an error naming the path and the
    /// system's reason, and the old file survives with no temporary file left behind.
    func testRefusedWriteReportsReasonAndKeepsOldFile() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("checkpoint.safetensors", "previous checkpoint")
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 1 << 20
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer {
            _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previousHandler)
        }
        XCTAssertThrowsError(try AtomicFile.write(Data(count: 4 << 20), to: url)) { error in
            XCTAssertTrue("\(error)".hasPrefix(url.path), "\(error)")
            XCTAssertTrue("\(error)".contains("too large"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "previous checkpoint")
        XCTAssertEqual(try contents(tmp.url), ["checkpoint.safetensors"])
    }
}

final class MetricsLoggerTests: XCTestCase {
    func testOneParsableObjectPerLineInOrder() throws {
        let tmp = try TemporaryFolder()
        let url = tmp.url.appendingPathComponent("metrics.jsonl")
        do {
            let logger = try MetricsLogger(url: url)
            try logger.log(["step": 1, "loss": 2.5, "lr": 1e-05, "split": "train"])
            // Each line is on disk as soon as it is logged.
            XCTAssertEqual(try String(contentsOf: url, encoding: .utf8),
                           "{\"step\":1,\"loss\":2.5,\"lr\":1e-05,\"split\":\"train\"}\n")
            try logger.log(["step": 2, "loss": .number(.nan), "note": "tab\tquote\" \u{1}", "ok": true])
        }
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        XCTAssertTrue(second?["loss"] is NSNull)
        XCTAssertEqual(second?["note"] as? String, "tab\tquote\" \u{1}")
        XCTAssertEqual(second?["ok"] as? Bool, true)
        XCTAssertEqual(lines[1].prefix(9), "{\"step\":2")

        // Appending (a resumed run) keeps earlier lines; a fresh logger starts over.
        try MetricsLogger(url: url, append: true).log(["step": 3])
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count, 3)
        try MetricsLogger(url: url).log(["step": 1])
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "{\"step\":1}\n")
        XCTAssertThrowsError(try MetricsLogger(url: tmp.url.appendingPathComponent("missing/metrics.jsonl")))
    }

    func testRefusedAppendNamesFileAndReason() throws {
        let tmp = try TemporaryFolder()
        let url = tmp.url.appendingPathComponent("metrics.jsonl")
        let logger = try MetricsLogger(url: url)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 1 << 16
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer {
            _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previousHandler)
        }
        XCTAssertThrowsError(try logger.log(["note": .string(String(repeating: "x", count: 1 << 17))])) { error in
            XCTAssertEqual("\(error)", "cannot write \(url.path): cannot append a line (File too large)")
        }
    }
}

final class ProgressLineTests: XCTestCase {
    func testClock() {
        XCTAssertEqual(TrainingProgress.clock(0), "0:00:00")
        XCTAssertEqual(TrainingProgress.clock(59.9), "0:00:59")
        XCTAssertEqual(TrainingProgress.clock(3_723), "1:02:03")
        XCTAssertEqual(TrainingProgress.clock(90_000), "25:00:00")
        XCTAssertEqual(TrainingProgress.clock(-1), "?")
        XCTAssertEqual(TrainingProgress.clock(.infinity), "?")
    }

    func testLineAndETA() {
        let p = TrainingProgress(step: 120, totalSteps: 1_000, loss: 1.23456, learningRate: 1.2e-4,
                                 tokensPerSecond: 215.4, elapsed: 83)
        // 83 s for 120 steps → 880 left take 608.67 s.
        XCTAssertEqual(p.line, "step 120/1000 (12.0%) | loss 1.2346 | lr 1.20e-04 | 215 tok/s | 0:01:23 elapsed | eta 0:10:08")
        let resumed = TrainingProgress(step: 510, totalSteps: 1_000, elapsed: 20, startStep: 500)
        XCTAssertEqual(resumed.remainingSeconds ?? 0, 980, accuracy: 1e-9)
        XCTAssertEqual(TrainingProgress(step: 0, totalSteps: 10, tokensPerSecond: 17.26, elapsed: 0).line,
                       "step 0/10 (0.0%) | 17.3 tok/s | 0:00:00 elapsed | eta ?")
        XCTAssertTrue(TrainingProgress(step: 1, totalSteps: 2, loss: .nan, elapsed: 1).line.contains("loss nan"))
    }

    func testTerminalRedrawsAndLogPrintsLines() {
        final class Sink { var text = "" }
        let terminal = Sink(), log = Sink()
        let t = ProgressPrinter(interactive: true) { terminal.text += $0 }
        let l = ProgressPrinter(interactive: false) { log.text += $0 }
        for printer in [t, l] {
            printer.update("step 1/2")
            printer.update("step 2/2")
            printer.message("saved checkpoint")
            printer.finish()
        }
        XCTAssertEqual(terminal.text, "\rstep 1/2\u{1B}[K\rstep 2/2\u{1B}[K\nsaved checkpoint\n")
        XCTAssertEqual(log.text, "step 1/2\nstep 2/2\nsaved checkpoint\n")
    }
}

final class InterruptMonitorTests: XCTestCase {
    func testSIGINTSetsTheFlagInsteadOfKilling() throws {
        let arrived = DispatchSemaphore(value: 0)
        let monitor = InterruptMonitor(secondInterruptExits: false) { _ in arrived.signal() }
        XCTAssertFalse(monitor.isInterrupted)
        XCTAssertEqual(kill(getpid(), SIGINT), 0)
        XCTAssertEqual(arrived.wait(timeout: .now() + 5), .success)
        XCTAssertTrue(monitor.isInterrupted)
        XCTAssertEqual(kill(getpid(), SIGINT), 0)
        XCTAssertEqual(arrived.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(monitor.interruptCount, 2)
        monitor.cancel()
        monitor.cancel()
        // The default action is back.
        var action = sigaction()
        XCTAssertEqual(sigaction(SIGINT, nil, &action), 0)
        XCTAssertEqual(unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self), unsafeBitCast(SIG_DFL, to: Int.self))
    }
}
