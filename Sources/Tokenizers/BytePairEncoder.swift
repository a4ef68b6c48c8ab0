/// The BPE model: a word starts as one symbol per byte (byte-level vocabularies) or per character
/// (with `<0xXX>` byte fallback), and the adjacent pair of lowest merge rank is merged until no
/// pair has a rank, exactly as the Hugging Face implementation does (leftmost pair on ties).
public final class BytePairEncoder: Sendable {
    /// Token text → id (token text in the byte-level alphabet for byte-level vocabularies).
    public let vocabulary: [String: Int]
    /// Id → token text.
    public let tokens: [String]
    /// Whether words arrive as raw text whose UTF-8 bytes map to the byte-level alphabet.
    public let byteLevel: Bool
    /// Use a word's own id when the whole word is in the vocabulary (Llama 3's `ignore_merges`).
    public let ignoreMerges: Bool
    public let byteFallback: Bool
    public let unknownId: Int?

    /// (left id, right id) packed in 64 bits → (rank, merged id).
    private let merges: [UInt64: Merge]
    /// Symbol id of each byte value (-1 when the vocabulary lacks it).
    private let byteIds: [Int32]
    private let cache = WordCache<[UInt8]>()

    struct Merge: Sendable { let rank: Int32; let id: Int32 }

    /// - Parameters:
    ///   - merges: pairs of token texts in rank order; a pair whose parts or concatenation are
    ///     missing from the vocabulary is an error, as in the reference implementation.
    public init(vocabulary: [String: Int], merges: [(String, String)], byteLevel: Bool,
                ignoreMerges: Bool = false, byteFallback: Bool = false, unknownToken: String? = nil,
                source: String) throws {
        self.vocabulary = vocabulary
        let maxId = vocabulary.values.max() ?? -1
        guard maxId < Int(Int32.max), vocabulary.values.allSatisfy({ $0 >= 0 }) else {
            throw TokenizerError.malformed(source: source, reason: "token ids out of range")
        }
        var tokens = [String](repeating: "", count: maxId + 1)
        for (t, i) in vocabulary { tokens[i] = t }
        self.tokens = tokens
        self.byteLevel = byteLevel
        self.ignoreMerges = ignoreMerges
        self.byteFallback = byteFallback
        if let u = unknownToken {
            guard let id = vocabulary[u] else {
                throw TokenizerError.malformed(source: source, reason: "unknown token '\(u)' is not in the vocabulary")
            }
            unknownId = id
        } else {
            unknownId = nil
        }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let l = vocabulary[a], let r = vocabulary[b], let m = vocabulary[a + b] else {
                throw TokenizerError.malformed(source: source, reason: "merge #\(rank) '\(a) \(b)' uses a token missing from the vocabulary")
            }
            let key = UInt64(l) << 32 | UInt64(r)
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), id: Int32(m)) }
        }
        self.merges = table
        if byteLevel {
            byteIds = (0..<256).map { b in Int32(vocabulary[String(ByteLevelAlphabet.scalar[b])] ?? -1) }
        } else {
            byteIds = (0..<256).map { b in
                Int32(vocabulary[byteFallbackToken(UInt8(b))] ?? -1)
            }
        }
    }

    /// Appends the ids of one pre-tokenized word.
    func encode(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int], scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        for s in word {
            appendUTF8(s, to: &scratch)
        }
        if scratch.count <= cache.maxKeyLength, let hit = cache.get(scratch) {
            for id in hit { ids.append(Int(id)) }
            return
        }
        if ignoreMerges {
            let text = byteLevel ? ByteLevelAlphabet.encode(scratch) : String(scalars: word)
            if let id = vocabulary[text] { ids.append(id); return }
        }
        var symbols = initialSymbols(word, bytes: scratch)
        if symbols.count > 48 { mergeLong(&symbols) } else { mergeShort(&symbols) }
        if scratch.count <= cache.maxKeyLength { cache.set(scratch, symbols) }
        for id in symbols { ids.append(Int(id)) }
    }

    func initialSymbols(_ word: ArraySlice<Unicode.Scalar>, bytes: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        if byteLevel {
            for b in bytes {
                let id = byteIds[Int(b)]
                if id >= 0 { symbols.append(id) } else if let u = unknownId { symbols.append(Int32(u)) }
            }
            return symbols
        }
        for s in word {
            if let id = vocabulary[String(s)] {
                symbols.append(Int32(id))
            } else if byteFallback {
                var bytes: [UInt8] = []
                appendUTF8(s, to: &bytes)
                for b in bytes where byteIds[Int(b)] >= 0 { symbols.append(byteIds[Int(b)]) }
            } else if let u = unknownId {
                symbols.append(Int32(u))
            }
        }
        return symbols
    }

    @inline(__always)
    private func merge(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Quadratic but allocation-free merging for the short words that make up real text.
    func mergeShort(_ s: inout [Int32]) {
        while s.count > 1 {
            var best = Int32.max
            var bestAt = -1
            var bestId: Int32 = 0
            for i in 0..<(s.count - 1) {
                if let m = merge(s[i], s[i + 1]), m.rank < best {
                    best = m.rank; bestAt = i; bestId = m.id
                }
            }
            if bestAt < 0 { return }
            s[bestAt] = bestId
            s.remove(at: bestAt + 1)
        }
    }

    /// O(n log n) merging for long words (a megabyte without a space must not take hours): a
    /// linked list of symbols and a min-heap of candidate pairs ordered by (rank, position);
    /// stale heap entries are skipped when popped.
    func mergeLong(_ s: inout [Int32]) {
        let n = s.count
        var next = Array(1...n)          // n marks the end
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0..<(n - 1) {
            if let m = merge(s[i], s[i + 1]) { heap.push(.init(rank: m.rank, pos: Int32(i), left: s[i], right: s[i + 1])) }
        }
        while let top = heap.pop() {
            let i = Int(top.pos)
            guard alive[i], s[i] == top.left else { continue }
            let j = next[i]
            guard j < n, s[j] == top.right, let m = merge(s[i], s[j]), m.rank == top.rank else { continue }
            s[i] = m.id
            alive[j] = false
            let k = next[j]
            next[i] = k
            if k < n { prev[k] = i }
            let p = prev[i]
            if p >= 0, let pm = merge(s[p], s[i]) {
                heap.push(.init(rank: pm.rank, pos: Int32(p), left: s[p], right: s[i]))
            }
            if k < n, let nm = merge(s[i], s[k]) {
                heap.push(.init(rank: nm.rank, pos: Int32(i), left: s[i], right: s[k]))
            }
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n { out.append(s[i]); i = next[i] }
        s = out
    }
}

/// The `<0xXX>` spelling of a byte in vocabularies with byte fallback.
func byteFallbackToken(_ b: UInt8) -> String {
    let hex = Array("0123456789ABCDEF".unicodeScalars)
    return String(scalars: ["<", "0", "x", hex[Int(b >> 4)], hex[Int(b & 15)], ">"])
}

/// Appends the UTF-8 encoding of a scalar.
@inline(__always)
func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
    let v = s.value
    switch v {
    case 0..<0x80:
        out.append(UInt8(v))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    }
}

/// A binary min-heap of merge candidates ordered by rank, then position.
struct PairHeap {
    struct Entry { let rank: Int32; let pos: Int32; let left: Int32; let right: Int32 }
    private var items: [Entry] = []

    @inline(__always) private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
    }

    mutating func push(_ e: Entry) {
        items.append(e)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if PairHeap.less(items[c], items[p]) { items.swapAt(c, p); c = p } else { break }
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count && PairHeap.less(items[l], items[m]) { m = l }
                if r < items.count && PairHeap.less(items[r], items[m]) { m = r }
                if m == p { break }
                items.swapAt(p, m); p = m
            }
        }
        return first
    }
}
