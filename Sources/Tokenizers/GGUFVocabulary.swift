/// The tokenizer metadata of a GGUF file (`tokenizer.ggml.*`), as plain values, so that the
/// tokenizer does not depend on how the file is read.
public struct GGUFVocabulary: Sendable {
    /// `tokenizer.ggml.model`: only `gpt2` (byte-level BPE) is supported.
    public var model: String
    /// `tokenizer.ggml.pre`: the name of the pre-tokenizer (`smollm`, `llama-bpe`, `qwen2`, …).
    public var pre: String?
    public var tokens: [String]
    /// Merges as `"a b"` strings, in rank order.
    public var merges: [String]
    /// llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int]
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var unknownTokenId: Int?
    public var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`: whether encoding with special tokens starts with BOS.
    public var addBOS: Bool
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?

    public init(model: String, pre: String?, tokens: [String], merges: [String], tokenTypes: [Int],
                bosTokenId: Int? = nil, eosTokenId: Int? = nil, unknownTokenId: Int? = nil,
                paddingTokenId: Int? = nil, addBOS: Bool = false, chatTemplate: String? = nil) {
        self.model = model; self.pre = pre; self.tokens = tokens; self.merges = merges
        self.tokenTypes = tokenTypes; self.bosTokenId = bosTokenId; self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId; self.paddingTokenId = paddingTokenId
        self.addBOS = addBOS; self.chatTemplate = chatTemplate
    }

    /// The pre-tokenizer a `tokenizer.ggml.pre` name stands for: the same table as llama.cpp's
    /// (`llama-vocab.cpp`), restricted to the patterns implemented here.
    public static func preTokenizer(named name: String?) -> PreTokenizer? {
        let gpt2 = PreTokenizer.byteLevel(addPrefixSpace: false, useRegex: true)
        let raw = PreTokenizer.byteLevel(addPrefixSpace: false, useRegex: false)
        switch name ?? "default" {
        case "default", "gpt2", "gpt-2", "olmo", "jais", "trillion":
            return gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return .sequence([.digits(individual: true), gpt2])
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe":
            return .sequence([.split(.llama3), raw])
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez":
            return .sequence([.split(.qwen2), raw])
        default:
            return nil
        }
    }

    /// The normalizer of the model's own `tokenizer.json`, which a GGUF file does not record:
    /// Qwen2's normalizes to NFC (so `e` + U+0301 encodes as `é`). Transformers' GGUF converter
    /// and llama.cpp leave it out; we follow the tokenizer the model was trained with.
    public static func normalizer(named name: String?) -> Normalizer? {
        name == "qwen2" ? .unicode(.nfc) : nil
    }
}

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes. Control tokens (type 3) become special added
    /// tokens and user-defined ones (type 4) plain added tokens, as Transformers' GGUF converter
    /// does; the pre-tokenizer comes from the `pre` name.
    public static func fromGGUFVocabulary(_ v: GGUFVocabulary, source: String = "GGUF vocabulary") throws -> Tokenizer {
        guard v.model == "gpt2" else {
            throw TokenizerError.unsupported(source: source, component: "tokenizer.ggml.model = \(v.model) (only gpt2 byte-level BPE)")
        }
        guard let pre = GGUFVocabulary.preTokenizer(named: v.pre) else {
            throw TokenizerError.unsupported(source: source, component: "tokenizer.ggml.pre = \(v.pre ?? "")")
        }
        guard v.tokenTypes.isEmpty || v.tokenTypes.count == v.tokens.count else {
            throw TokenizerError.malformed(source: source, reason: "\(v.tokens.count) tokens but \(v.tokenTypes.count) token types")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(v.tokens.count)
        for (i, t) in v.tokens.enumerated() where vocab[t] == nil { vocab[t] = i }
        for (name, id) in [("bos", v.bosTokenId), ("eos", v.eosTokenId), ("unknown", v.unknownTokenId), ("padding", v.paddingTokenId)] {
            if let id, !(0..<v.tokens.count).contains(id) {
                throw TokenizerError.malformed(source: source, reason: "\(name) token id \(id) is outside the vocabulary of \(v.tokens.count)")
            }
        }
        var added: [AddedToken] = []
        for (i, type) in v.tokenTypes.enumerated() where type == 3 || type == 4 {
            if !v.tokens[i].isEmpty { added.append(AddedToken(content: v.tokens[i], id: i, special: type == 3)) }
        }
        let merges = try v.merges.enumerated().map { try splitMerge($1, index: $0, source: source) }
        let bpe = try BytePairEncoder(vocabulary: vocab, merges: merges, byteLevel: true, source: source)
        var post = PostProcessor.identity
        if v.addBOS, let bos = v.bosTokenId {
            post = PostProcessor(single: [.special(ids: [bos], typeId: 0), .sequence(index: 0, typeId: 0)],
                                 pair: [.special(ids: [bos], typeId: 0), .sequence(index: 0, typeId: 0),
                                        .special(ids: [bos], typeId: 1), .sequence(index: 1, typeId: 1)])
        }
        return Tokenizer(model: .bpe(bpe), normalizer: GGUFVocabulary.normalizer(named: v.pre), preTokenizer: pre, postProcessor: post,
                         decoder: .byteLevel, addedTokens: added, bosTokenId: v.bosTokenId,
                         eosTokenId: v.eosTokenId, padTokenId: v.paddingTokenId, chatTemplate: v.chatTemplate)
    }
}
