import Distributed
import Foundation
import LoRASB

/// `lorasb experiment`: the paper's comparison on our models, one suite at a time.
struct ExperimentCommand: Command {
    static let name = "experiment"
    static var summary: String {
        """
        train and evaluate every method of a suite on the same data, steps, seed and evaluation; \
        write <out>/<suite>.md (table) and <out>/<suite>-loss.svg (loss plot)

        suites, full scale (`--dry-run` lists the runs and estimates their time from the real
        token counts at ~200 training tokens/s for SmolLM2 and ~2,500 for MiniLM, the rates of a
        quiet 2-core machine):
        \(suiteList)
        `--scale smoke` runs a tiny version (a few examples, 2-3 steps, rank 2) in about a minute.
        `--seeds N` multiplies a suite's runs by N; `--lr-grid` adds one run per configuration and
        rate of the grid on the first seed (of which the chosen one counts as that seed's run).
        Each run is saved as it finishes, and a rerun skips runs already finished with the same
        settings, so an interrupted suite (Ctrl-C) continues with the runs not yet done.
        """
    }

    /// Every suite's synopsis as its definition gives it, wrapped under its name.
    static var suiteList: String {
        let locations = ExperimentLocations(models: URL(fileURLWithPath: "models"), data: URL(fileURLWithPath: "data"))
        return ExperimentSuiteName.allCases.map { name in
            let text = ExperimentSuite.make(name, scale: .full, locations: locations).synopsis
            var lines: [String] = []
            var line = "  " + name.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
            for word in text.split(separator: " ") {
                // A name column of 17 characters, lines of at most 100 (a longer word stands alone).
                if line.count > 17, line.count + word.count + 1 > 100 {
                    lines.append(line)
                    line = String(repeating: " ", count: 17)
                }
                line += (line.hasSuffix(" ") ? "" : " ") + word
            }
            lines.append(line)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    static let flags: [Arguments.Flag] = [
        .init("suite", help: Arguments.choices(ExperimentSuiteName.self)),
        .init("out", help: "results folder (default experiments/results): <suite>.md, <suite>-loss.svg, runs/<suite>/"),
        .init("scale", help: "full (default, the issue's sizes) or smoke (a tiny pipeline check)"),
        .init("seeds", help: "run every configuration with this many seeds (the suite's seed and the next ones); cells show mean ± std (default \(ExperimentSuite.defaultSeeds.count))"),
        .init("lr-grid", help: "tune each configuration's learning rate on the first seed, then run every seed at the best: standard (\(ExperimentSuite.standardLearningRateGrid.description)), x0.5,1,2 (multiples of each method's rate) or 1e-4,2e-4,... (default: none, each method's own rate)"),
        .init("dry-run", value: false, help: "print the configurations and estimated tokens and time; train nothing"),
        .init("report-only", value: false, help: "rewrite the table and plot from the finished run folders; train nothing"),
        .init("model", help: "use this model instead of the suite's (same family)"),
        .init("models", help: "folder of the default models (default $LORASB_MODELS or ~/.cache/lorasb/models)"),
        .init("data", help: "folder holding gsm8k/ and glue/ (default $LORASB_DATA or ../shared/data)"),
        .init("tokens-per-second", help: "--dry-run: training tokens/s to estimate with (default 200 SmolLM2, 2500 MiniLM, 65 Qwen 0.5B)"),
    ] + MemoryFlags.flags

    static func run(_ args: Arguments) throws {
        guard args.string("suite") != nil else {
            throw CLIError("--suite is required: \(Arguments.choices(ExperimentSuiteName.self))")
        }
        var name = ExperimentSuiteName.decoder
        try args.override(&name, "suite")
        var scale = ExperimentScale.full
        try args.override(&scale, "scale")
        var locations = ExperimentLocations.standard()
        if let m = args.string("models") { locations.models = URL(fileURLWithPath: m) }
        if let d = args.string("data") { locations.data = URL(fileURLWithPath: d) }
        if let m = args.string("model") { locations.model = URL(fileURLWithPath: m) }
        let suite = try configuredSuite(ExperimentSuite.make(name, scale: scale, locations: locations), args)
        let output = URL(fileURLWithPath: args.string("out") ?? "experiments/results")

        var command = "lorasb experiment --suite \(name.rawValue)"
        if scale != .full { command += " --scale \(scale.rawValue)" }
        for flag in ["seeds", "lr-grid"] { if let v = args.string(flag) { command += " --\(flag) \(v)" } }
        if let out = args.string("out") { command += " --out \(out)" }
        let checkpointing = args.has("grad-checkpoint")
        if checkpointing { command += " --grad-checkpoint" }
        let printer = ProgressPrinter.standardError()
        let say: (String) -> Void = { printer.message($0) }
        // Under mpirun every run trains data-parallel; rank 0 alone prints and writes.
        let world = try World.communicator()

        if args.has("dry-run") {
            var throughput = ExperimentThroughput.measured(for: name)
            if let rate = try args.double("tokens-per-second") {
                guard rate > 0 else { throw CLIError("--tokens-per-second must be positive") }
                let factor = rate / throughput.training
                throughput.training = rate
                throughput.forward *= factor
                throughput.generation *= factor
            }
            let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say, communicator: world)
            let plan = try ExperimentPlan.make(suite, throughput: throughput, runs: try runner.plannedRuns()) { run in
                (try? runner.finishedRecord(run)) != nil
            }
            if world.isRoot { print(plan.text, terminator: "") }
            return
        }
        if args.has("report-only") {
            let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say, communicator: world)
            let records = try runner.writeReport()
            guard world.isRoot else { return }
            print("\(records.count) of \(suite.tableRunCount) runs of the table finished; wrote \(runner.tableURL.path) and \(runner.plotURL.path)")
            return
        }
        let interrupt = InterruptMonitor { count in
            if count == 1 { say("interrupted: finishing this step; the suite stops after it (run the same command again to continue)") }
        }
        defer { interrupt.cancel() }
        let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say,
                                      progress: printer, interrupt: interrupt, communicator: world)
        if checkpointing { runner.gradientCheckpointing = true }
        let outcome = try runner.run()
        guard world.isRoot else { if outcome.interrupted { exit(130) }; return }
        printer.finish()
        print("\(outcome.ran.count) runs trained, \(outcome.skipped.count) skipped as finished; \(outcome.records.count) of \(suite.tableRunCount) in the table")
        print("wrote \(outcome.table.path)")
        print("wrote \(outcome.plot.path)")
        if outcome.interrupted { exit(130) }
    }

    /// The suite with the seeds and learning-rate grid the flags set (unset: the suite's own).
    static func configuredSuite(_ suite: ExperimentSuite, _ args: Arguments) throws -> ExperimentSuite {
        var suite = suite
        if let n = try args.int("seeds") { suite = try suite.withSeeds(n) }
        if let grid = args.string("lr-grid") {
            suite.learningRateGrid = try LearningRateGrid(parsing: grid, standard: suite.standardLearningRateGrid)
        }
        return suite
    }
}
