import Adapters
import Foundation
import ModelIO
import Models
import NN
import Tensor
import Tokenizers

/// Writes a complete Hugging Face model folder with the adapter folded into the weights
/// (`W + s·B R A`), which Transformers' `from_pretrained` loads without PEFT:
///
/// - `model.safetensors`: every parameter in fp32 under its Transformers name (`lm_head` left
///   out when tied to the embedding; a classifier's trained head as `classifier.*`);
/// - `config.json`: copied from a Hugging Face base (classifiers gain `architectures`,
///   `id2label`, `label2id`, `num_labels`); synthesised for a GGUF base;
/// - tokenizer files: copied from a Hugging Face base; for a GGUF base a `tokenizer.json` and
///   `tokenizer_config.json` built from its vocabulary (`HuggingFaceTokenizerFiles`).
///
/// A GGUF base's quantised weights are dequantised, so the merged model is fp32.
public enum MergedModelExport {
    /// Tokenizer and generation files copied from a Hugging Face base when present.
    public static let copiedFiles = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
        "vocab.json", "merges.txt", "tokenizer.model", "generation_config.json",
    ]

    /// Merges the adapter of `adapted` into its model (the model is changed: the adapter is
    /// folded in and detached) and writes the folder. Returns the files written.
    @discardableResult
    public static func write(_ adapted: AdaptedModel, to folder: URL) throws -> [URL] {
        let model = adapted.model
        try createFolder(folder)
        adapted.adapters?.mergeIntoBase()
        var written: [URL] = []

        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        var seen = Set<ObjectIdentifier>()
        for (name, p) in model.network.namedParameters where seen.insert(ObjectIdentifier(p)).inserted {
            writer.add(name, p.value)
        }
        let weights = folder.appendingPathComponent("model.safetensors")
        try writer.write(to: weights)
        written.append(weights)

        var config = try baseConfig(model)
        config["torch_dtype"] = "float32"
        if let classifier = model.classifier {
            let labels = adapted.labels ?? (0..<classifier.labelCount).map { "LABEL_\($0)" }
            guard labels.count == classifier.labelCount else {
                throw AdapterError.mismatch(path: model.url.path, problem: "\(labels.count) label names for a head of \(classifier.labelCount) outputs")
            }
            let type = model.files.config.modelType
            config["architectures"] = [type == "roberta" ? "RobertaForSequenceClassification" : "BertForSequenceClassification"]
            config["id2label"] = Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0), $1) })
            config["label2id"] = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            config["num_labels"] = labels.count
            config["problem_type"] = labels.count == 1 ? "regression" : "single_label_classification"
        }
        let configURL = folder.appendingPathComponent("config.json")
        try AtomicFile.writeJSONObject(config, to: configURL)
        written.append(configURL)

        if let gguf = model.files.gguf {
            written += try HuggingFaceTokenizerFiles.write(GGUFVocabulary(gguf: gguf),
                                                           maxLength: model.files.config.maxPositions, to: folder)
            let generation: [String: Any] = [
                "bos_token_id": model.files.config.bosTokenId.map { $0 as Any } ?? NSNull(),
                "eos_token_id": model.files.config.eosTokenIds.first.map { $0 as Any } ?? NSNull(),
            ]
            let url = folder.appendingPathComponent("generation_config.json")
            try AtomicFile.writeJSONObject(generation, to: url)
            written.append(url)
        } else {
            for name in copiedFiles {
                let source = model.url.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: source.path) else { continue }
                guard let data = FileManager.default.contents(atPath: source.path) else {
                    throw ModelIOError(source, "cannot read")
                }
                let url = folder.appendingPathComponent(name)
                try AtomicFile.write(data, to: url)
                written.append(url)
            }
        }
        return written
    }

    /// `config.json` of a Hugging Face base as a dictionary, or one synthesised from GGUF.
    static func baseConfig(_ model: LoadedModel) throws -> [String: Any] {
        if let url = model.files.configFile {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
            } catch {
                throw ModelIOError(url, "cannot read JSON: \(error.localizedDescription)")
            }
            guard var dict = object as? [String: Any] else { throw ModelIOError(url, "not a JSON object") }
            dict.removeValue(forKey: "_name_or_path")
            return dict
        }
        return try decoderConfig(model.files.config, source: model.url.path)
    }

    /// A Transformers config for a Llama-family decoder read from GGUF.
    public static func decoderConfig(_ c: ModelConfig, source: String) throws -> [String: Any] {
        guard c.family == .llama else {
            throw ModelIOError(source, "a merged export of a GGUF \(c.modelType) model is not supported")
        }
        let (type, architecture): (String, String)
        switch c.modelType {
        case "qwen2": (type, architecture) = ("qwen2", "Qwen2ForCausalLM")
        case "mistral": (type, architecture) = ("mistral", "MistralForCausalLM")
        default: (type, architecture) = ("llama", "LlamaForCausalLM")
        }
        var config: [String: Any] = [
            "architectures": [architecture],
            "model_type": type,
            "hidden_size": c.hiddenSize,
            "intermediate_size": c.intermediateSize,
            "num_hidden_layers": c.layerCount,
            "num_attention_heads": c.headCount,
            "num_key_value_heads": c.kvHeadCount,
            "head_dim": c.headDimension,
            "hidden_act": c.hiddenActivation,
            "rms_norm_eps": c.normEpsilon,
            "rope_theta": c.ropeTheta,
            "max_position_embeddings": c.maxPositions,
            "vocab_size": c.vocabularySize,
            "tie_word_embeddings": c.tieWordEmbeddings,
            "attention_bias": c.attentionBias,
            "mlp_bias": c.mlpBias,
            "attention_dropout": 0.0,
            "initializer_range": 0.02,
            "use_cache": true,
            "torch_dtype": "float32",
            "bos_token_id": c.bosTokenId.map { $0 as Any } ?? NSNull(),
            "eos_token_id": c.eosTokenIds.first.map { $0 as Any } ?? NSNull(),
            "pad_token_id": c.padTokenId.map { $0 as Any } ?? NSNull(),
        ]
        if let s = c.ropeScaling {
            var scaling: [String: Any] = ["rope_type": s.type, "type": s.type, "factor": s.factor]
            if let v = s.lowFrequencyFactor { scaling["low_freq_factor"] = v }
            if let v = s.highFrequencyFactor { scaling["high_freq_factor"] = v }
            if let v = s.originalMaxPositions { scaling["original_max_position_embeddings"] = v }
            config["rope_scaling"] = scaling
        } else {
            config["rope_scaling"] = NSNull()
        }
        return config
    }

    static func createFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelIOError(folder, "cannot create the folder: \(error.localizedDescription)")
        }
    }
}

/// Writes a lorasb adapter in PEFT's LoRA format for the model it was loaded onto.
public enum PEFTAdapterExport {
    /// `base_model_name_or_path`: the base folder, or the GGUF file (Transformers loads it with
    /// `from_pretrained(folder, gguf_file=name)`).
    @discardableResult
    public static func write(_ adapted: AdaptedModel, to folder: URL) throws -> [URL] {
        guard let adapters = adapted.adapters else {
            throw AdapterError.invalidSetting("a PEFT export needs an adapter")
        }
        guard adapters.settings.method != .full else {
            throw AdapterError.invalidSetting("a full fine-tuning run has no low-rank factors to export in PEFT format: merge it into the model instead")
        }
        try PEFTExport.write(adapters, taskType: adapted.model.task.peftTaskType,
                             baseModel: adapted.model.url.standardizedFileURL.path, to: folder)
        return [folder.appendingPathComponent(PEFTExport.tensorsName),
                folder.appendingPathComponent(PEFTExport.configName)]
    }
}
