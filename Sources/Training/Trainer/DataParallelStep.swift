import Adapters
import Distributed
import Tensor

/// How the processes of a data-parallel run share a step: every process draws the same global
/// batch (same loader, same seed), runs forward and backward on its contiguous share of the
/// rows, weights its gradient by its share of the batch's targets (so the sum is the gradient
/// of the global batch's mean loss), and one bucketed all-reduce sums the gradients of
/// everything that trains. Every process then clips and steps identically. In a world of one
/// process nothing is sliced, weighted or reduced.
struct DataParallelStep {
    let communicator: any Communicator
    private var reducer: BucketedAllReduce

    init(_ communicator: any Communicator) {
        self.communicator = communicator
        reducer = BucketedAllReduce(communicator)
    }

    /// Adds this process's weighted share of `∇loss(batch)` to the gradients of `parameters`;
    /// returns its weighted share of the batch's mean loss (summing to the loss over processes).
    func accumulate(_ batch: Batch, from loader: BatchLoader, model: TrainableModel,
                    parameters: [TrainableParameter], gradientIsZero: Bool) throws -> Double {
        guard communicator.isDistributed else {
            return Double(try model.loss(try TrainingBatch(batch), backward: true))
        }
        let rows = communicator.share(of: batch.rows)
        guard !rows.isEmpty else { return 0 }
        let mine = loader.collator.collate(loader.examples, indices: Array(batch.exampleIndices[rows]))
        guard batch.targetCount > 0, mine.targetCount > 0 else { return 0 }
        let weight = Float(Double(mine.targetCount) / Double(batch.targetCount))
        // Backward adds into the buffers: scaling by 1/w before and w after adds w·∇loss.
        if !gradientIsZero { for p in parameters { Elementwise.scale(p.gradient, by: 1 / weight, into: p.gradient) } }
        let loss = try model.loss(try TrainingBatch(mine), backward: true)
        for p in parameters { Elementwise.scale(p.gradient, by: weight, into: p.gradient) }
        return Double(weight) * Double(loss)
    }

    /// Sums the gradients over processes; returns the bytes this process sent.
    mutating func reduce(_ parameters: [TrainableParameter]) throws -> Int {
        try reducer.sum(parameters.map(\.gradient))
    }

    /// The step's loss summed over processes, and whether any process was interrupted (all of
    /// them must stop after the same step).
    func agree(loss: Double, interrupted: Bool) throws -> (loss: Double, interrupted: Bool) {
        guard communicator.isDistributed else { return (loss, interrupted) }
        let sums = try communicator.allReduceSum([loss, interrupted ? 1 : 0])
        return (sums[0], sums[1] > 0)
    }
}
