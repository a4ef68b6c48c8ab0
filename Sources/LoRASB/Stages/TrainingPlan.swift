import Adapters
import Foundation
import Training

/// How a run walks its data: the training batches, the optimizer steps (epochs turned into
/// steps), the validation batches, and the schedule the LoRA-SB initialisation reads η_eff from.
struct TrainingPlan {
    /// The request's trainer settings with `iterations` resolved from `epochs` when given.
    let trainer: TrainerSettings
    let loader: BatchLoader
    /// Every validation batch (the trainer takes its own prefix of them).
    let validationBatches: [Batch]
    /// The batches the base model's loss is measured over: `trainer.validationBatches` of them
    /// (all when 0), as the trainer measures it.
    let evaluationBatches: [Batch]
    let schedule: RunSchedule

    init(_ request: FineTuneRequest, data: EncodedData, padTokenID: Int) throws {
        var trainer = request.trainer
        loader = try BatchLoader(examples: data.train, batchSize: trainer.batchSize,
                                 padTokenID: padTokenID, seed: trainer.seed)
        let stepsPerEpoch = Double(loader.batchesPerEpoch) / Double(trainer.gradientAccumulation)
        if let epochs = request.epochs { trainer.iterations = Self.steps(epochs: epochs, stepsPerEpoch: stepsPerEpoch) }
        if request.evaluateEachEpoch { trainer.stepsPerEval = Self.stepsPerEvaluation(stepsPerEpoch: stepsPerEpoch) }
        self.trainer = trainer
        validationBatches = try BatchLoader.evaluationBatches(data.validation, batchSize: trainer.batchSize,
                                                             padTokenID: padTokenID)
        evaluationBatches = trainer.validationBatches > 0 ? Array(validationBatches.prefix(trainer.validationBatches))
                                                          : validationBatches
        let examplesSeen = Double(trainer.iterations * trainer.batchSize * trainer.gradientAccumulation)
        schedule = RunSchedule(learningRate: trainer.learningRate, warmupRatio: trainer.warmupRatio,
                               totalSteps: trainer.iterations,
                               epochs: request.epochs ?? examplesSeen / Double(data.train.count))
    }

    /// Optimizer steps of `epochs` passes (a partial last epoch counts as a step).
    static func steps(epochs: Double, stepsPerEpoch: Double) -> Int {
        max(1, Int((stepsPerEpoch * epochs).rounded(.up)))
    }

    /// Steps between validations when every epoch is validated.
    static func stepsPerEvaluation(stepsPerEpoch: Double) -> Int {
        max(1, Int(stepsPerEpoch.rounded(.up)))
    }
}
