/// A token matched verbatim in the input before any normalization or splitting (special tokens
/// such as `[CLS]` or `<|im_start|>`, and user-added tokens).
public struct AddedToken: Sendable, Equatable {
    public let content: String
    public let id: Int
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    public let special: Bool
    /// Whether the match swallows the whitespace on its left / right.
    public let lstrip: Bool
    public let rstrip: Bool

    public init(content: String, id: Int, special: Bool, lstrip: Bool = false, rstrip: Bool = false) {
        self.content = content; self.id = id; self.special = special
        self.lstrip = lstrip; self.rstrip = rstrip
    }
}

/// Finds added tokens in text, leftmost first and longest on ties (as Aho-Corasick
/// `LeftmostLongest` does in the reference implementation).
struct AddedTokenMatcher: Sendable {
    enum Segment: Equatable { case text(Range<Int>), token(Int) }

    private let byFirstScalar: [UInt32: [(scalars: [Unicode.Scalar], token: AddedToken)]]

    init(_ tokens: [AddedToken]) {
        var table: [UInt32: [(scalars: [Unicode.Scalar], token: AddedToken)]] = [:]
        for t in tokens {
            let s = Array(t.content.unicodeScalars)
            guard let f = s.first else { continue }
            table[f.value, default: []].append((s, t))
        }
        for k in table.keys { table[k]?.sort { $0.scalars.count > $1.scalars.count } }
        byFirstScalar = table
    }

    var isEmpty: Bool { byFirstScalar.isEmpty }

    /// Cuts `text` into plain-text ranges and added-token ids.
    func segments(_ text: [Unicode.Scalar]) -> [Segment] {
        if byFirstScalar.isEmpty { return text.isEmpty ? [] : [.text(0..<text.count)] }
        var out: [Segment] = []
        var textStart = 0
        var i = 0
        let n = text.count
        while i < n {
            guard let candidates = byFirstScalar[text[i].value],
                  let hit = candidates.first(where: { c in
                      i + c.scalars.count <= n && text[i..<(i + c.scalars.count)].elementsEqual(c.scalars)
                  }) else { i += 1; continue }
            var left = i
            if hit.token.lstrip { while left > textStart && text[left - 1].isWhiteSpace { left -= 1 } }
            var right = i + hit.scalars.count
            if hit.token.rstrip { while right < n && text[right].isWhiteSpace { right += 1 } }
            if textStart < left { out.append(.text(textStart..<left)) }
            out.append(.token(hit.token.id))
            textStart = right
            i = right
        }
        if textStart < n { out.append(.text(textStart..<n)) }
        return out
    }
}
