/// The regular expressions real tokenizers split text with, each recognised by its exact source
/// and run by a hand-written scanner over scalars (faster than a regex engine, and with the
/// Unicode classes of the Rust engines: see `ScalarClass`).
public enum SplitPattern: Sendable, Equatable {
    /// GPT-2's: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// (also what the `ByteLevel` pre-tokenizer applies when `use_regex` is set).
    case gpt2
    /// Llama 3's: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,3}`,
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*`, `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
    case llama3
    /// Qwen 2's: Llama 3's with single digits (`\p{N}`).
    case qwen2
    /// `\p{N}`: every numeric character on its own.
    case singleDigit

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The pattern whose source is `regex`, if it is one of the known ones.
    public init?(regex: String) {
        switch regex {
        case SplitPattern.gpt2Source: self = .gpt2
        case SplitPattern.llama3Source: self = .llama3
        case SplitPattern.qwen2Source: self = .qwen2
        case #"\p{N}"#: self = .singleDigit
        default: return nil
        }
    }

    /// Appends the matches of the pattern in `text[range]` to `out` (every scalar of the range
    /// belongs to exactly one match, as with the `Isolated` split behaviour). `classes` is scratch.
    func scan(_ text: [Unicode.Scalar], _ range: Range<Int>, classes: inout [ScalarClass], into out: inout [Range<Int>]) {
        classes.removeAll(keepingCapacity: true)
        for i in range { classes.append(ScalarClass.of(text[i])) }
        let base = range.lowerBound
        let n = range.count
        text.withUnsafeBufferPointer { whole in
            classes.withUnsafeBufferPointer { cls in
                let t = UnsafeBufferPointer(rebasing: whole[range])
                var i = 0
                while i < n {
                    let end: Int
                    switch self {
                    case .gpt2: end = SplitPattern.gpt2Match(t, cls, i)
                    case .llama3: end = SplitPattern.llamaMatch(t, cls, i, maxDigits: 3)
                    case .qwen2: end = SplitPattern.llamaMatch(t, cls, i, maxDigits: 1)
                    case .singleDigit:
                        if cls[i] == .number { end = i + 1 } else {
                            var j = i + 1
                            while j < n && cls[j] != .number { j += 1 }
                            end = j
                        }
                    }
                    out.append((base + i)..<(base + end))
                    i = end
                }
            }
        }
    }

    /// Length of the contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at `i`, or 0.
    @inline(__always)
    private static func contraction(_ t: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int, caseInsensitive: Bool) -> Int {
        guard t[i] == "'", i + 1 < t.count else { return 0 }
        func lower(_ s: Unicode.Scalar) -> UInt32 {
            let v = s.value
            return caseInsensitive && (0x41...0x5A).contains(v) ? v + 32 : v
        }
        let a = lower(t[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2                   // s t m d
        case 0x72, 0x76:                                        // re ve
            return i + 2 < t.count && lower(t[i + 2]) == 0x65 ? 3 : 0
        case 0x6C:                                              // ll
            return i + 2 < t.count && lower(t[i + 2]) == 0x6C ? 3 : 0
        default: return 0
        }
    }

    /// End of a whitespace match starting at `i` for `\s+(?!\S)|\s+`.
    @inline(__always)
    private static func whitespaceMatch(_ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int) -> Int {
        var e = i + 1
        while e < cls.count && cls[e] == .whitespace { e += 1 }
        if e == cls.count || e - 1 == i { return e }
        return e - 1
    }

    @inline(__always)
    private static func run(_ cls: UnsafeBufferPointer<ScalarClass>, from: Int, of c: ScalarClass) -> Int {
        var j = from
        while j < cls.count && cls[j] == c { j += 1 }
        return j
    }

    @inline(__always)
    private static func otherRun(_ cls: UnsafeBufferPointer<ScalarClass>, from: Int) -> Int {
        var j = from
        while j < cls.count && cls[j] == .other { j += 1 }
        return j
    }

    private static func gpt2Match(_ t: UnsafeBufferPointer<Unicode.Scalar>, _ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int) -> Int {
        let c = cls[i]
        if t[i] == "'" {
            let k = contraction(t, i, caseInsensitive: false)
            if k > 0 { return i + k }
        }
        var start = i
        var cc = c
        if t[i] == " " && i + 1 < t.count && cls[i + 1] != .whitespace {
            start = i + 1
            cc = cls[i + 1]
        }
        switch cc {
        case .letter: return run(cls, from: start + 1, of: .letter)
        case .number: return run(cls, from: start + 1, of: .number)
        case .other: return otherRun(cls, from: start + 1)
        case .whitespace: return whitespaceMatch(cls, i)
        }
    }

    private static func llamaMatch(_ t: UnsafeBufferPointer<Unicode.Scalar>, _ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int, maxDigits: Int) -> Int {
        let n = t.count
        let c = cls[i]
        if t[i] == "'" {
            let k = contraction(t, i, caseInsensitive: true)
            if k > 0 { return i + k }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c == .letter { return run(cls, from: i + 1, of: .letter) }
        let isNewline = t[i] == "\r" || t[i] == "\n"
        if c != .number && !isNewline && i + 1 < n && cls[i + 1] == .letter {
            return run(cls, from: i + 2, of: .letter)
        }
        // \p{N}{1,maxDigits}
        if c == .number {
            var j = i + 1
            while j < n && j - i < maxDigits && cls[j] == .number { j += 1 }
            return j
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        var start = -1
        if c == .other { start = i } else if t[i] == " " && i + 1 < n && cls[i + 1] == .other { start = i + 1 }
        if start >= 0 {
            var j = otherRun(cls, from: start + 1)
            while j < n && (t[j] == "\r" || t[j] == "\n") { j += 1 }
            return j
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var e = i
        var lastBreak = -1
        while e < n && cls[e] == .whitespace {
            if t[e] == "\r" || t[e] == "\n" { lastBreak = e }
            e += 1
        }
        if lastBreak >= 0 { return lastBreak + 1 }
        return whitespaceMatch(cls, i)
    }
}
