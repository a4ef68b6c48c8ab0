import Foundation
import Testing
@testable import Adapters
import LoRASB
import ModelIO
import Models
import Tensor
import TestSupport

/// `lorasb export --format gguf`: the llama.cpp LoRA adapter read back with our own GGUF reader
/// reproduces the adapted model's merged weights (`W + alpha/r · lora_b · lora_a` in the file's
/// row order, un-permuted), and the merged GGUF loads with our loader and gives the adapted
/// model's logits. SmolLM2 is a `llama` file (query and key rows permuted), Qwen2.5 a `qwen2`
/// one (not permuted, with biases).
@Suite(.serialized) struct GGUFExportTests {
    /// `model` with plain LoRA (rank 8, alpha 16: scale 2) on `targets`, `B` filled at random so
    /// the update is not zero.
    static func randomLoRA(_ url: URL, targets: [String], seed: UInt64 = 7) throws -> AdaptedModel {
        let model = try LoadedModel(url)
        let settings = AdapterSettings(method: .lora, rank: 8, alpha: 16, targets: targets, seed: seed)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model.network, context: .none)
        var generator = SeededGenerator(seed: seed)
        for e in adapters.entries {
            for (name, p) in e.adapter?.factors ?? [] where name == "lora_B" {
                generator.fillNormal(p.value, standardDeviation: 0.05)
            }
        }
        return AdaptedModel(model: model, adapters: adapters)
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-gguf-\(UUID().uuidString)-\(name)")
    }

    /// Max |Δ| between every adapted weight and `W + alpha/r · lora_b · lora_a` rebuilt from the
    /// adapter file and the base file, un-permuted independently of the exporter.
    static func adapterFileReproducesMerge(_ adapted: AdaptedModel, _ url: URL) throws -> Float {
        let file = try GGUFFile(url: url)
        let base = try #require(adapted.model.files.gguf)
        let decoder = try #require(adapted.model.decoder)
        let alpha = try #require(file.metadata["adapter.lora.alpha"]?.doubleValue)
        let permuted = GGUFLlamaLayout.permutesQueryKey(architecture: try #require(base.architecture))
        var worst: Float = 0
        for e in try #require(adapted.adapters).entries {
            let name = "blk.\(e.target.layerIndex).\(try #require(DecoderLayerTensor.allCases.first { e.target.modulePath.hasSuffix($0.huggingFacePath) }).ggufName).weight"
            let a = try file.tensor(named: "\(name).lora_a"), b = try file.tensor(named: "\(name).lora_b")
            let aInfo = try file.info(named: "\(name).lora_a"), bInfo = try file.info(named: "\(name).lora_b")
            let r = a.rows
            #expect(aInfo.dimensions == [e.target.linear.inFeatures, r], "\(name): lora_a ne = [n_in, r]")
            #expect(bInfo.dimensions == [r, e.target.linear.outFeatures], "\(name): lora_b ne = [r, n_out]")
            let w = try base.tensor(named: name)
            Gemm.multiply(b, a, alpha: Float(alpha / Double(r)), beta: 1, into: w)
            let heads = e.target.shortName == "q" ? decoder.config.headCount : decoder.config.kvHeadCount
            let rebuilt = permuted && ["q", "k"].contains(e.target.shortName)
                ? try GGUFLlamaLayout.huggingFaceOrder(w, heads: heads) : w
            let expected = try #require(e.adapter).merged(into: e.target.linear.weight.value)
            worst = max(worst, ExportParityTests.maxDifference(rebuilt, expected))
        }
        return worst
    }

    /// What `make_encode_fixtures.py --check-exports` found reading our files with
    /// `gguf.GGUFReader`: llama.cpp's keys, factors equal to the PEFT export's update permuted by
    /// llama.cpp's own `permute`, merged files with every other tensor and key unchanged.
    @Test func ggufReaderFoundOurFilesAsLlamaCppExpects() throws {
        let data = try Data(contentsOf: ExportParityTests.directory.appendingPathComponent("gguf_export.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let adapter = try #require(report["adapter"])
        #expect(adapter["general.type"] as? String == "adapter")
        #expect(adapter["adapter.type"] as? String == "lora")
        #expect(adapter["general.architecture"] as? String == "llama")
        #expect((adapter["adapter.lora.alpha"] as? NSNumber)?.doubleValue == 16)
        #expect(((adapter["max_abs_delta_vs_peft_permuted_by_llama_cpp"] as? NSNumber)?.doubleValue ?? .nan) <= 1e-6)
        for (label, fileType, tolerance) in [("merged_f16", 1, 4e-3), ("merged_q8_0", 7, 4e-2)] {
            let merged = try #require(report[label])
            #expect((merged["general.file_type"] as? NSNumber)?.intValue == fileType)
            #expect((merged["metadata_changed_besides_file_type"] as? [Any])?.isEmpty == true, "\(label)")
            #expect((merged["copied_tensors_not_byte_identical"] as? [Any])?.isEmpty == true, "\(label)")
            #expect(((merged["max_abs_merged_vs_numpy_w_plus_delta"] as? NSNumber)?.doubleValue ?? .nan) <= tolerance, "\(label)")
        }
    }

    @Test func smolLM2AdapterIsALlamaCppLoRAWithPermutedQueryKeyRows() throws {
        let adapted = try Self.randomLoRA(try TestPaths.require(TestPaths.smolLM2GGUF), targets: ["q", "k", "v", "o", "down"])
        let url = Self.temporaryFile("smollm2-adapter.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFAdapterExport.write(adapted, to: url)
        let file = try GGUFFile(url: url)
        #expect(file.metadata["general.type"] == .string("adapter"))
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(file.metadata["adapter.type"] == .string("lora"))
        #expect(file.metadata["adapter.lora.alpha"] == .float32(16), "LoRA keeps its own alpha: scale 16/8")
        #expect(file.tensorInfos.count == 2 * 5 * 30)
        #expect(file.tensorInfos.allSatisfy { $0.type == .f32 })
        let worst = try Self.adapterFileReproducesMerge(adapted, url)
        print("SmolLM2 llama.cpp adapter: max |W + s·lora_b·lora_a − merged| = \(worst)")
        #expect(worst <= 1e-5)

        // Requested types: q8_0 where rows are whole blocks (lora_a, 576 wide), f16 for the
        // rank-8 rows of lora_b, as llama.cpp's converter falls back.
        try GGUFAdapterExport.write(adapted, type: .q8_0, to: url)
        let q8 = try GGUFFile(url: url)
        #expect(try q8.info(named: "blk.0.attn_q.weight.lora_a").type == .q8_0)
        #expect(try q8.info(named: "blk.0.attn_q.weight.lora_b").type == .f16)
        #expect(q8.metadata["general.file_type"] == .uint32(7))
    }

    @Test func qwenAdapterKeepsRowsInOrder() throws {
        let adapted = try Self.randomLoRA(try TestPaths.require(TestPaths.qwenCoderGGUF("0.5B")), targets: ["q", "k"])
        let url = Self.temporaryFile("qwen-adapter.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFAdapterExport.write(adapted, type: .bf16, to: url)
        let file = try GGUFFile(url: url)
        #expect(file.metadata["general.architecture"] == .string("qwen2"))
        #expect(file.tensorInfos.allSatisfy { $0.type == .bf16 })
        let worst = try Self.adapterFileReproducesMerge(adapted, url)
        print("Qwen2.5 0.5B bf16 llama.cpp adapter: max |W + s·lora_b·lora_a − merged| = \(worst)")
        #expect(worst <= 2e-3, "bf16 factors")
    }

    /// rsLoRA keeps its scale alpha/√r (written as alpha = scale · r), PiSSA exports its rank-2r
    /// conversion on the original weight, DoRA is refused in favour of the merge.
    @Test(arguments: ["rslora", "pissa", "dora"])
    func methodsMapWithTheirOwnScale(_ method: String) throws {
        let adapted = try AdaptedModel(model: try TestPaths.require(TestPaths.smolLM2GGUF),
                                       adapter: PEFTMethodExportTests.directory.appendingPathComponent("\(method)-adapter"))
        let url = Self.temporaryFile("\(method).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        if method == "dora" {
            #expect { try GGUFAdapterExport.write(adapted, to: url) } throws: { "\($0)".contains("lora_magnitude_vector") && "\($0)".contains("--merge --format gguf") }
            #expect(!FileManager.default.fileExists(atPath: url.path))
            return
        }
        try GGUFAdapterExport.write(adapted, to: url)
        let file = try GGUFFile(url: url)
        let rank = try file.info(named: "blk.0.attn_v.weight.lora_a").dimensions[1]
        #expect(rank == (method == "pissa" ? 8 : 4))
        #expect(file.metadata["adapter.lora.alpha"] == .float32(16), "rsLoRA 8/√4 · 4; PiSSA 2·8 over 2r")
        let worst = try Self.adapterFileReproducesMerge(adapted, url)
        print("\(method) llama.cpp adapter: max |W + s·lora_b·lora_a − merged| = \(worst)")
        #expect(worst <= 1e-5)
    }

    @Test func mergedSmolLM2LoadsAndGivesTheAdaptedLogits() throws {
        let gguf = try TestPaths.require(TestPaths.smolLM2GGUF)
        let adapted = try Self.randomLoRA(gguf, targets: ["q", "k", "v", "o", "gate", "up", "down"])
        let url = Self.temporaryFile("smollm2-merged.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFMergedExport.write(adapted, to: url)

        let base = try #require(adapted.model.files.gguf), merged = try GGUFFile(url: url)
        #expect(merged.metadataKeys == base.metadataKeys)
        for key in base.metadataKeys where key != "general.file_type" {
            #expect(merged.metadata[key] == base.metadata[key], "\(key) copied unchanged")
        }
        #expect(merged.metadata["general.file_type"] == .uint32(1))
        #expect(merged.tensorInfos.map(\.name) == base.tensorInfos.map(\.name))
        for info in base.tensorInfos where !info.name.hasPrefix("blk.") || info.dimensions.count == 1 {
            #expect(try merged.withRawBytes(named: info.name) { Array($0) } == base.withRawBytes(named: info.name) { Array($0) }, "\(info.name) copied byte for byte")
        }
        #expect(try merged.info(named: "blk.0.attn_q.weight").type == .f16)

        let batch = try TokenBatch(ids: [[1, 504, 3458, 314, 260, 1345, 28, 216, 2], [1, 19556, 30, 253, 1000, 7, 8, 9, 10]])
        let ours = try #require(adapted.model.decoder).logits(batch).copy()
        let reloaded = try #require(try LoadedModel(url).decoder).logits(batch).copy()
        adapted.adapters?.detach()
        let baseLogits = try #require(adapted.model.decoder).logits(batch).copy()
        let difference = ExportParityTests.maxDifference(ours, reloaded)
        let effect = ExportParityTests.maxDifference(ours, baseLogits)
        print("SmolLM2 merged f16 GGUF vs adapted model: max |Δ logits| = \(difference) (adapter's own effect \(effect))")
        #expect(effect > 0.5, "the adapter must matter")
        #expect(difference <= 0.05)
    }

    @Test func mergedQ8_0RowsAreTheMergedWeightEncodedDirectly() throws {
        let adapted = try Self.randomLoRA(try TestPaths.require(TestPaths.smolLM2GGUF), targets: ["q", "down"])
        let url = Self.temporaryFile("smollm2-q8.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFMergedExport.write(adapted, type: .q8_0, to: url)
        let merged = try GGUFFile(url: url)
        #expect(merged.metadata["general.file_type"] == .uint32(7))
        let decoder = try #require(adapted.model.decoder)
        for e in try #require(adapted.adapters).entries where [0, 17, 29].contains(e.target.layerIndex) {
            let name = e.target.shortName == "q" ? "blk.\(e.target.layerIndex).attn_q.weight" : "blk.\(e.target.layerIndex).ffn_down.weight"
            var w = try #require(e.adapter).merged(into: e.target.linear.weight.value)
            if e.target.shortName == "q" { w = try GGUFLlamaLayout.ggmlOrder(w, heads: decoder.config.headCount) }
            #expect(try merged.info(named: name).type == .q8_0)
            #expect(try merged.withRawBytes(named: name) { Array($0) } == GGMLEncoder.encode(w.array, as: .q8_0, name: name), "\(name)")
        }
    }

    @Test func badInputsAreRefusedClearly() throws {
        #expect { try GGUFExportBase.type(named: "q4_k", allowed: GGUFExportBase.mergedTypes, setting: "--type") } throws: {
            "\($0)".contains("--type must be one of f16, bf16, q8_0, q5_0, q5_1, q4_0, q4_1")
        }
        #expect(try GGUFExportBase.type(named: "Q8_0", allowed: GGUFExportBase.adapterTypes, setting: "--type") == .q8_0)
        let url = Self.temporaryFile("refused.gguf")
        let folder = try TestPaths.require(TestPaths.miniLM)
        let encoder = try AdaptedModel(model: folder, adapter: ExportParityTests.directory.appendingPathComponent("minilm-adapter"))
        #expect { try GGUFMergedExport.write(encoder, to: url) } throws: { "\($0)".contains("Hugging Face folder") }
        let adapted = try AdaptedModel(model: try TestPaths.require(TestPaths.smolLM2GGUF),
                                       adapter: ExportParityTests.directory.appendingPathComponent("smollm2-adapter"))
        #expect { try GGUFAdapterExport.write(adapted, type: .q4_0, to: url) } throws: { "\($0)".contains("f32, f16, bf16, q8_0") }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
