import Adapters
/// How a training run proceeds (the optimisation settings; the adapter's own settings are
/// `AdapterSettings`). Defaults follow the LoRA-SB authors' runs where they apply; these are
/// the only defaults: `lorasb train` and its `--config` start from them.
public struct TrainerSettings: Codable, Sendable, Equatable {
    /// Optimizer steps in the run.
    public var iterations: Int
    /// Examples per micro-batch.
    public var batchSize: Int
    /// Micro-batches whose gradients are averaged into one optimizer step.
    public var gradientAccumulation: Int
    public var learningRate: Double
    /// Fraction of `iterations` spent warming the learning rate up linearly from 0.
    public var warmupRatio: Double
    public var decay: LearningRateSchedule.Decay
    /// AdamW's decoupled weight decay (0 by default; the authors' code keeps torch's 0.01).
    public var weightDecay: Double
    /// Global gradient-norm clipping; 0 turns it off.
    public var maxGradNorm: Double
    public var seed: UInt64
    /// Validation loss every this many steps (0: only at the end).
    public var stepsPerEval: Int
    /// Validation batches per evaluation (0 or less: the whole validation set).
    public var validationBatches: Int
    /// A checkpoint every this many steps (0: only at the end and on Ctrl-C).
    public var saveEvery: Int
    /// A progress line / log record every this many steps.
    public var stepsPerReport: Int

    public init(iterations: Int = 100, batchSize: Int = 4, gradientAccumulation: Int = 1,
                learningRate: Double = 5e-4, warmupRatio: Double = 0.02,
                decay: LearningRateSchedule.Decay = .cosine, weightDecay: Double = 0,
                maxGradNorm: Double = 1, seed: UInt64 = 0, stepsPerEval: Int = 50,
                validationBatches: Int = 25, saveEvery: Int = 100, stepsPerReport: Int = 1) {
        self.iterations = iterations
        self.batchSize = batchSize
        self.gradientAccumulation = gradientAccumulation
        self.learningRate = learningRate
        self.warmupRatio = warmupRatio
        self.decay = decay
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.seed = seed
        self.stepsPerEval = stepsPerEval
        self.validationBatches = validationBatches
        self.saveEvery = saveEvery
        self.stepsPerReport = stepsPerReport
    }

    public func validate() throws {
        try SettingError.check("iterations", iterations, atLeast: 1)
        try SettingError.check("batchSize", batchSize, atLeast: 1)
        try SettingError.check("gradientAccumulation", gradientAccumulation, atLeast: 1)
        try SettingError.check("learningRate", learningRate, in: 0...1e3)
        try SettingError.check("warmupRatio", warmupRatio, in: 0...1)
        try SettingError.check("weightDecay", weightDecay, in: 0...1e3)
        try SettingError.check("maxGradNorm", maxGradNorm, in: 0...Double.greatestFiniteMagnitude)
        try SettingError.check("stepsPerReport", stepsPerReport, atLeast: 1)
    }

    /// The schedule these settings describe.
    public func schedule() throws -> LearningRateSchedule {
        try LearningRateSchedule(peak: learningRate, decay: decay, warmupRatio: warmupRatio,
                                 totalSteps: iterations)
    }
}
