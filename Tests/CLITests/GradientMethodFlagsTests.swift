import Foundation
import LoRASB
import Testing
import TestSupport
@testable import CLI

/// `--method lora-ga|lora-pro`, `--init-memory GB` and `--ga-gamma` reach the library's
/// settings; their errors are shown under the flags.
@Suite struct GradientMethodFlagsTests {
    func request(_ extra: [String]) throws -> FineTuneRequest { try tinyTrainRequest(extra) }

    @Test func flagsSetTheSettings() throws {
        let r = try request(["--method", "lora-ga", "--init-memory", "0.5", "--ga-gamma", "4"])
        #expect(r.adapter.method == .loraGA)
        #expect(r.adapter.initMemoryBudget == 500_000_000)
        #expect(r.adapter.loraGAGamma == 4)
        #expect(try request(["--method", "lora-pro"]).adapter.method == .loraPro)
        let bare = try request([])
        #expect(bare.adapter.initMemoryBudget == nil && bare.adapter.loraGAGamma == AdapterSettings.authorsLoRAGAGamma)
        #expect(throws: (any Error).self) { try request(["--init-memory", "-1"]) }
    }

    @Test func settingErrorsNameTheFlags() {
        #expect(SettingFlags.message(SettingError("initMemoryBudget", "x")) == "--init-memory: x")
        #expect(SettingFlags.message(SettingError("loraGAGamma", "x")) == "--ga-gamma: x")
    }
}
