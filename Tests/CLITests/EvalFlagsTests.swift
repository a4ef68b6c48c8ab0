import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// `lorasb eval`'s task flags: what they set, what they leave to the library and the family,
/// and the errors for bad values.
@Suite struct EvalFlagsTests {
    static func request(_ words: [String]) throws -> EvaluationRequest {
        try EvalCommand.makeRequest(try Arguments(["--model", "m.gguf"] + words, flags: EvalCommand.flags))
    }

    static func error(_ words: [String]) -> String? {
        do { _ = try request(words); return nil } catch { return "\(error)" }
    }

    @Test func bareRequestLeavesDefaultsToTheLibraryAndTheFamily() throws {
        let r = try Self.request(["--data", "math500.jsonl"])
        #expect(r.data.taskFamily == nil && r.data.glueTask == nil)
        #expect(r.metric == EvaluationMetric.auto && r.scoring == .generation)
        #expect(r.maxNewTokens == nil && r.limit == nil)
    }

    @Test func taskScoringAndLimitsAreParsed() throws {
        let r = try Self.request(["--data", "cs", "--task", "commonsense", "--scoring", "likelihood",
                                  "--limit", "5", "--max-tokens", "16", "--split", "test", "--output", "out.jsonl"])
        #expect(r.data.taskFamily == "commonsense" && r.scoring == .likelihood)
        #expect(r.limit == 5 && r.maxNewTokens == 16 && r.split == .test)
        #expect(r.generationsOutput?.lastPathComponent == "out.jsonl")
        #expect(try Self.request(["--data", "d", "--task", "MATH"]).data.taskFamily == "math")
        // --task still selects GLUE presets for encoders.
        let glue = try Self.request(["--data", "d", "--task", "rte"])
        #expect(glue.data.glueTask == .rte && glue.data.taskFamily == nil)
        #expect(try Self.request(["--data", "d", "--metric", "task"]).metric == EvaluationMetric.task)
    }

    @Test func trainTakesTheSameTaskFlag() throws {
        let model = TestPaths.fixtures.appendingPathComponent("models/tiny-llama").path
        let words = ["--model", model, "--data", "commonsense", "--task", "commonsense"]
        let request = try TrainCommand.makeRequest(try Arguments(words, flags: TrainCommand.flags))
        #expect(request.data.taskFamily == "commonsense" && request.data.glueTask == nil)
    }

    @Test func badValuesAreRefusedNamingTheFlag() throws {
        let task = try #require(Self.error(["--data", "d", "--task", "sql"]))
        #expect(task.contains("--task must be one of commonsense, math, gsm8k") && task.contains("'sql'"))
        let scoring = try #require(Self.error(["--data", "d", "--scoring", "vote"]))
        #expect(scoring.contains("--scoring must be generation or likelihood, got 'vote'"))
        #expect(Self.error(["--data", "d", "--max-tokens", "0"])?.contains("--max-tokens must be at least 1") == true)
        #expect(Self.error(["--data", "d", "--limit", "-2"])?.contains("--limit must be at least 1") == true)
        #expect(Self.error(["--data", "d", "--limit", "x"])?.contains("--limit expects a whole number") == true)
        #expect(Self.error(["--model", "m"])?.contains("--data is required") == true)
        // Library errors about task settings are shown under their flags.
        #expect(SettingFlags.message(SettingError("taskFamily", "unknown")) == "--task: unknown")
        #expect(SettingFlags.message(SettingError("scoring", "no")) == "--scoring: no")
    }

    @Test func helpQuotesEachFamilysDefaults() {
        let help = Arguments.usage(command: EvalCommand.name, summary: EvalCommand.summary, flags: EvalCommand.flags)
        for family in TaskFamilies.all { #expect(help.contains("\(family.name) \(family.maxNewTokens)")) }
        #expect(help.contains("generation or likelihood"))
        #expect(help.contains("commonsense, math, gsm8k"))
    }
}
