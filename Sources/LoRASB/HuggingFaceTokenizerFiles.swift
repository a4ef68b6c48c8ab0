import Foundation
import ModelIO
import Tokenizers

/// Writes a GGUF vocabulary as Hugging Face tokenizer files (`tokenizer.json`,
/// `tokenizer_config.json`, `special_tokens_map.json`) that the `tokenizers` library loads and
/// that encode exactly as the GGUF vocabulary does here: a byte-level BPE model with the vocab
/// and merges in rank order, the pre-tokenizer `tokenizer.ggml.pre` names, byte-level decoder
/// and post-processor (a BOS template when `add_bos_token`), and control tokens (type 3) as
/// special added tokens, user-defined ones (type 4) as plain added tokens.
public enum HuggingFaceTokenizerFiles {
    /// The `pre_tokenizer` object for a `tokenizer.ggml.pre` name, or nil when not supported.
    public static func preTokenizer(named name: String?) -> [String: Any]? {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false,
                                        "trim_offsets": true, "use_regex": true]
        switch name ?? "default" {
        case "default", "gpt2", "gpt-2", "olmo", "jais", "trillion":
            return byteLevel
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true], byteLevel,
            ]]
        default:
            return nil
        }
    }

    /// The `tokenizer.json` object.
    public static func tokenizerJSON(_ v: GGUFVocabulary, source: String = "GGUF vocabulary") throws -> [String: Any] {
        guard v.model == "gpt2" else {
            throw TokenizerError.unsupported(source: source, component: "tokenizer.ggml.model = \(v.model) (only gpt2 byte-level BPE exports)")
        }
        guard let pre = preTokenizer(named: v.pre) else {
            throw TokenizerError.unsupported(source: source, component: "exporting tokenizer.ggml.pre = \(v.pre ?? "")")
        }
        guard v.tokenTypes.isEmpty || v.tokenTypes.count == v.tokens.count else {
            throw TokenizerError.malformed(source: source, reason: "\(v.tokens.count) tokens but \(v.tokenTypes.count) token types")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(v.tokens.count)
        for (i, t) in v.tokens.enumerated() where vocab[t] == nil { vocab[t] = i }
        var merges: [[String]] = []
        merges.reserveCapacity(v.merges.count)
        for (i, m) in v.merges.enumerated() {
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.malformed(source: source, reason: "merge \(i) '\(m)' is not two tokens separated by one space")
            }
            merges.append([String(parts[0]), String(parts[1])])
        }
        var added: [[String: Any]] = []
        for (i, type) in v.tokenTypes.enumerated() where (type == 3 || type == 4) && !v.tokens[i].isEmpty {
            added.append(["id": i, "content": v.tokens[i], "single_word": false, "lstrip": false,
                          "rstrip": false, "normalized": type == 4, "special": type == 3])
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": true,
                                        "trim_offsets": false, "use_regex": true]
        var post: Any = byteLevel
        if v.addBOS, let bos = v.bosTokenId, v.tokens.indices.contains(bos) {
            let name = v.tokens[bos]
            post = ["type": "Sequence", "processors": [
                byteLevel,
                ["type": "TemplateProcessing",
                 "single": [["SpecialToken": ["id": name, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                 "pair": [["SpecialToken": ["id": name, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                          ["SpecialToken": ["id": name, "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                 "special_tokens": [name: ["id": name, "ids": [bos], "tokens": [name]]]] as [String: Any],
            ]] as [String: Any]
        }
        return [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": pre,
            "post_processor": post,
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(),
                "continuing_subword_prefix": NSNull(), "end_of_word_suffix": NSNull(),
                "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": merges,
            ] as [String: Any],
        ]
    }

    /// `tokenizer_config.json`: special tokens, the chat template, the BOS setting.
    public static func tokenizerConfig(_ v: GGUFVocabulary, maxLength: Int) -> [String: Any] {
        func name(_ id: Int?) -> Any {
            guard let id, v.tokens.indices.contains(id) else { return NSNull() }
            return v.tokens[id]
        }
        var decoderTokens: [String: Any] = [:]
        for (i, type) in v.tokenTypes.enumerated() where (type == 3 || type == 4) && !v.tokens[i].isEmpty {
            decoderTokens[String(i)] = ["content": v.tokens[i], "lstrip": false, "rstrip": false,
                                        "normalized": type == 4, "single_word": false, "special": type == 3]
        }
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast",
            "add_bos_token": v.addBOS,
            "add_eos_token": false,
            "bos_token": name(v.bosTokenId),
            "eos_token": name(v.eosTokenId),
            "unk_token": name(v.unknownTokenId),
            "pad_token": name(v.paddingTokenId),
            "clean_up_tokenization_spaces": false,
            "model_max_length": maxLength,
            "added_tokens_decoder": decoderTokens,
        ]
        if let t = v.chatTemplate { config["chat_template"] = t }
        return config
    }

    /// Writes the three files into `folder`, each atomically; returns them.
    @discardableResult
    public static func write(_ v: GGUFVocabulary, maxLength: Int, to folder: URL) throws -> [URL] {
        let tokenizer = folder.appendingPathComponent("tokenizer.json")
        try AtomicFile.writeJSONObject(try tokenizerJSON(v), to: tokenizer)
        let config = folder.appendingPathComponent("tokenizer_config.json")
        let tokenizerConfig = tokenizerConfig(v, maxLength: maxLength)
        try AtomicFile.writeJSONObject(tokenizerConfig, to: config)
        let map = folder.appendingPathComponent("special_tokens_map.json")
        var special: [String: Any] = [:]
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
            if let s = tokenizerConfig[key] as? String { special[key] = s }
        }
        try AtomicFile.writeJSONObject(special, to: map)
        return [tokenizer, config, map]
    }
}
