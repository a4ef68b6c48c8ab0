import Adapters
import Tensor
/// Tokenised examples, a sampler and a collator together: the trainer's source of batches.
public struct BatchLoader: Sendable {
    public let examples: [TokenizedExample]
    public let collator: BatchCollator
    public private(set) var sampler: BatchSampler

    /// Training batches: `ordering` decides grouping and shuffling, `seed` makes it reproducible.
    public init(examples: [TokenizedExample], batchSize: Int, padTokenID: Int,
                ordering: BatchOrdering = .lengthGrouped, dropLast: Bool = false, seed: UInt64) throws {
        self.examples = examples
        self.collator = BatchCollator(padTokenID: padTokenID)
        self.sampler = try BatchSampler(lengths: examples.map(\.tokens.count), batchSize: batchSize,
                                        ordering: ordering, dropLast: dropLast, seed: seed)
    }

    public var batchesPerEpoch: Int { sampler.batchesPerEpoch }
    public var state: BatchSampler.State { sampler.state }

    /// The next batch and its epoch.
    public mutating func next() -> (epoch: Int, batch: Batch) {
        let (epoch, indices) = sampler.next()
        return (epoch, collator.collate(examples, indices: indices))
    }

    public mutating func restore(_ state: BatchSampler.State) throws {
        try sampler.restore(state)
    }

    /// One pass over `examples` for evaluation: longest first (least padding), every example
    /// exactly once; `Batch.exampleIndices` maps results back to dataset order.
    public static func evaluationBatches(_ examples: [TokenizedExample], batchSize: Int,
                                         padTokenID: Int) throws -> [Batch] {
        try SettingError.check("batchSize", batchSize, atLeast: 1)
        var unused = SeededGenerator(seed: 0)
        let collator = BatchCollator(padTokenID: padTokenID)
        return BatchOrdering.longestFirst
            .batches(lengths: examples.map(\.tokens.count), batchSize: batchSize, dropLast: false,
                     generator: &unused)
            .map { collator.collate(examples, indices: $0) }
    }
}
