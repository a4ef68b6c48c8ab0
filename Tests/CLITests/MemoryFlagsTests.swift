import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// `--grad-checkpoint` on `train` and `experiment`: off unless given (the library's default),
/// settable from a config file, recorded in the manifest's training flags.
@Suite struct MemoryFlagsTests {
    static let words = ["--model", TrainDefaultsTests.model.path, "--data", "/data/gsm8k"]

    @Test func gradCheckpointSetsTheRequest() throws {
        let request = try TrainCommand.makeRequest(try Arguments(Self.words + ["--grad-checkpoint"], flags: TrainCommand.flags))
        #expect(request.gradientCheckpointing)
        #expect(request.commandLine["grad-checkpoint"] == "true")
    }

    @Test func unsetFlagKeepsTheLibraryDefault() throws {
        let request = try TrainCommand.makeRequest(try Arguments(Self.words, flags: TrainCommand.flags))
        #expect(request.gradientCheckpointing == TrainCommand.request.gradientCheckpointing)
        #expect(request.commandLine["grad-checkpoint"] == nil)
    }

    @Test func configFileTurnsItOn() throws {
        var args = try Arguments(Self.words, flags: TrainCommand.flags)
        try args.applyDefaults(["grad_checkpoint": "true"], flags: TrainCommand.flags, source: "config")
        #expect(try TrainCommand.makeRequest(args).gradientCheckpointing)
        var refused = try Arguments(Self.words, flags: TrainCommand.flags)
        #expect(throws: CLIError.self) {
            try refused.applyDefaults(["grad_checkpoint": "sometimes"], flags: TrainCommand.flags, source: "config")
        }
    }

    @Test func switchTakesNoValue() {
        #expect(throws: CLIError.self) { try Arguments(Self.words + ["--grad-checkpoint=yes"], flags: TrainCommand.flags) }
    }

    @Test func experimentAcceptsItAndHelpQuotesTheDefault() throws {
        let args = try Arguments(["--suite", "decoder", "--grad-checkpoint"], flags: ExperimentCommand.flags)
        #expect(args.has("grad-checkpoint"))
        let help = Arguments.usage(command: TrainCommand.name, summary: TrainCommand.summary, flags: TrainCommand.flags)
        let library = TrainCommand.request.gradientCheckpointing ? "on" : "off"
        #expect(help.contains("--grad-checkpoint") && help.contains("(default \(library))"))
    }

    @Test func errorsAboutTheSettingNameTheFlag() {
        #expect(SettingFlags.message(SettingError("gradientCheckpointing", "applies to decoders only"))
            == "--grad-checkpoint: applies to decoders only")
    }
}
