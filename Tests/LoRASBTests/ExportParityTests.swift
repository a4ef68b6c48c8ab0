import Foundation
import Testing
import LoRASB
import TestSupport

/// Our adapter-loaded models against Transformers + PEFT, and our merged exports against the
/// adapter, on the real SmolLM2 GGUF and MiniLM. Fixtures (Tests/Fixtures/export) come from
/// scripts/verify_exports.py: two small LoRA-SB adapters trained by `lorasb train` and the
/// logits `PeftModel.from_pretrained` gave with them.
@Suite(.serialized) struct ExportParityTests {
    static var directory: URL { TestPaths.fixtures.appendingPathComponent("export") }

    /// Logits of `model` for the fixture's right-padded batch.
    static func logits(_ model: LoadedModel, _ reference: SafeTensorsFile) throws -> (Tensor, [[Int]]) {
        let ids = try reference.tensor(named: "input_ids")
        let mask = try reference.tensor(named: "attention_mask")
        let rows = ids.shape[0], length = ids.shape[1]
        func matrix(_ t: Tensor) -> [[Int]] { (0..<rows).map { r in (0..<length).map { Int(t.array[r * length + $0]) } } }
        let types = reference.contains("token_type_ids") ? matrix(try reference.tensor(named: "token_type_ids")) : nil
        let batch = try TokenBatch(ids: matrix(ids), attentionMask: matrix(mask), tokenTypes: types)
        if let decoder = model.decoder { return (try decoder.logits(batch).copy(), matrix(mask)) }
        return (try #require(model.classifier).logits(batch).copy(), matrix(mask))
    }

    /// Max |a − b| over real positions (decoder logits `[rows, length, vocab]`, `columns` picked).
    static func decoderDifference(_ a: Tensor, _ b: Tensor, mask: [[Int]], columns: [Int]? = nil) -> Float {
        let vocab = a.shape[2], length = a.shape[1]
        let picked = columns ?? Array(0..<vocab)
        let bWidth = b.shape[2]
        var worst: Float = 0
        for r in mask.indices {
            for t in 0..<length where mask[r][t] != 0 {
                let pa = a.pointer + (r * length + t) * vocab
                let pb = b.pointer + (r * length + t) * bWidth
                for (j, c) in picked.enumerated() {
                    worst = max(worst, abs(pa[c] - pb[columns == nil ? c : j]))
                }
            }
        }
        return worst
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.array, b.array).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-export-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func smolLM2AdapterMatchesPEFTAndMergesExactly() throws {
        let gguf = try TestPaths.require(TestPaths.smolLM2GGUF)
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("smollm2_reference.safetensors"))
        let adapted = try AdaptedModel(model: gguf, adapter: Self.directory.appendingPathComponent("smollm2-adapter"))
        #expect(adapted.adapters?.entries.count == 30)
        let (withAdapter, mask) = try Self.logits(adapted.model, reference)
        let subset = try reference.tensor(named: "vocab_subset").array.map { Int($0) }
        let peft = try reference.tensor(named: "peft_logits")
        let vsPEFT = Self.decoderDifference(withAdapter, peft, mask: mask, columns: subset)
        print("SmolLM2 adapter logits vs PEFT: max abs difference \(vsPEFT)")
        #expect(vsPEFT <= 1e-3)

        // The adapter must matter, or the comparison proves nothing about it.
        adapted.adapters?.detach()
        let (base, _) = try Self.logits(adapted.model, reference)
        let adapterEffect = Self.decoderDifference(base, withAdapter, mask: mask)
        print("SmolLM2 adapter effect on logits: \(adapterEffect)")
        #expect(adapterEffect > 1e-2)
        for e in adapted.adapters?.entries ?? [] { e.target.linear.adapter = e.adapter }

        let folder = try Self.temporaryFolder("smollm2")
        defer { try? FileManager.default.removeItem(at: folder) }
        try MergedModelExport.write(adapted, to: folder)
        let (merged, _) = try Self.logits(adapted.model, reference)
        let vsMerged = Self.decoderDifference(merged, withAdapter, mask: mask)
        print("SmolLM2 merged (in memory) vs adapter: max abs difference \(vsMerged)")
        #expect(vsMerged <= 1e-4)

        // The merged folder reloads with our own loader: weights, config.json and tokenizer.json.
        let reloaded = try LoadedModel(folder)
        #expect(reloaded.decoder?.isTied == true)
        #expect(try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors")).contains("lm_head.weight") == false)
        let (fromDisk, _) = try Self.logits(reloaded, reference)
        let vsDisk = Self.decoderDifference(fromDisk, withAdapter, mask: mask)
        print("SmolLM2 merged folder reloaded vs adapter: max abs difference \(vsDisk)")
        #expect(vsDisk <= 1e-4)

        // Its tokenizer.json encodes like the GGUF vocabulary and like HF `tokenizers` did.
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.directory.appendingPathComponent("export.json"))) as? [String: Any]
        let questions = try #require(fixture?["gsm8k_questions"] as? [String])
        let ids = try #require(fixture?["gsm8k_ids"] as? [[Int]])
        let ggufTokenizer = try Tokenizer.load(model: gguf)
        var sameAsHF = 0, sameAsGGUF = 0
        for (q, expected) in zip(questions, ids) {
            let exported = reloaded.tokenizer.encode(q).ids
            if exported == expected { sameAsHF += 1 }
            if exported == ggufTokenizer.encode(q).ids { sameAsGGUF += 1 }
        }
        #expect(questions.count == 100)
        #expect(sameAsHF == questions.count)
        #expect(sameAsGGUF == questions.count)
        #expect(reloaded.tokenizer.chatTemplate == ggufTokenizer.chatTemplate)
        let config = try ModelFiles(url: folder).config
        #expect(config.modelType == "llama" && config.kvHeadCount == 3 && config.tieWordEmbeddings)
    }

    @Test func miniLMAdapterMatchesPEFTAndMergesExactly() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        let reference = try SafeTensorsFile(url: Self.directory.appendingPathComponent("minilm_reference.safetensors"))
        let adapted = try AdaptedModel(model: base, adapter: Self.directory.appendingPathComponent("minilm-adapter"))
        #expect(adapted.labels == ["entailment", "not_entailment"])
        let (withAdapter, _) = try Self.logits(adapted.model, reference)
        let vsPEFT = Self.maxDifference(withAdapter, try reference.tensor(named: "peft_logits"))
        print("MiniLM adapter logits vs PEFT: max abs difference \(vsPEFT)")
        #expect(vsPEFT <= 1e-3)

        let folder = try Self.temporaryFolder("minilm")
        defer { try? FileManager.default.removeItem(at: folder) }
        try MergedModelExport.write(adapted, to: folder)
        let (merged, _) = try Self.logits(adapted.model, reference)
        #expect(Self.maxDifference(merged, withAdapter) <= 1e-4)
        let reloaded = try AdaptedModel(model: folder, adapter: nil)
        #expect(reloaded.labels == ["entailment", "not_entailment"])
        let (fromDisk, _) = try Self.logits(reloaded.model, reference)
        let vsDisk = Self.maxDifference(fromDisk, withAdapter)
        print("MiniLM merged folder reloaded vs adapter: max abs difference \(vsDisk)")
        #expect(vsDisk <= 1e-4)
        for name in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["BertForSequenceClassification"])
        #expect((config?["num_labels"] as? NSNumber)?.intValue == 2)
    }

    @Test func peftExportReexpressesTheAdapterAsLoRA() throws {
        let base = try TestPaths.require(TestPaths.miniLM)
        let adapted = try AdaptedModel(model: base, adapter: Self.directory.appendingPathComponent("minilm-adapter"))
        let folder = try Self.temporaryFolder("peft")
        defer { try? FileManager.default.removeItem(at: folder) }
        try PEFTAdapterExport.write(adapted, to: folder)
        let tensors = try SafeTensorsFile(url: folder.appendingPathComponent("adapter_model.safetensors"))
        let entry = try #require(adapted.adapters?.entries.first)
        let xs = try #require(entry.adapter as? LoRAXSAdapter)
        let key = "base_model.model.\(entry.target.modulePath)"
        // lora_B · lora_A == B · R · A (PEFT's scale is 1 with lora_alpha = r).
        let peftDelta = Gemm.product(try tensors.tensor(named: key + ".lora_B.weight"), try tensors.tensor(named: key + ".lora_A.weight"))
        let ours = Gemm.product(xs.b.value, Gemm.product(xs.r.value, xs.a.value))
        #expect(Self.maxDifference(peftDelta, ours) <= 1e-6)
        #expect(tensors.contains("base_model.model.classifier.weight"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any]
        #expect(config?["task_type"] as? String == "SEQ_CLS")
        #expect(config?["modules_to_save"] as? [String] == ["classifier"])
        #expect((config?["lora_alpha"] as? NSNumber)?.doubleValue == 4)
    }
}
