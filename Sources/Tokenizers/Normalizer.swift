import Foundation

/// A text normalizer of `tokenizer.json`: rewrites the scalars of a segment before it is split.
/// Each case follows the Hugging Face `tokenizers` implementation of the same name.
public indirect enum Normalizer: Sendable {
    /// BERT's: drop controls and map whitespace to spaces, space out CJK ideographs, strip
    /// accents (NFD then drop nonspacing marks), lowercase.
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    case lowercase
    case stripAccents
    case unicode(UnicodeForm)
    case prepend(String)
    case replace(pattern: String, content: String)
    case sequence([Normalizer])

    public enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

    /// Applies the normalizer to `text`.
    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case let .bert(clean, chinese, strip, lower):
            var out: [Unicode.Scalar] = []
            out.reserveCapacity(text.count)
            for s in text {
                if clean {
                    let v = s.value
                    if v == 0 || v == 0xFFFD { continue }
                    if v == 0x09 || v == 0x0A || v == 0x0D { out.append(" "); continue }
                    if v >= 0x20 && v < 0x7F { out.append(s); continue }
                    if s.isOtherCategory { continue }
                    if s.isWhiteSpace { out.append(" "); continue }
                }
                if chinese && s.isCJKIdeograph {
                    out.append(" "); out.append(s); out.append(" ")
                } else {
                    out.append(s)
                }
            }
            if strip { out = Normalizer.stripAccents.normalize(out) }
            if lower { out = Normalizer.lowercase.normalize(out) }
            return out
        case .lowercase:
            var out: [Unicode.Scalar] = []
            out.reserveCapacity(text.count)
            for s in text {
                let v = s.value
                if v < 0x80 {
                    out.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 32)) : s)
                } else {
                    out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
                }
            }
            return out
        case .stripAccents:
            let decomposed = text.allSatisfy { $0.isASCII } ? text : Normalizer.unicode(.nfd).normalize(text)
            return decomposed.filter { $0.isASCII || $0.properties.generalCategory != .nonspacingMark }
        case let .unicode(form):
            if text.allSatisfy({ $0.isASCII }) { return text }
            let s = String(scalars: text)
            let r: String
            switch form {
            case .nfc: r = s.precomposedStringWithCanonicalMapping
            case .nfd: r = s.decomposedStringWithCanonicalMapping
            case .nfkc: r = s.precomposedStringWithCompatibilityMapping
            case .nfkd: r = s.decomposedStringWithCompatibilityMapping
            }
            return Array(r.unicodeScalars)
        case let .prepend(prefix):
            return text.isEmpty ? text : Array(prefix.unicodeScalars) + text
        case let .replace(pattern, content):
            return Array(String(scalars: text).replacingAll(pattern, with: content).unicodeScalars)
        case let .sequence(list):
            var t = text
            for n in list { t = n.normalize(t) }
            return t
        }
    }
}
