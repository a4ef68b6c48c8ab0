import Foundation

/// Reading Hugging Face's `tokenizer.json` format.
extension Tokenizer {
    /// Loads `tokenizer.json` from a file, or from the `tokenizer.json` inside a model folder.
    /// A `tokenizer_config.json` next to it supplies the chat template and bos/eos/pad tokens.
    public static func load(tokenizerJSON url: URL) throws -> Tokenizer {
        var file = url
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            file = url.appendingPathComponent("tokenizer.json")
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw TokenizerError.unreadable(path: file.path, reason: error.localizedDescription)
        }
        var config: [String: Any] = [:]
        let configURL = file.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        if let d = try? Data(contentsOf: configURL),
           let c = try? JSONSerialization.jsonObject(with: d) as? [String: Any] {
            config = c
        }
        return try Tokenizer(tokenizerJSON: data, config: config, source: file.path)
    }

    /// Builds a tokenizer from the bytes of a `tokenizer.json` (`source` names it in errors) and
    /// the optional contents of `tokenizer_config.json`.
    public convenience init(tokenizerJSON data: Data, config: [String: Any] = [:], source: String) throws {
        let root: [String: Any]
        do {
            guard let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.malformed(source: source, reason: "top level is not a JSON object")
            }
            root = r
        } catch let e as TokenizerError { throw e } catch {
            throw TokenizerError.malformed(source: source, reason: "invalid JSON (\(error.localizedDescription))")
        }
        let p = JSONComponentParser(source: source)
        let added = try p.addedTokens(root["added_tokens"])
        let pre = try p.preTokenizer(root["pre_tokenizer"])
        let model = try p.model(root["model"], byteLevel: pre?.isByteLevel ?? false)
        var vocab = model.vocabulary
        for t in added { vocab[t.content] = t.id }
        func configToken(_ key: String) -> Int? {
            if let s = config[key] as? String { return vocab[s] }
            if let d = config[key] as? [String: Any], let s = d["content"] as? String { return vocab[s] }
            return nil
        }
        self.init(model: model,
                  normalizer: try p.normalizer(root["normalizer"]),
                  preTokenizer: pre,
                  postProcessor: try p.postProcessor(root["post_processor"], vocabulary: vocab) ?? .identity,
                  decoder: try p.decoder(root["decoder"]),
                  addedTokens: added,
                  bosTokenId: configToken("bos_token"),
                  eosTokenId: configToken("eos_token"),
                  padTokenId: configToken("pad_token"),
                  chatTemplate: config["chat_template"] as? String)
    }
}

/// Decodes the components of a `tokenizer.json`, naming the file and the component in errors.
struct JSONComponentParser {
    let source: String

    private func malformed(_ reason: String) -> TokenizerError { .malformed(source: source, reason: reason) }
    private func unsupported(_ what: String) -> TokenizerError { .unsupported(source: source, component: what) }

    private func object(_ v: Any?, _ what: String) throws -> [String: Any]? {
        if v == nil || v is NSNull { return nil }
        guard let o = v as? [String: Any] else { throw malformed("\(what) is not an object") }
        return o
    }

    private func type(_ o: [String: Any], _ what: String) throws -> String {
        guard let t = o["type"] as? String else { throw malformed("\(what) has no type") }
        return t
    }

    private func int(_ v: Any?, _ what: String) throws -> Int {
        guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) else { throw malformed("\(what) is not an integer") }
        return i
    }

    func addedTokens(_ v: Any?) throws -> [AddedToken] {
        if v == nil || v is NSNull { return [] }
        guard let list = v as? [[String: Any]] else { throw malformed("added_tokens is not a list of objects") }
        return try list.map { o in
            guard let content = o["content"] as? String, !content.isEmpty else { throw malformed("an added token has no content") }
            let id = try int(o["id"], "added token '\(content)' id")
            guard id >= 0 else { throw malformed("added token '\(content)' has a negative id") }
            return AddedToken(content: content, id: id, special: o["special"] as? Bool ?? false,
                              lstrip: o["lstrip"] as? Bool ?? false, rstrip: o["rstrip"] as? Bool ?? false)
        }
    }

    func normalizer(_ v: Any?) throws -> Normalizer? {
        guard let o = try object(v, "normalizer") else { return nil }
        switch try type(o, "normalizer") {
        case "BertNormalizer":
            let lower = o["lowercase"] as? Bool ?? true
            return .bert(cleanText: o["clean_text"] as? Bool ?? true,
                         handleChineseChars: o["handle_chinese_chars"] as? Bool ?? true,
                         stripAccents: o["strip_accents"] as? Bool ?? lower, lowercase: lower)
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Prepend":
            guard let s = o["prepend"] as? String else { throw malformed("Prepend normalizer has no text") }
            return .prepend(s)
        case "Replace":
            guard let pattern = (o["pattern"] as? [String: Any])?["String"] as? String,
                  let content = o["content"] as? String else { throw unsupported("Replace normalizer with a regex pattern") }
            return .replace(pattern: pattern, content: content)
        case "Sequence":
            guard let list = o["normalizers"] as? [Any] else { throw malformed("Sequence normalizer has no list") }
            return .sequence(try list.compactMap { try normalizer($0) })
        case let other: throw unsupported("normalizer \(other)")
        }
    }

    func preTokenizer(_ v: Any?) throws -> PreTokenizer? {
        guard let o = try object(v, "pre_tokenizer") else { return nil }
        switch try type(o, "pre_tokenizer") {
        case "BertPreTokenizer": return .bert
        case "WhitespaceSplit": return .whitespaceSplit
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: o["add_prefix_space"] as? Bool ?? true, useRegex: o["use_regex"] as? Bool ?? true)
        case "Digits":
            return .digits(individual: o["individual_digits"] as? Bool ?? false)
        case "Split":
            guard let pat = o["pattern"] as? [String: Any] else { throw malformed("Split pre-tokenizer has no pattern") }
            let behavior = o["behavior"] as? String ?? "Isolated"
            guard behavior == "Isolated", (o["invert"] as? Bool ?? false) == false else {
                throw unsupported("Split pre-tokenizer with behaviour \(behavior)")
            }
            guard let regex = pat["Regex"] as? String ?? pat["String"] as? String,
                  let known = SplitPattern(regex: regex) else {
                throw unsupported("Split pre-tokenizer pattern \(pat) (known: GPT-2, Llama 3, Qwen 2, \\p{N})")
            }
            return .split(known)
        case "Sequence":
            guard let list = o["pretokenizers"] as? [Any] else { throw malformed("Sequence pre-tokenizer has no list") }
            return .sequence(try list.compactMap { try preTokenizer($0) })
        case let other: throw unsupported("pre-tokenizer \(other)")
        }
    }

    func model(_ v: Any?, byteLevel: Bool) throws -> TokenizerModel {
        guard let o = try object(v, "model") else { throw malformed("no model") }
        let kind = o["type"] as? String ?? (o["merges"] != nil ? "BPE" : "WordPiece")
        guard let rawVocab = o["vocab"] as? [String: Any] else { throw malformed("model has no vocab object") }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(rawVocab.count)
        for (k, v) in rawVocab { vocab[k] = try int(v, "vocab entry '\(k)'") }
        switch kind {
        case "BPE":
            if let p = o["continuing_subword_prefix"] as? String, !p.isEmpty { throw unsupported("BPE continuing_subword_prefix") }
            if let s = o["end_of_word_suffix"] as? String, !s.isEmpty { throw unsupported("BPE end_of_word_suffix") }
            guard let rawMerges = o["merges"] as? [Any] else { throw malformed("BPE model has no merges") }
            return .bpe(try BytePairEncoder(
                vocabulary: vocab, merges: try mergePairs(rawMerges, source: source), byteLevel: byteLevel,
                ignoreMerges: o["ignore_merges"] as? Bool ?? false, byteFallback: o["byte_fallback"] as? Bool ?? false,
                unknownToken: o["unk_token"] as? String, source: source))
        case "WordPiece":
            return .wordPiece(try WordPieceEncoder(
                vocabulary: vocab, unknownToken: o["unk_token"] as? String ?? "[UNK]",
                continuingPrefix: o["continuing_subword_prefix"] as? String ?? "##",
                maxInputCharsPerWord: (o["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100, source: source))
        default:
            throw unsupported("model \(kind)")
        }
    }

    func postProcessor(_ v: Any?, vocabulary: [String: Int]) throws -> PostProcessor? {
        guard let o = try object(v, "post_processor") else { return nil }
        func tokenId(_ pair: Any?, _ what: String) throws -> [Int] {
            guard let p = pair as? [Any], p.count == 2 else { throw malformed("\(what) is not a [token, id] pair") }
            return [try int(p[1], what)]
        }
        switch try type(o, "post_processor") {
        case "ByteLevel": return nil
        case "BertProcessing":
            let cls = try tokenId(o["cls"], "cls"), sep = try tokenId(o["sep"], "sep")
            return PostProcessor(
                single: [.special(ids: cls, typeId: 0), .sequence(index: 0, typeId: 0), .special(ids: sep, typeId: 0)],
                pair: [.special(ids: cls, typeId: 0), .sequence(index: 0, typeId: 0), .special(ids: sep, typeId: 0),
                       .sequence(index: 1, typeId: 1), .special(ids: sep, typeId: 1)])
        case "RobertaProcessing":
            let cls = try tokenId(o["cls"], "cls"), sep = try tokenId(o["sep"], "sep")
            return PostProcessor(
                single: [.special(ids: cls, typeId: 0), .sequence(index: 0, typeId: 0), .special(ids: sep, typeId: 0)],
                pair: [.special(ids: cls, typeId: 0), .sequence(index: 0, typeId: 0), .special(ids: sep, typeId: 0),
                       .special(ids: sep, typeId: 0), .sequence(index: 1, typeId: 0), .special(ids: sep, typeId: 0)])
        case "TemplateProcessing":
            var specials: [String: [Int]] = [:]
            if let s = o["special_tokens"] as? [String: Any] {
                for (name, value) in s {
                    guard let d = value as? [String: Any], let ids = d["ids"] as? [Any] else {
                        throw malformed("special token \(name) of the template has no ids")
                    }
                    specials[name] = try ids.map { try int($0, "special token \(name) id") }
                }
            }
            func pieces(_ v: Any?, _ what: String) throws -> [PostProcessor.Piece] {
                guard let list = v as? [[String: Any]] else { throw malformed("template \(what) is not a list") }
                return try list.map { item in
                    if let s = item["SpecialToken"] as? [String: Any], let name = s["id"] as? String {
                        guard let ids = specials[name] ?? vocabulary[name].map({ [$0] }) else {
                            throw malformed("template token \(name) is unknown")
                        }
                        return .special(ids: ids, typeId: (s["type_id"] as? NSNumber)?.intValue ?? 0)
                    }
                    if let s = item["Sequence"] as? [String: Any], let name = s["id"] as? String {
                        return .sequence(index: name == "B" ? 1 : 0, typeId: (s["type_id"] as? NSNumber)?.intValue ?? 0)
                    }
                    throw malformed("template \(what) has an item that is neither a SpecialToken nor a Sequence")
                }
            }
            return PostProcessor(single: try pieces(o["single"], "single"), pair: try pieces(o["pair"], "pair"))
        case "Sequence":
            guard let list = o["processors"] as? [Any] else { throw malformed("Sequence post-processor has no list") }
            let parts = try list.compactMap { try postProcessor($0, vocabulary: vocabulary) }
            guard parts.count <= 1 else { throw unsupported("more than one token-adding post-processor in a Sequence") }
            return parts.first
        case let other: throw unsupported("post-processor \(other)")
        }
    }

    func decoder(_ v: Any?) throws -> TokenDecoder? {
        guard let o = try object(v, "decoder") else { return nil }
        switch try type(o, "decoder") {
        case "ByteLevel": return .byteLevel
        case "WordPiece": return .wordPiece(prefix: o["prefix"] as? String ?? "##", cleanup: o["cleanup"] as? Bool ?? true)
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Replace":
            guard let pattern = (o["pattern"] as? [String: Any])?["String"] as? String,
                  let content = o["content"] as? String else { throw unsupported("Replace decoder with a regex pattern") }
            return .replace(pattern: pattern, content: content)
        case "Strip":
            guard let c = (o["content"] as? String)?.unicodeScalars.first else { throw malformed("Strip decoder has no content") }
            return .strip(content: c, start: (o["start"] as? NSNumber)?.intValue ?? 0, stop: (o["stop"] as? NSNumber)?.intValue ?? 0)
        case "Sequence":
            guard let list = o["decoders"] as? [Any] else { throw malformed("Sequence decoder has no list") }
            return .sequence(try list.compactMap { try decoder($0) })
        case let other: throw unsupported("decoder \(other)")
        }
    }
}

/// Merges as `"a b"` strings (split at the first space after the first character, as merges
/// may start with a space-like byte character) or as `["a", "b"]` pairs.
func mergePairs(_ raw: [Any], source: String) throws -> [(String, String)] {
    var out: [(String, String)] = []
    out.reserveCapacity(raw.count)
    for (i, m) in raw.enumerated() {
        if let s = m as? String {
            out.append(try splitMerge(s, index: i, source: source))
        } else if let p = m as? [Any], p.count == 2, let a = p[0] as? String, let b = p[1] as? String {
            out.append((a, b))
        } else {
            throw TokenizerError.malformed(source: source, reason: "merge #\(i) is neither \"a b\" nor [\"a\", \"b\"]")
        }
    }
    return out
}

func splitMerge(_ s: String, index: Int, source: String) throws -> (String, String) {
    let scalars = Array(s.unicodeScalars)
    guard scalars.count >= 3, let space = scalars.dropFirst().firstIndex(of: " "), space + 1 < scalars.count else {
        throw TokenizerError.malformed(source: source, reason: "merge #\(index) '\(s)' is not two tokens separated by a space")
    }
    return (String(scalars: scalars[..<space]), String(scalars: scalars[(space + 1)...]))
}
