/// The model half of a tokenizer: how one pre-tokenized word becomes ids.
public enum TokenizerModel: Sendable {
    case bpe(BytePairEncoder)
    case wordPiece(WordPieceEncoder)

    /// Id → token text, for decoding and display.
    public var tokens: [String] {
        switch self {
        case let .bpe(m): return m.tokens
        case let .wordPiece(m): return m.tokens
        }
    }

    public var vocabulary: [String: Int] {
        switch self {
        case let .bpe(m): return m.vocabulary
        case let .wordPiece(m): return m.vocabulary
        }
    }
}

/// A complete tokenizer: added tokens, normalizer, pre-tokenizer, model, post-processor and
/// decoder, applied in that order as in Hugging Face `tokenizers`, so that ids match
/// Transformers' exactly. Immutable and safe to share between threads.
///
/// Build one with `Tokenizer.load(tokenizerJSON:)`, `Tokenizer(tokenizerJSON:source:)` or
/// `Tokenizer.fromGGUFVocabulary(_:)`.
public final class Tokenizer: Sendable {
    public let model: TokenizerModel
    public let normalizer: Normalizer?
    public let preTokenizer: PreTokenizer?
    public let postProcessor: PostProcessor
    public let decoder: TokenDecoder?
    public let addedTokens: [AddedToken]
    /// Special token ids the model uses, when the file names them.
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    public let padTokenId: Int?
    /// The model's own chat template (Jinja source), if the file carries one.
    public let chatTemplate: String?

    private let matcher: AddedTokenMatcher
    private let addedById: [Int: AddedToken]
    private let byteLevelWords: Bool

    public init(model: TokenizerModel, normalizer: Normalizer?, preTokenizer: PreTokenizer?,
                postProcessor: PostProcessor = .identity, decoder: TokenDecoder?,
                addedTokens: [AddedToken], bosTokenId: Int? = nil, eosTokenId: Int? = nil,
                padTokenId: Int? = nil, chatTemplate: String? = nil) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.chatTemplate = chatTemplate
        self.matcher = AddedTokenMatcher(addedTokens)
        var byId: [Int: AddedToken] = [:]
        for t in addedTokens { byId[t.id] = t }
        self.addedById = byId
        self.byteLevelWords = preTokenizer?.isByteLevel ?? false
    }

    /// Size of the id space (the largest id + 1).
    public var vocabularySize: Int {
        max(model.tokens.count, (addedTokens.map(\.id).max() ?? -1) + 1)
    }

    /// The text of a token id, or nil if the id is out of range.
    public func token(for id: Int) -> String? {
        if let a = addedById[id] { return a.content }
        let t = model.tokens
        return id >= 0 && id < t.count ? t[id] : nil
    }

    /// The id of a token text (added tokens included).
    public func id(for token: String) -> Int? {
        addedTokens.first { $0.content == token }?.id ?? model.vocabulary[token]
    }

    /// Whether an id is one of the special added tokens.
    public func isSpecial(_ id: Int) -> Bool { addedById[id]?.special ?? false }

    // MARK: Encoding

    /// The ids of `text` without special tokens added by the post-processor.
    public func encodeIds(_ text: String) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var state = EncodeScratch()
        for seg in matcher.segments(scalars) {
            switch seg {
            case let .token(id): ids.append(id)
            case let .text(r): encodeSegment(scalars[r], into: &ids, state: &state)
            }
        }
        return ids
    }

    /// Encodes one text, or a pair, as Transformers' `tokenizer(text, pair)` does; then truncates
    /// and pads when asked (the `truncation` and `padding` sections of a `tokenizer.json` are not
    /// applied implicitly, as in Transformers).
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true,
                       truncation: TruncationOptions? = nil, padding: PaddingOptions? = nil) -> Encoding {
        var a = encodeIds(text)
        var b = pair.map(encodeIds)
        let processor = addSpecialTokens ? postProcessor : .identity
        if let t = truncation {
            t.truncate(&a, &b, limit: t.maxLength - processor.addedCount(pair: b != nil))
        }
        let (ids, types, special) = processor.apply(a, b)
        var e = Encoding(ids: ids, typeIds: types, attentionMask: Array(repeating: 1, count: ids.count),
                         specialTokensMask: special)
        padding?.pad(&e)
        return e
    }

    /// Encodes raw bytes; invalid UTF-8 sequences become U+FFFD first (as Python's
    /// `errors="replace"` decoding does), so no input can make encoding fail.
    public func encode(bytes: [UInt8], addSpecialTokens: Bool = true) -> Encoding {
        encode(String(decoding: bytes, as: UTF8.self), addSpecialTokens: addSpecialTokens)
    }

    struct EncodeScratch {
        var bytes: [UInt8] = []
        var classes: [ScalarClass] = []
    }

    private func encodeSegment(_ text: ArraySlice<Unicode.Scalar>, into ids: inout [Int], state: inout EncodeScratch) {
        var buffer = normalizer?.normalize(Array(text)) ?? Array(text)
        if buffer.isEmpty { return }
        var pieces = [0..<buffer.count]
        if let pre = preTokenizer { pieces = pre.split(&buffer, pieces, scratch: &state.classes) }
        switch model {
        case let .bpe(m):
            for r in pieces where !r.isEmpty { m.encode(buffer[r], into: &ids, scratch: &state.bytes) }
        case let .wordPiece(m):
            for r in pieces where !r.isEmpty { m.encode(buffer[r], into: &ids) }
        }
    }

    // MARK: Decoding

    /// The text of `ids`, as Hugging Face `tokenizers`' `decode` gives it: byte-level tokens are
    /// reassembled into UTF-8, WordPiece pieces joined. Unknown ids are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && isSpecial(id) { continue }
            if let t = token(for: id) { tokens.append(t) }
        }
        guard let d = decoder else { return tokens.joined(separator: " ") }
        return d.decodeChain(tokens).joined()
    }
}
