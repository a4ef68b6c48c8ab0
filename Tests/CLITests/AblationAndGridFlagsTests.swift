import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// The initialisation-ablation flags of `lorasb train` and the seeds / learning-rate grid
/// flags of `lorasb experiment`: what they set, and the errors for what they refuse.
@Suite struct AblationAndGridFlagsTests {
    static let model = TestPaths.fixtures.appendingPathComponent("models/tiny-llama")

    func trainRequest(_ extra: [String]) throws -> FineTuneRequest { try tinyTrainRequest(extra) }

    func cliError(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as CLIError { return e.description } catch { return SettingFlags.message(error) }
        return "no error"
    }

    @Test func initAblationFlagsSetTheAdapterSettings() throws {
        let defaults = try trainRequest([]).adapter
        #expect(defaults.initBasis == AdapterSettings(targets: []).initBasis)
        #expect(defaults.initNoise == AdapterSettings(targets: []).initNoise)
        #expect(defaults.initSplit == AdapterSettings(targets: []).initSplit)
        let a = try trainRequest(["--init-basis", "random", "--init-noise", "1e-3", "--init-split", "scaled"]).adapter
        #expect(a.initBasis == .random && a.initNoise == 1e-3 && a.initSplit == .scaled)
        #expect(try trainRequest(["--init-basis=update"]).adapter.initBasis == .update)
    }

    @Test func initAblationFlagErrorsListTheChoices() throws {
        let basis = cliError { _ = try trainRequest(["--init-basis", "kaiming"]) }
        #expect(basis == "--init-basis must be update or random, got 'kaiming'")
        let split = cliError { _ = try trainRequest(["--init-split", "svd"]) }
        #expect(split == "--init-split must be orthonormal or scaled, got 'svd'")
        // The generic override serves the older choice flags too.
        #expect(cliError { _ = try trainRequest(["--init-gradient", "adam"]) } == "--init-gradient must be sign or raw, got 'adam'")
        #expect(cliError { _ = try trainRequest(["--lr-schedule", "step"]) }.hasPrefix("--lr-schedule must be cosine"))
        #expect(cliError { _ = try trainRequest(["--init-noise", "lots"]) } == "--init-noise expects a number, got 'lots'")
        // A negative level is refused by the library's validation, shown under its flag.
        var negative = try trainRequest(["--init-noise", "-1e-3"]).adapter
        #expect(negative.initNoise == -1e-3)
        #expect(cliError { try negative.validate() }.hasPrefix("--init-noise: must be a number of at least 0"))
        negative.initNoise = 0
        try negative.validate()
    }

    @Test func helpQuotesTheLibraryDefaultsAndChoices() {
        let help = Arguments.usage(command: TrainCommand.name, summary: TrainCommand.summary, flags: TrainCommand.flags)
        #expect(help.contains("update or random (default update)"))
        #expect(help.contains("orthonormal or scaled (default orthonormal)"))
        #expect(help.contains("(e.g. 1e-3; default 0.0)"))
        let experiment = Arguments.usage(command: ExperimentCommand.name, summary: ExperimentCommand.summary,
                                         flags: ExperimentCommand.flags)
        #expect(experiment.contains("ablation-basis") && experiment.contains("ablation-split"))
        #expect(experiment.contains("--seeds") && experiment.contains("--lr-grid"))
        #expect(experiment.contains("standard (×0.5, 1, 2 of each method's rate)"))
    }

    func suite(_ words: [String]) throws -> ExperimentSuite {
        let base = ExperimentSuite.make(.ablationSplit, scale: .smoke,
                                        locations: ExperimentLocations(models: URL(fileURLWithPath: "/m"), data: URL(fileURLWithPath: "/d")))
        return try ExperimentCommand.configuredSuite(base, try Arguments(["--suite", "ablation-split"] + words, flags: ExperimentCommand.flags))
    }

    @Test func seedsAndGridFlagsConfigureTheSuite() throws {
        let plain = try suite([])
        #expect(plain.seeds == ExperimentSuite.defaultSeeds && plain.learningRateGrid == nil)
        #expect(plain.tuningRuns.isEmpty)
        #expect(try suite(["--seeds", "3"]).seeds == [0, 1, 2])
        #expect(try suite(["--lr-grid", "standard"]).learningRateGrid == ExperimentSuite.standardLearningRateGrid)
        #expect(try suite(["--lr-grid", "x0.5,1,2"]).learningRateGrid == .multiples([0.5, 1, 2]))
        #expect(try suite(["--lr-grid", "1e-4, 2e-4,5e-4"]).learningRateGrid == .rates([1e-4, 2e-4, 5e-4]))

        // 2 seeds × a 2-rate grid: 2 tuning runs per configuration, then one more seed each.
        let s = try suite(["--seeds", "2", "--lr-grid", "x0.5,2"])
        let c = s.configurations[0]
        #expect(s.tuningRuns.filter { $0.configuration.id == c.id }.map(\.learningRate) == [c.learningRate * 0.5, c.learningRate * 2])
        #expect(s.tuningRuns.allSatisfy { $0.seed == 0 })
        let final = s.finalRuns { _ in 2e-3 }
        #expect(final.count == 2 * s.configurations.count)
        #expect(final.map(\.id).contains("\(c.id)-lr2e-03-s1"))
        #expect(s.finalRuns { _ in nil }.isEmpty)
    }

    @Test func seedsAndGridErrorsNameTheFlag() {
        #expect(cliError { _ = try suite(["--seeds", "0"]) } == "--seeds: 0 is less than 1")
        #expect(cliError { _ = try suite(["--seeds", "two"]) } == "--seeds expects a whole number, got 'two'")
        #expect(cliError { _ = try suite(["--lr-grid", "x0.5"]) }.hasPrefix("--lr-grid: 'x0.5' has 1 rate"))
        #expect(cliError { _ = try suite(["--lr-grid", "1e-4,fast"]) }.hasPrefix("--lr-grid: 'fast' in '1e-4,fast' is not a positive number"))
        #expect(cliError { _ = try suite(["--lr-grid", "1e-4,-2e-4"]) }.contains("'-2e-4'"))
        #expect(cliError { _ = try suite(["--lr-grid", "1e-4,1e-4"]) } == "--lr-grid: '1e-4,1e-4' names a rate twice")
        #expect(cliError { _ = try suite(["--lr-grid", "wide"]) }.contains("expected standard, x0.5,1,2 or 1e-4,2e-4"))
    }

    @Test func suiteAndScaleErrorsListTheChoices() throws {
        let words = ["--suite", "paper"]
        let message = cliError { try ExperimentCommand.run(try Arguments(words, flags: ExperimentCommand.flags)) }
        #expect(message.hasPrefix("--suite must be decoder, arithmetic, commonsense, glue, ablation-init, ablation-lr, ablation-basis, ablation-split or subspace, got 'paper'"))
        let scale = cliError { try ExperimentCommand.run(try Arguments(["--suite", "glue", "--scale", "huge"], flags: ExperimentCommand.flags)) }
        #expect(scale == "--scale must be smoke or full, got 'huge'")
    }
}
