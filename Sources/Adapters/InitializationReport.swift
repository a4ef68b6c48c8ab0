/// What a gradient-based initialisation (LoRA-SB, LoRA-GA) did, for the log.
public struct InitializationReport: Sendable {
    public let samples: Int
    public let batches: Int
    public let meanLoss: Double
    /// LoRA-SB's η_eff; nil for methods without one.
    public let effectiveLearningRate: Double?
    /// Passes over the samples the gradient estimate made (one per target group of
    /// `initMemoryBudget`).
    public let passes: Int
    public let gradientSeconds: Double
    public let svdSeconds: Double
    /// Per target: the fraction of the decomposed matrix's ‖·‖²_F the factors keep.
    public let energyKept: [(module: String, fraction: Double)]
    /// What was decomposed and how much of it the factors use, for the log (`rank-r ΔW`).
    public let decomposed: String

    public init(_ estimate: GradientEstimate.Summary, effectiveLearningRate: Double?,
                energyKept: [(module: String, fraction: Double)], decomposed: String) {
        samples = estimate.samples
        batches = estimate.batches
        meanLoss = estimate.meanLoss
        self.effectiveLearningRate = effectiveLearningRate
        passes = estimate.passes
        gradientSeconds = estimate.gradientSeconds
        svdSeconds = estimate.factorSeconds
        self.energyKept = energyKept
        self.decomposed = decomposed
    }

    public var meanEnergyKept: Double {
        energyKept.isEmpty ? 0 : energyKept.reduce(0) { $0 + $1.fraction } / Double(energyKept.count)
    }
}
