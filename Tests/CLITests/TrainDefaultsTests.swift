import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// The command line adds no defaults of its own: what it leaves unset is the library's.
@Suite struct TrainDefaultsTests {
    static let model = TestPaths.fixtures.appendingPathComponent("models/tiny-llama")
    static let data = URL(fileURLWithPath: "/data/gsm8k")

    @Test func bareTrainRequestIsTheLibraryDefault() throws {
        let words = ["--model", Self.model.path, "--data", Self.data.path]
        let request = try TrainCommand.makeRequest(try Arguments(words, flags: TrainCommand.flags))
        let expected = FineTuneRequest(
            model: Self.model, data: DataOptions(path: Self.data),
            adapter: AdapterSettings(targets: LoadedModel.defaultTargets(for: .llama)),
            trainer: TrainerSettings(), output: URL(fileURLWithPath: "adapters"),
            commandLine: ["model": Self.model.path, "data": Self.data.path])
        #expect(request == expected)
    }

    @Test func configFileOverridesOnlyWhatItNames() throws {
        var args = try Arguments(["--model", Self.model.path, "--data", Self.data.path, "--rank", "8"],
                                 flags: TrainCommand.flags)
        try args.applyDefaults(["rank": "4", "learning_rate": "0.002"], flags: TrainCommand.flags, source: "config")
        let request = try TrainCommand.makeRequest(args)
        #expect(request.adapter.rank == 8)   // the flag wins over the file
        #expect(request.adapter.alpha == 8)
        #expect(request.trainer.learningRate == 0.002)
        var trainer = TrainerSettings()
        trainer.learningRate = 0.002
        #expect(request.trainer == trainer)
    }

    @Test func helpQuotesTheLibraryDefaults() {
        let help = Arguments.usage(command: TrainCommand.name, summary: TrainCommand.summary, flags: TrainCommand.flags)
        let trainer = TrainerSettings()
        #expect(help.contains("peak learning rate (default \(trainer.learningRate))"))
        #expect(help.contains("optimizer steps (default \(trainer.iterations))"))
        #expect(help.contains("adapter rank r (default \(AdapterSettings(targets: []).rank))"))
    }
}

/// Library errors name settings; the command line shows its flags.
@Suite struct SettingFlagsTests {
    @Test func settingErrorsAreShownUnderTheirFlags() {
        #expect(SettingFlags.message(SettingError("batchSize", "must be at least 1")) == "--batch-size: must be at least 1")
        #expect(SettingFlags.message(SettingError("learningRate", "x")).hasPrefix("--learning-rate"))
        let stopped = TrainingStopped(description: "stopped", settings: ["learningRate", "maxGradNorm"])
        #expect(SettingFlags.message(stopped) == "stopped (--learning-rate, --max-grad-norm)")
    }

    @Test func everyValidatedTrainerSettingHasAFlag() throws {
        var trainer = TrainerSettings()
        trainer.batchSize = 0
        do { try trainer.validate(); Issue.record("batch size 0 was accepted") } catch let e as SettingError {
            #expect(SettingFlags.flag(e.setting) == "--batch-size")
        }
        let adapter = AdapterSettings(rank: 0, targets: ["q"])
        do { try adapter.validate(); Issue.record("rank 0 was accepted") } catch let e as SettingError {
            #expect(SettingFlags.flag(e.setting) == "--rank")
        }
    }

    @Test func initOrderFlagSetsTheSetting() throws {
        let model = TrainDefaultsTests.model.path
        let args = try Arguments(["--model", model, "--data", "/data/gsm8k", "--init-order", "file"], flags: TrainCommand.flags)
        #expect(try TrainCommand.makeRequest(args).adapter.initOrder == .file)
    }
}
