/// Adds the special tokens of a model around one sequence or a pair (`[CLS] A [SEP] B [SEP]`),
/// with the token-type id of each position.
public struct PostProcessor: Sendable {
    /// One item of a template: a special token's ids, or the sequence A (0) or B (1).
    public enum Piece: Sendable, Equatable {
        case special(ids: [Int], typeId: Int)
        case sequence(index: Int, typeId: Int)
    }

    public let single: [Piece]
    public let pair: [Piece]

    public init(single: [Piece], pair: [Piece]) {
        self.single = single
        self.pair = pair
    }

    /// No special tokens: A alone, or A then B with type ids 0 and 1.
    public static let identity = PostProcessor(
        single: [.sequence(index: 0, typeId: 0)],
        pair: [.sequence(index: 0, typeId: 0), .sequence(index: 1, typeId: 1)])

    /// How many special-token ids the template adds (what truncation leaves room for).
    func addedCount(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in
            if case let .special(ids, _) = p { return n + ids.count }
            return n
        }
    }

    func apply(_ a: [Int], _ b: [Int]?) -> (ids: [Int], typeIds: [Int], special: [Bool]) {
        var ids: [Int] = [], types: [Int] = [], special: [Bool] = []
        let template = b == nil ? single : pair
        ids.reserveCapacity(a.count + (b?.count ?? 0) + 4)
        for piece in template {
            switch piece {
            case let .special(sids, t):
                ids += sids
                types += Array(repeating: t, count: sids.count)
                special += Array(repeating: true, count: sids.count)
            case let .sequence(index, t):
                let seq = index == 0 ? a : (b ?? [])
                ids += seq
                types += Array(repeating: t, count: seq.count)
                special += Array(repeating: false, count: seq.count)
            }
        }
        return (ids, types, special)
    }
}
