import Foundation
import LoRASB

/// `lorasb experiment`: the paper's comparison on our models, one suite at a time.
struct ExperimentCommand: Command {
    static let name = "experiment"
    static let summary = """
        train and evaluate every method of a suite on the same data, steps, seed and evaluation; \
        write <out>/<suite>.md (table) and <out>/<suite>-loss.svg (loss plot)

        suites, full scale (times: `--dry-run` estimates from the real token counts at the rates
        measured on a quiet 2-core machine, ~200 training tokens/s for SmolLM2 and ~2,500 for
        MiniLM; a busy machine, where a SmolLM2 step ran at 60-130 tokens/s, takes 2-3× longer):
          decoder        SmolLM2-135M-Instruct on GSM8K (400 problems, 16 steps of 8): LoRA-SB and
                         LoRA-XS r = 16, 32, 64, LoRA r = 8, 16, full fine-tuning; answer loss on
                         24 test problems, GSM8K accuracy on 20 (~43 min)
          glue           all-MiniLM-L6-v2 on CoLA, MRPC, RTE (2,000 examples, 125 steps of 16 per
                         task): LoRA-SB and LoRA-XS r = 8, 16, 24, LoRA r = 4, 8, full; MCC,
                         accuracy/F1, accuracy on dev (~23 min)
          ablation-init  LoRA-SB r = 32 on the decoder suite, 1/10/50/200 init samples × sign or
                         raw gradient ΔW (~38 min)
          ablation-lr    LoRA-SB and LoRA-XS r = 32 on the decoder suite at lr 2e-4…2e-3 (~28 min)
        `--scale smoke` runs a tiny version (a few examples, 2-3 steps, rank 2) in about a minute.
        A rerun skips configurations already finished with the same settings, so an interrupted
        suite (Ctrl-C) continues where it stopped.
        """
    static let flags: [Arguments.Flag] = [
        .init("suite", help: "decoder, glue, ablation-init or ablation-lr"),
        .init("out", help: "results folder (default experiments/results): <suite>.md, <suite>-loss.svg, runs/<suite>/"),
        .init("scale", help: "full (default, the issue's sizes) or smoke (a tiny pipeline check)"),
        .init("dry-run", value: false, help: "print the configurations and estimated tokens and time; train nothing"),
        .init("report-only", value: false, help: "rewrite the table and plot from the finished run folders; train nothing"),
        .init("model", help: "use this model instead of the suite's (same family)"),
        .init("models", help: "folder of the default models (default $LORASB_MODELS or ~/.cache/lorasb/models)"),
        .init("data", help: "folder holding gsm8k/ and glue/ (default $LORASB_DATA or ../shared/data)"),
        .init("tokens-per-second", help: "--dry-run: training tokens/s to estimate with (default 200 SmolLM2, 2500 MiniLM)"),
    ] + MemoryFlags.flags

    static func run(_ args: Arguments) throws {
        guard let suiteName = args.string("suite") else {
            throw CLIError("--suite is required: \(ExperimentSuiteName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let name = ExperimentSuiteName(rawValue: suiteName) else {
            throw CLIError("--suite must be one of \(ExperimentSuiteName.allCases.map(\.rawValue).joined(separator: ", ")), got '\(suiteName)'")
        }
        let scaleName = args.string("scale") ?? "full"
        guard let scale = ExperimentScale(rawValue: scaleName) else {
            throw CLIError("--scale must be smoke or full, got '\(scaleName)'")
        }
        var locations = ExperimentLocations.standard()
        if let m = args.string("models") { locations.models = URL(fileURLWithPath: m) }
        if let d = args.string("data") { locations.data = URL(fileURLWithPath: d) }
        if let m = args.string("model") { locations.model = URL(fileURLWithPath: m) }
        let suite = ExperimentSuite.make(name, scale: scale, locations: locations)
        let output = URL(fileURLWithPath: args.string("out") ?? "experiments/results")

        var command = "lorasb experiment --suite \(name.rawValue)"
        if scale != .full { command += " --scale \(scale.rawValue)" }
        if let out = args.string("out") { command += " --out \(out)" }
        let checkpointing = args.has("grad-checkpoint")
        if checkpointing { command += " --grad-checkpoint" }
        let printer = ProgressPrinter.standardError()
        let say: (String) -> Void = { printer.message($0) }

        if args.has("dry-run") {
            var throughput = name == .glue ? ExperimentThroughput.miniLM : ExperimentThroughput.smolLM2
            if let rate = try args.double("tokens-per-second") {
                guard rate > 0 else { throw CLIError("--tokens-per-second must be positive") }
                let factor = rate / throughput.training
                throughput.training = rate
                throughput.forward *= factor
                throughput.generation *= factor
            }
            let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say)
            let plan = try ExperimentPlan.make(suite, throughput: throughput) { c in
                (try? runner.finishedRecord(c)) != nil
            }
            print(plan.text, terminator: "")
            return
        }
        if args.has("report-only") {
            let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say)
            let records = try runner.writeReport()
            print("\(records.count) of \(suite.configurations.count) runs finished; wrote \(runner.tableURL.path) and \(runner.plotURL.path)")
            return
        }
        let interrupt = InterruptMonitor { count in
            if count == 1 { say("interrupted: finishing this step; the suite stops after it (run the same command again to continue)") }
        }
        defer { interrupt.cancel() }
        let runner = ExperimentRunner(suite: suite, output: output, command: command, say: say,
                                      progress: printer, interrupt: interrupt)
        if checkpointing { runner.gradientCheckpointing = true }
        let outcome = try runner.run()
        printer.finish()
        print("\(outcome.ran.count) runs trained, \(outcome.skipped.count) skipped as finished; \(outcome.records.count) of \(suite.configurations.count) in the table")
        print("wrote \(outcome.table.path)")
        print("wrote \(outcome.plot.path)")
        if outcome.interrupted { exit(130) }
    }
}
