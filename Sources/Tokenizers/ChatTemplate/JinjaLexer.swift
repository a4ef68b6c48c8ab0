/// A token of a template: literal text between tags, or a piece of a tag's contents.
enum JinjaToken: Equatable {
    case text(String)
    case blockBegin, blockEnd, outputBegin, outputEnd
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)
}

/// Cuts template source into tokens with the whitespace rules Transformers renders chat
/// templates with: `trim_blocks` (a newline right after a block or comment tag is dropped),
/// `lstrip_blocks` (spaces before a block tag at the start of a line are dropped) and the `-`
/// markers (`{%-`, `-%}`, …) that strip all whitespace on their side.
struct JinjaLexer {
    private let src: [Unicode.Scalar]
    private var pos = 0
    private(set) var tokens: [JinjaToken] = []
    /// Line of each token, for error messages.
    private(set) var lines: [Int] = []

    /// Templates are a few kilobytes; anything beyond this is not a chat template.
    static let maxSourceBytes = 1 << 20

    static func tokenize(_ source: String) throws -> (tokens: [JinjaToken], lines: [Int]) {
        guard source.utf8.count <= maxSourceBytes else {
            throw ChatTemplateError.unsupported("a template of \(source.utf8.count) bytes (at most \(maxSourceBytes))", line: 1)
        }
        var l = JinjaLexer(src: Array(source.unicodeScalars))
        try l.run()
        return (l.tokens, l.lines)
    }

    /// `lineOf[p]` is the 1-based line of scalar `p`.
    private let lineOf: [Int32]

    private init(src: [Unicode.Scalar]) {
        self.src = src
        var lines = [Int32](repeating: 1, count: src.count + 1)
        var current: Int32 = 1
        for (k, c) in src.enumerated() {
            lines[k] = current
            if c == "\n" { current += 1 }
        }
        lines[src.count] = current
        lineOf = lines
    }

    private func line(at p: Int) -> Int { Int(lineOf[max(0, min(p, src.count))]) }

    private func at(_ p: Int, _ s: String) -> Bool {
        var i = p
        for c in s.unicodeScalars {
            guard i < src.count, src[i] == c else { return false }
            i += 1
        }
        return true
    }

    private mutating func emit(_ t: JinjaToken, _ p: Int) {
        tokens.append(t)
        lines.append(line(at: p))
    }

    private mutating func run() throws {
        var stripNext = false     // a `-` closed the previous tag
        var trimNewline = false   // trim_blocks after a block or comment tag
        while pos < src.count {
            var idx = pos
            while idx < src.count && !(src[idx] == "{" && idx + 1 < src.count && (src[idx + 1] == "{" || src[idx + 1] == "%" || src[idx + 1] == "#")) {
                idx += 1
            }
            var textStart = pos
            if stripNext {
                while textStart < idx && src[textStart].properties.isWhitespace { textStart += 1 }
            } else if trimNewline, textStart < idx, src[textStart] == "\n" {
                textStart += 1
            }
            var text = Array(src[textStart..<idx])
            let lineStarting = textStart == 0 || src[textStart - 1] == "\n"
            if idx < src.count {
                let kind = src[idx + 1]
                let marker = idx + 2 < src.count ? src[idx + 2] : " "
                if marker == "-" {
                    while let l = text.last, l.properties.isWhitespace { text.removeLast() }
                } else if kind != "{" && marker != "+" {
                    // lstrip_blocks: only whitespace between the line start and the tag.
                    let lastNewline = text.lastIndex(of: "\n")
                    let start = lastNewline.map { $0 + 1 } ?? 0
                    if (lastNewline != nil || lineStarting) && start < text.count
                        && text[start...].allSatisfy({ $0.properties.isWhitespace }) {
                        text.removeSubrange(start...)
                    }
                }
            }
            if !text.isEmpty { emit(.text(String(scalars: text)), pos) }
            if idx >= src.count { break }
            let kind = src[idx + 1]
            pos = idx + 2
            if pos < src.count && (src[pos] == "-" || src[pos] == "+") { pos += 1 }
            if kind == "#" {
                var e = pos
                while e < src.count && !at(e, "#}") { e += 1 }
                guard e < src.count else { throw ChatTemplateError.syntax("unclosed comment", line: line(at: idx)) }
                stripNext = src[e - 1] == "-" && e - 1 >= pos
                trimNewline = true
                pos = e + 2
                continue
            }
            emit(kind == "{" ? .outputBegin : .blockBegin, idx)
            let (strip) = try lexTag(closing: kind == "{" ? "}}" : "%}", openedAt: idx)
            stripNext = strip
            trimNewline = kind == "%"
            emit(kind == "{" ? .outputEnd : .blockEnd, pos)
        }
    }

    /// Lexes the inside of a tag up to its closing marker; returns whether it was `-`-closed.
    private mutating func lexTag(closing: String, openedAt: Int) throws -> Bool {
        while true {
            while pos < src.count && src[pos].properties.isWhitespace { pos += 1 }
            guard pos < src.count else { throw ChatTemplateError.syntax("unclosed tag", line: line(at: openedAt)) }
            if at(pos, "-" + closing) { pos += 1 + closing.unicodeScalars.count; return true }
            if at(pos, closing) { pos += closing.unicodeScalars.count; return false }
            let c = src[pos]
            let start = pos
            if c == "'" || c == "\"" {
                pos += 1
                var s = String.UnicodeScalarView()
                while pos < src.count && src[pos] != c {
                    if src[pos] == "\\" && pos + 1 < src.count {
                        pos += 1
                        switch src[pos] {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        case "\\", "'", "\"": s.append(src[pos])
                        default: s.append("\\"); s.append(src[pos])
                        }
                    } else {
                        s.append(src[pos])
                    }
                    pos += 1
                }
                guard pos < src.count else { throw ChatTemplateError.syntax("unterminated string", line: line(at: start)) }
                pos += 1
                emit(.string(String(s)), start)
            } else if c.properties.numericType != nil && c.isASCII {
                while pos < src.count && src[pos].isASCII && src[pos].properties.numericType != nil { pos += 1 }
                if pos + 1 < src.count && src[pos] == "." && src[pos + 1].isASCII && src[pos + 1].properties.numericType != nil {
                    pos += 1
                    while pos < src.count && src[pos].isASCII && src[pos].properties.numericType != nil { pos += 1 }
                    emit(.double(Double(String(scalars: src[start..<pos])) ?? 0), start)
                } else {
                    guard let n = Int(String(scalars: src[start..<pos])) else {
                        throw ChatTemplateError.syntax("number too large", line: line(at: start))
                    }
                    emit(.int(n), start)
                }
            } else if c == "_" || (c.isASCII && c.properties.isAlphabetic) {
                while pos < src.count && (src[pos] == "_" || (src[pos].isASCII && (src[pos].properties.isAlphabetic || src[pos].properties.numericType != nil))) {
                    pos += 1
                }
                emit(.name(String(scalars: src[start..<pos])), start)
            } else {
                let ops = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]
                guard let op = ops.first(where: { at(pos, $0) }) else {
                    throw ChatTemplateError.syntax("unexpected character '\(c)'", line: line(at: pos))
                }
                pos += op.unicodeScalars.count
                emit(.op(op), start)
            }
        }
    }
}
