/// Turns token texts back into a string (`tokenizer.json`'s `decoder`).
public indirect enum TokenDecoder: Sendable {
    /// Byte-level: each token's characters stand for bytes; the bytes are joined and read as
    /// UTF-8, invalid sequences becoming U+FFFD.
    case byteLevel
    /// WordPiece: pieces with the prefix join the previous one, others get a space; `cleanup`
    /// removes the spaces BERT tokenization put before punctuation and contractions.
    case wordPiece(prefix: String, cleanup: Bool)
    /// `<0xXX>` tokens become bytes (SentencePiece-style byte fallback).
    case byteFallback
    case replace(pattern: String, content: String)
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case fuse
    case sequence([TokenDecoder])

    /// Applies the decoder to a list of tokens, as the decoders' `decode_chain` does.
    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                if let b = ByteLevelAlphabet.decode(t) { bytes += b } else { bytes += Array(t.utf8) }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .wordPiece(prefix, cleanup):
            return tokens.enumerated().map { i, token in
                var t = token
                if i != 0 {
                    // Compared as UTF-8: as `Character`s, "##" followed by a combining mark
                    // would not start with "##".
                    if t.utf8.starts(with: prefix.utf8) {
                        t = String(decoding: t.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                    } else {
                        t = " " + t
                    }
                }
                return cleanup ? TokenDecoder.cleanup(t) : t
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                if pending.isEmpty { return }
                // Invalid UTF-8 becomes one U+FFFD per byte, as in the reference implementation.
                let s = String(decoding: pending, as: UTF8.self)
                if s.utf8.elementsEqual(pending) { out.append(s) } else {
                    out.append(String(repeating: "\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = TokenDecoder.fallbackByte(t) { pending.append(b) } else { flush(); out.append(t) }
            }
            flush()
            return out
        case let .replace(pattern, content):
            return tokens.map { $0.replacingAll(pattern, with: content) }
        case let .strip(content, start, stop):
            return tokens.map { t in
                var s = Array(t.unicodeScalars)
                var a = 0
                while a < start && a < s.count && s[a] == content { a += 1 }
                var b = 0
                while b < stop && b < s.count - a && s[s.count - 1 - b] == content { b += 1 }
                s = Array(s[a..<(s.count - b)])
                return String(scalars: s)
            }
        case .fuse:
            return [tokens.joined()]
        case let .sequence(list):
            var t = tokens
            for d in list { t = d.decodeChain(t) }
            return t
        }
    }

    static func fallbackByte(_ t: String) -> UInt8? {
        let s = Array(t.utf8)
        guard s.count == 6, s[0] == 0x3C, s[1] == 0x30, s[2] == 0x78, s[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        guard let h = hex(s[3]), let l = hex(s[4]) else { return nil }
        return h << 4 | l
    }

    static func cleanup(_ s: String) -> String {
        s.replacingAll(" .", with: ".")
            .replacingAll(" ?", with: "?")
            .replacingAll(" !", with: "!")
            .replacingAll(" ,", with: ",")
            .replacingAll(" ' ", with: "'")
            .replacingAll(" n't", with: "n't")
            .replacingAll(" 'm", with: "'m")
            .replacingAll(" do not", with: " don't")
            .replacingAll(" 's", with: "'s")
            .replacingAll(" 've", with: "'ve")
            .replacingAll(" 're", with: "'re")
    }
}

extension String {
    /// Replaces every occurrence of `pattern`, comparing UTF-8 bytes (never `Character`s, whose
    /// grapheme clustering would miss matches next to combining marks).
    func replacingAll(_ pattern: String, with replacement: String) -> String {
        let p = Array(pattern.utf8)
        guard !p.isEmpty else { return self }
        let s = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == p[0], i + p.count <= s.count, s[i..<(i + p.count)].elementsEqual(p) {
                out += replacement.utf8
                i += p.count
            } else {
                out.append(s[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
