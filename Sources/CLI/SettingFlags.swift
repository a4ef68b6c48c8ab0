import LoRASB

/// The library names its settings (`batchSize`); the command line names flags (`--batch-size`).
/// Errors about a setting are shown under the flag that sets it.
enum SettingFlags {
    static let flagOfSetting: [String: String] = [
        "method": "method", "rank": "rank", "alpha": "alpha", "targets": "targets", "seed": "seed",
        "initSamples": "init-samples", "initGradient": "init-gradient", "svdIterations": "svd-iterations",
        "initOrder": "init-order", "initBasis": "init-basis", "initNoise": "init-noise", "initSplit": "init-split",
        "iterations": "iters", "batchSize": "batch-size",
        "gradientAccumulation": "grad-accum", "learningRate": "learning-rate", "warmupRatio": "warmup-ratio",
        "decay": "lr-schedule", "weightDecay": "weight-decay", "maxGradNorm": "max-grad-norm",
        "stepsPerEval": "steps-per-eval", "validationBatches": "val-batches", "saveEvery": "save-every",
        "stepsPerReport": "steps-per-report", "maxSequenceLength": "max-seq-len", "maxNewTokens": "max-tokens",
        "limit": "limit", "split": "split", "seeds": "seeds", "learningRateGrid": "lr-grid",
        "gradientCheckpointing": "grad-checkpoint", "taskFamily": "task", "scoring": "scoring", "metric": "metric",
        "initMemoryBudget": "init-memory", "loraGAGamma": "ga-gamma",
        "precision": "precision",
    ]

    /// `--flag` for a setting's name; the name itself when no flag sets it.
    static func flag(_ setting: String) -> String {
        flagOfSetting[setting].map { "--\($0)" } ?? setting
    }

    /// An error's message in the command line's terms.
    static func message(_ error: Error) -> String {
        switch error {
        case let e as SettingError:
            return "\(flag(e.setting)): \(e.problem)"
        case let e as TrainingStopped where !e.settings.isEmpty:
            return "\(e.description) (\(e.settings.map(flag).joined(separator: ", ")))"
        default:
            return "error: \(error)"
        }
    }
}
