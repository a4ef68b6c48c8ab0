/// The result of encoding one sequence or pair: what a model's input batch is built from.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    /// 0 for the first sequence and its special tokens, 1 for the second (BERT's segment ids).
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// Whether each position holds a token the post-processor added (`[CLS]`, `[SEP]`, …).
    public var specialTokensMask: [Bool]

    public init(ids: [Int], typeIds: [Int], attentionMask: [Int], specialTokensMask: [Bool]) {
        self.ids = ids; self.typeIds = typeIds
        self.attentionMask = attentionMask; self.specialTokensMask = specialTokensMask
    }

    public var count: Int { ids.count }
}

/// Truncation to a maximum length, counted with the special tokens the post-processor adds.
public struct TruncationOptions: Sendable, Equatable {
    public enum Strategy: Sendable, Equatable {
        /// Remove from the longer sequence first (Hugging Face's `longest_first`).
        case longestFirst
        case onlyFirst
        case onlySecond
    }
    public var maxLength: Int
    public var strategy: Strategy
    /// Drop tokens from the start instead of the end.
    public var fromLeft: Bool

    public init(maxLength: Int, strategy: Strategy = .longestFirst, fromLeft: Bool = false) {
        self.maxLength = maxLength; self.strategy = strategy; self.fromLeft = fromLeft
    }

    /// Cuts `a` (and `b`) so that together they hold at most `limit` ids, as the reference
    /// implementation does: with `longestFirst`, the shorter keeps its length when the longer can
    /// absorb the cut, otherwise both get half of the room.
    func truncate(_ a: inout [Int], _ b: inout [Int]?, limit: Int) {
        let limit = max(0, limit)
        func cut(_ s: inout [Int], to n: Int) {
            if s.count > n { s = fromLeft ? Array(s.suffix(n)) : Array(s.prefix(n)) }
        }
        guard var second = b else {
            cut(&a, to: limit)
            return
        }
        let total = a.count + second.count
        guard total > limit else { return }
        switch strategy {
        case .onlyFirst:
            cut(&a, to: max(0, a.count - (total - limit)))
        case .onlySecond:
            cut(&second, to: max(0, second.count - (total - limit)))
        case .longestFirst:
            var n1 = a.count, n2 = second.count
            let swapped = n1 > n2
            if swapped { swap(&n1, &n2) }
            n2 = n1 > limit ? n1 : max(n1, limit - n1)
            if n1 + n2 > limit {
                n1 = limit / 2
                n2 = n1 + limit % 2
            }
            if swapped { swap(&n1, &n2) }
            cut(&a, to: n1)
            cut(&second, to: n2)
        }
        b = second
    }
}

/// Padding of an encoding to a fixed length (attention mask 0 on the padding).
public struct PaddingOptions: Sendable, Equatable {
    public var length: Int
    public var padId: Int
    public var padTypeId: Int
    /// Pad on the left (decoders generating from the end of the prompt) instead of the right.
    public var left: Bool

    public init(length: Int, padId: Int, padTypeId: Int = 0, left: Bool = false) {
        self.length = length; self.padId = padId; self.padTypeId = padTypeId; self.left = left
    }

    func pad(_ e: inout Encoding) {
        let n = length - e.ids.count
        guard n > 0 else { return }
        if left {
            e.ids = Array(repeating: padId, count: n) + e.ids
            e.typeIds = Array(repeating: padTypeId, count: n) + e.typeIds
            e.attentionMask = Array(repeating: 0, count: n) + e.attentionMask
            e.specialTokensMask = Array(repeating: true, count: n) + e.specialTokensMask
        } else {
            e.ids += Array(repeating: padId, count: n)
            e.typeIds += Array(repeating: padTypeId, count: n)
            e.attentionMask += Array(repeating: 0, count: n)
            e.specialTokensMask += Array(repeating: true, count: n)
        }
    }
}
