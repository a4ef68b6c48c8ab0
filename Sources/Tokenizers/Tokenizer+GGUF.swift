import Foundation
import ModelIO

extension GGUFVocabulary {
    /// Reads the `tokenizer.*` metadata of a GGUF file.
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        let source = gguf.url.path
        func required<T>(_ key: String, _ value: T?) throws -> T {
            guard let v = value else {
                throw TokenizerError.malformed(source: source, reason: "metadata \(key) is missing or has the wrong type")
            }
            return v
        }
        self.init(
            model: try required("tokenizer.ggml.model", m["tokenizer.ggml.model"]?.stringValue),
            pre: m["tokenizer.ggml.pre"]?.stringValue,
            tokens: try required("tokenizer.ggml.tokens", m["tokenizer.ggml.tokens"]?.stringArray),
            merges: m["tokenizer.ggml.merges"]?.stringArray ?? [],
            tokenTypes: try GGUFVocabulary.ints(m["tokenizer.ggml.token_type"], "tokenizer.ggml.token_type", source),
            bosTokenId: m["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenId: m["tokenizer.ggml.eos_token_id"]?.intValue,
            unknownTokenId: m["tokenizer.ggml.unknown_token_id"]?.intValue,
            paddingTokenId: m["tokenizer.ggml.padding_token_id"]?.intValue,
            addBOS: m["tokenizer.ggml.add_bos_token"]?.boolValue ?? false,
            chatTemplate: m["tokenizer.chat_template"]?.stringValue)
    }
}

extension GGUFVocabulary {
    /// An integer array of the metadata (empty when absent); any non-integer element is an error.
    static func ints(_ v: GGUFValue?, _ key: String, _ source: String) throws -> [Int] {
        guard let v else { return [] }
        guard let ints = v.intArray else {
            throw TokenizerError.malformed(source: source, reason: "metadata \(key) is not an array of integers")
        }
        return ints
    }
}

extension Tokenizer {
    /// The tokenizer described by a GGUF file's metadata.
    public static func load(gguf: GGUFFile) throws -> Tokenizer {
        try fromGGUFVocabulary(GGUFVocabulary(gguf: gguf), source: gguf.url.path)
    }

    /// Loads the tokenizer of a model: a `.gguf` file, a `tokenizer.json`, or a folder holding one.
    public static func load(model url: URL) throws -> Tokenizer {
        if url.pathExtension.lowercased() == "gguf" {
            return try load(gguf: GGUFFile(url: url))
        }
        return try load(tokenizerJSON: url)
    }
}
