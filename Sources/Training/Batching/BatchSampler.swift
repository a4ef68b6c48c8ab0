import Adapters
import Tensor
/// Hands out the example indices of each batch, epoch after epoch, from a seed; its `State`
/// (epoch, position in the epoch, generator state) restores the exact sequence that follows, so
/// a run resumed from a checkpoint trains on the very batches it would have.
public struct BatchSampler: Sendable {
    /// Where the sampler stands: saved in a checkpoint.
    public struct State: Equatable, Sendable, Codable {
        /// The epoch of the next batch (from 0).
        public var epoch: Int
        /// How many batches of that epoch have been handed out.
        public var position: Int
        /// The generator as it was when the epoch's order was drawn.
        public var epochGenerator: SeededGenerator
        /// The dataset size and batch size the state belongs to, checked on restore.
        public var exampleCount: Int
        public var batchSize: Int
    }

    public let lengths: [Int]
    public let batchSize: Int
    public let ordering: BatchOrdering
    public let dropLast: Bool
    public private(set) var state: State
    /// The batches of the current epoch.
    private var plan: [[Int]]
    /// The generator after drawing the current epoch: where the next epoch's order comes from.
    private var nextGenerator: SeededGenerator

    /// A sampler over examples of the given token `lengths`. Throws when not even one batch can be
    /// formed (no examples, or fewer than `batchSize` with `dropLast`) or the batch size is below 1.
    public init(lengths: [Int], batchSize: Int, ordering: BatchOrdering = .lengthGrouped,
                dropLast: Bool = false, seed: UInt64) throws {
        try SettingError.check("batchSize", batchSize, atLeast: 1)
        guard !lengths.isEmpty, !dropLast || lengths.count >= batchSize else {
            throw BatchingError("\(lengths.count) examples do not make one batch of \(batchSize)\(dropLast ? " (incomplete batches are dropped)" : "")")
        }
        self.lengths = lengths
        self.batchSize = batchSize
        self.ordering = ordering
        self.dropLast = dropLast
        let generator = SeededGenerator(seed: seed)
        state = State(epoch: 0, position: 0, epochGenerator: generator,
                      exampleCount: lengths.count, batchSize: batchSize)
        plan = []
        nextGenerator = generator
        drawEpoch()
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { plan.count }

    /// The example indices of the next batch, and the epoch it belongs to.
    public mutating func next() -> (epoch: Int, indices: [Int]) {
        if state.position >= plan.count {
            state.epoch += 1
            state.position = 0
            state.epochGenerator = nextGenerator
            drawEpoch()
        }
        let indices = plan[state.position]
        state.position += 1
        return (state.epoch, indices)
    }

    /// Continues from a saved state. Throws when it belongs to a different dataset or batch size
    /// or points outside the epoch.
    public mutating func restore(_ saved: State) throws {
        guard saved.exampleCount == lengths.count, saved.batchSize == batchSize else {
            throw BatchingError("the saved data position is for \(saved.exampleCount) examples in batches of \(saved.batchSize), not \(lengths.count) in batches of \(batchSize)")
        }
        guard saved.epoch >= 0, saved.position >= 0 else {
            throw BatchingError("the saved data position (epoch \(saved.epoch), batch \(saved.position)) is negative")
        }
        let previous = (state, plan, nextGenerator)
        state = saved
        drawEpoch()
        guard saved.position <= plan.count else {
            (state, plan, nextGenerator) = previous
            throw BatchingError("the saved data position (batch \(saved.position)) is past the epoch's \(previous.1.count) batches")
        }
    }

    private mutating func drawEpoch() {
        var generator = state.epochGenerator
        plan = ordering.batches(lengths: lengths, batchSize: batchSize, dropLast: dropLast,
                                generator: &generator)
        nextGenerator = generator
    }
}

/// A batching request that cannot be met.
public struct BatchingError: Error, CustomStringConvertible, Equatable {
    public let problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
