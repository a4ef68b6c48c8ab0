import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// `--task` on `train` and `eval`: a head kind (classification, regression) or a GLUE task by
/// short or folder name; anything else is refused naming the choices. Unset, nothing is forced.
@Suite struct TaskFlagTests {
    static let model = TestPaths.fixtures.appendingPathComponent("models/tiny-bert")

    func data(_ extra: [String], flags: [Arguments.Flag] = EvalCommand.flags) throws -> DataOptions {
        try DataFlags.options(try Arguments(["--model", Self.model.path, "--data", "/data/sts"] + extra, flags: flags))
    }

    @Test func headKindsAndGLUETasks() throws {
        #expect(try data(["--task", "regression"]).headTask == .regression)
        #expect(try data(["--task", "Classification"]).headTask == .classification)
        #expect(try data(["--task", "stsb"]).glueTask == .stsb)
        #expect(try data(["--task=STS-B"]).glueTask == .stsb)
        #expect(try data(["--task", "sst-2"]).glueTask == .sst2)
        #expect(try data(["--task", "qnli"], flags: TrainCommand.flags).glueTask == .qnli)
        let unset = try data([])
        #expect(unset.headTask == nil && unset.glueTask == nil)
        #expect(unset == DataOptions(path: URL(fileURLWithPath: "/data/sts")))
    }

    @Test func unknownTasksAndMissingValuesAreRefused() throws {
        #expect { try data(["--task", "sentiment"]) } throws: { error in
            let text = "\(error)"
            return text.contains("--task must be one of commonsense, math, gsm8k, classification, regression, cola, sst2, mrpc, qnli, rte, stsb")
                && text.contains("'sentiment'")
        }
        #expect { try data(["--task"]) } throws: { "\($0)" == "--task needs a value" }
    }

    @Test func trainRequestCarriesTheTaskAndHelpListsIt() throws {
        let words = ["--model", Self.model.path, "--data", "/data/sts", "--task", "regression"]
        let request = try TrainCommand.makeRequest(try Arguments(words, flags: TrainCommand.flags))
        #expect(request.data.headTask == .regression)
        #expect(request.commandLine["task"] == "regression")
        let help = Arguments.usage(command: TrainCommand.name, summary: TrainCommand.summary, flags: TrainCommand.flags)
        #expect(help.contains("classification or regression, or a GLUE task (cola, sst2, mrpc, qnli, rte, stsb)"))
    }
}
