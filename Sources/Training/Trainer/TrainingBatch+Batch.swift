import Adapters
import Models

extension TrainingBatch {
    /// The model-facing form of a collated batch.
    public init(_ batch: Batch) throws {
        let tokens: TokenBatch
        var targets: SequenceTargets?
        switch batch.labels {
        case .tokens(let labels):
            tokens = try TokenBatch(batchSize: batch.rows, length: batch.sequenceLength,
                                    ids: batch.tokenIDs.map { Int32($0) },
                                    attentionMask: batch.attentionMask.map { Float($0) },
                                    labels: labels.map { Int32($0) })
        case .classes, .values:
            tokens = try TokenBatch(batchSize: batch.rows, length: batch.sequenceLength,
                                    ids: batch.tokenIDs.map { Int32($0) },
                                    attentionMask: batch.attentionMask.map { Float($0) },
                                    tokenTypes: batch.tokenTypes.map { $0.map { Int32($0) } })
            if case .classes(let classes) = batch.labels { targets = .classes(classes) }
            if case .values(let values) = batch.labels { targets = .values(values) }
        }
        self.init(tokens: tokens, targets: targets)
    }
}
