/// Which tokenizer algorithm a checkpoint ships with, from tokenizer.json's `model.type` or
/// GGUF's `tokenizer.ggml.model`. The Tokenizers module picks its implementation from this.
public enum TokenizerKind: Sendable, Equatable, CustomStringConvertible {
    /// Byte-pair encoding with merges (tokenizer.json "BPE"; GGUF "gpt2", byte-level).
    case bytePairEncoding
    /// SentencePiece-style BPE over scores (GGUF "llama").
    case sentencePiece
    /// WordPiece (tokenizer.json "WordPiece"; GGUF "bert").
    case wordPiece
    /// Unigram language model (tokenizer.json "Unigram"; GGUF "t5").
    case unigram
    /// Whole-word lookup (tokenizer.json "WordLevel").
    case wordLevel
    /// Any other name, kept as written.
    case other(String)

    /// From tokenizer.json's `model.type`.
    public init(tokenizerJSONType name: String) {
        switch name {
        case "BPE": self = .bytePairEncoding
        case "WordPiece": self = .wordPiece
        case "Unigram": self = .unigram
        case "WordLevel": self = .wordLevel
        default: self = .other(name)
        }
    }

    /// From GGUF's `tokenizer.ggml.model`.
    public init(ggmlModel name: String) {
        switch name {
        case "gpt2": self = .bytePairEncoding
        case "llama": self = .sentencePiece
        case "bert": self = .wordPiece
        case "t5": self = .unigram
        default: self = .other(name)
        }
    }

    public var description: String {
        switch self {
        case .bytePairEncoding: return "BPE"
        case .sentencePiece: return "SentencePiece"
        case .wordPiece: return "WordPiece"
        case .unigram: return "Unigram"
        case .wordLevel: return "WordLevel"
        case .other(let name): return name
        }
    }
}
