import Foundation
import Testing
@testable import Adapters
import LoRASB
import TestSupport

/// The rsLoRA, PiSSA and DoRA exports against PEFT. Fixtures (Tests/Fixtures/export/methods*)
/// come from `scripts/verify_exports.py --methods-only`: per method a rank-4 adapter on SmolLM2's
/// v_proj and down_proj trained 2 steps by `lorasb train`, the logits `PeftModel.from_pretrained`
/// gave with its `lorasb export --format peft` folder on the original base, and the script's
/// measurements.
@Suite(.serialized) struct PEFTMethodExportTests {
    static var directory: URL { ExportParityTests.directory.appendingPathComponent("methods") }

    /// What the script measured: PEFT, our adapter and Transformers on our merged folder agree.
    @Test func scriptFoundEveryExportLoadsInPEFTWithOurLogits() throws {
        let data = try Data(contentsOf: ExportParityTests.directory.appendingPathComponent("methods.json"))
        let report = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["report"] as? [String: [String: Any]])
        #expect(Set(report.keys) == ["rslora", "pissa", "dora"])
        for (method, r) in report {
            func number(_ key: String) -> Double { (r[key] as? NSNumber)?.doubleValue ?? .nan }
            #expect(number("ours_vs_peft_max_abs") <= 1e-3, "\(method)")
            #expect(number("ours_vs_transformers_merged_max_abs") <= 1e-3, "\(method)")
            #expect(number("adapter_effect_max_abs") > 1e-2, "\(method): the adapter must matter")
            let config = try #require(r["peft_config"] as? [String: Any])
            #expect((config["use_rslora"] as? Bool) == (method == "rslora"), "\(method)")
            #expect((config["use_dora"] as? Bool) == (method == "dora"), "\(method)")
            #expect((config["r"] as? NSNumber)?.intValue == (method == "pissa" ? 8 : 4), "\(method)")
        }
    }

    @Test(arguments: ["rslora", "pissa", "dora"])
    func adapterMatchesPEFTAndExportsWhatPEFTLoads(_ method: String) throws {
        let gguf = try TestPaths.require(TestPaths.smolLM2GGUF)
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("\(method)_reference.safetensors"))
        let adapted = try AdaptedModel(model: gguf, adapter: Self.directory.appendingPathComponent("\(method)-adapter"))
        let adapters = try #require(adapted.adapters)
        #expect(adapters.settings.method.rawValue == method)
        #expect(adapters.entries.count == 60)
        let (withAdapter, mask) = try ExportParityTests.logits(adapted.model, reference)
        let subset = try reference.tensor(named: "vocab_subset").array.map { Int($0) }
        let vsPEFT = ExportParityTests.decoderDifference(withAdapter, try reference.tensor(named: "peft_logits"),
                                                         mask: mask, columns: subset)
        print("\(method) adapter logits vs PEFT: max abs difference \(vsPEFT)")
        #expect(vsPEFT <= 1e-3)

        // The PEFT folder we write now holds what the fixture's PEFT run loaded.
        let folder = try ExportParityTests.temporaryFolder("method-\(method)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try PEFTExport.write(adapters, taskType: "CAUSAL_LM", baseModel: gguf.path, to: folder)
        let configData = try Data(contentsOf: folder.appendingPathComponent(PEFTExport.configName))
        let config = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
        #expect((config["use_rslora"] as? Bool) == (method == "rslora"))
        #expect((config["use_dora"] as? Bool) == (method == "dora"))
        let r = method == "pissa" ? 8 : 4
        #expect((config["r"] as? NSNumber)?.intValue == r)
        #expect((config["lora_alpha"] as? NSNumber)?.doubleValue == (method == "pissa" ? 16 : 8))
        let tensors = try SafeTensorsFile(url: folder.appendingPathComponent(PEFTExport.tensorsName))
        let key = "base_model.model.model.layers.0.mlp.down_proj"
        #expect(try tensors.tensor(named: "\(key).lora_A.weight").shape == [r, 1536])
        #expect(try tensors.tensor(named: "\(key).lora_B.weight").shape == [576, r])
        #expect(tensors.contains("\(key).lora_magnitude_vector") == (method == "dora"))

        // Merged into the weights, the model computes what it did with the adapter, up to the
        // fp32 rounding of the merged weights on logits up to ±42 moved by up to 50 by the
        // adapter (measured 1.1e-4).
        let merged = try ExportParityTests.temporaryFolder("method-merged-\(method)")
        defer { try? FileManager.default.removeItem(at: merged) }
        _ = try MergedModelExport.write(adapted, to: merged)
        let (afterMerge, _) = try ExportParityTests.logits(adapted.model, reference)
        let vsMerged = ExportParityTests.decoderDifference(afterMerge, withAdapter, mask: mask)
        print("\(method) merged vs adapter: max abs difference \(vsMerged)")
        #expect(vsMerged <= 5e-4)
    }
}
