/// A rectangular batch of token sequences: ids, the attention mask (1 = real token,
/// 0 = padding), optional segment ids (BERT token types) and optional per-token labels
/// (causal LM: the token to predict at that position, `-100` = not counted).
public struct TokenBatch: Sendable {
    public let batchSize: Int
    public let length: Int
    /// Row-major `[batchSize, length]`.
    public var ids: [Int32]
    public var attentionMask: [Float]
    public var tokenTypes: [Int32]?
    public var labels: [Int32]?

    /// Validates the rows: non-empty, all the same length, masks and labels of matching shape.
    public init(ids: [[Int]], attentionMask: [[Int]]? = nil, tokenTypes: [[Int]]? = nil,
                labels: [[Int]]? = nil) throws {
        guard let first = ids.first, !first.isEmpty else {
            throw ModelError.invalidBatch("the batch is empty")
        }
        let t = first.count
        func flat<T>(_ rows: [[Int]], _ what: String, _ f: (Int) -> T) throws -> [T] {
            guard rows.count == ids.count, rows.allSatisfy({ $0.count == t }) else {
                throw ModelError.invalidBatch("\(what) must be \(ids.count) rows of \(t)")
            }
            return rows.flatMap { $0.map(f) }
        }
        for id in ids.joined() where id < 0 || id > Int(Int32.max) {
            throw ModelError.invalidBatch("token id \(id) is out of range")
        }
        self.batchSize = ids.count
        self.length = t
        self.ids = try flat(ids, "ids") { Int32($0) }
        self.attentionMask = try attentionMask.map { try flat($0, "attention_mask") { $0 != 0 ? Float(1) : 0 } }
            ?? [Float](repeating: 1, count: ids.count * t)
        self.tokenTypes = try tokenTypes.map { try flat($0, "token_type_ids") { Int32(clamping: $0) } }
        self.labels = try labels.map { try flat($0, "labels") { Int32(clamping: $0) } }
    }

    /// A batch from already flat arrays (`[batchSize · length]` each).
    public init(batchSize: Int, length: Int, ids: [Int32], attentionMask: [Float]? = nil,
                tokenTypes: [Int32]? = nil, labels: [Int32]? = nil) throws {
        let n = batchSize.multipliedReportingOverflow(by: length)
        guard batchSize > 0, length > 0, !n.overflow, ids.count == n.partialValue else {
            throw ModelError.invalidBatch("expected \(batchSize)×\(length) ids, got \(ids.count)")
        }
        guard attentionMask.map({ $0.count == ids.count }) ?? true,
              tokenTypes.map({ $0.count == ids.count }) ?? true,
              labels.map({ $0.count == ids.count }) ?? true else {
            throw ModelError.invalidBatch("mask, token types and labels must match the ids' shape")
        }
        self.batchSize = batchSize
        self.length = length
        self.ids = ids
        self.attentionMask = attentionMask ?? [Float](repeating: 1, count: ids.count)
        self.tokenTypes = tokenTypes
        self.labels = labels
    }

    public var tokenCount: Int { batchSize * length }
}

extension TokenBatch {
    /// The attention mask as the NN attention layers take it (true = real token), or nil when
    /// every token is real (the layers then skip the padding mask).
    public var paddingFlags: [Bool]? {
        attentionMask.allSatisfy({ $0 != 0 }) ? nil : attentionMask.map { $0 != 0 }
    }
}
