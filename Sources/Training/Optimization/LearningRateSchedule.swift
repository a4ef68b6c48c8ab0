import Adapters
import Foundation

/// The learning rate of every optimizer step: a linear warm-up from 0, then cosine or linear
/// decay to 0, or a constant rate, computing the same multipliers as transformers'
/// `get_cosine_schedule_with_warmup` (one half-cycle), `get_linear_schedule_with_warmup` and
/// `get_constant_schedule_with_warmup`.
///
/// Steps are counted from 0 as `LambdaLR` counts them: the first optimizer step uses the
/// multiplier of step 0, which is 0 whenever there is a warm-up (the Trainer's first update then
/// only fills the Adam moments).
public struct LearningRateSchedule: Equatable, Sendable, Codable {
    public enum Decay: String, Equatable, Sendable, Codable, CaseIterable {
        case cosine
        case linear
        case constant
    }

    /// The learning rate after warm-up.
    public let peak: Double
    public let decay: Decay
    public let warmupSteps: Int
    public let totalSteps: Int

    /// Throws for a negative or non-finite peak or a negative step count.
    public init(peak: Double, decay: Decay, warmupSteps: Int, totalSteps: Int) throws {
        try SettingError.check("learningRate", peak, in: 0...Double.greatestFiniteMagnitude)
        try SettingError.check("warmupSteps", warmupSteps, atLeast: 0)
        try SettingError.check("iterations", totalSteps, atLeast: 0)
        self.peak = peak
        self.decay = decay
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// A schedule whose warm-up lasts `ceil(warmupRatio · totalSteps)` steps, as
    /// `TrainingArguments.get_warmup_steps` derives it from a ratio. Throws for a ratio outside
    /// [0, 1] and the cases the step-count initializer rejects.
    public init(peak: Double, decay: Decay, warmupRatio: Double, totalSteps: Int) throws {
        try self.init(peak: peak, decay: decay,
                      warmupSteps: LearningRateSchedule.warmupSteps(ratio: warmupRatio, totalSteps: totalSteps),
                      totalSteps: totalSteps)
    }

    /// `ceil(totalSteps · ratio)`, in Double as Python computes it. Throws for a ratio outside
    /// [0, 1] or a negative step count.
    public static func warmupSteps(ratio: Double, totalSteps: Int) throws -> Int {
        try SettingError.check("warmupRatio", ratio, in: 0...1)
        try SettingError.check("iterations", totalSteps, atLeast: 0)
        return Int((Double(totalSteps) * ratio).rounded(.up))
    }

    /// The factor applied to `peak` at 0-based optimizer step `step`.
    public func multiplier(atStep step: Int) -> Double {
        if step < warmupSteps {
            return Double(step) / Double(max(1, warmupSteps))
        }
        switch decay {
        case .constant:
            return 1
        case .linear:
            return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }

    /// The learning rate of 0-based optimizer step `step`.
    public func learningRate(atStep step: Int) -> Double {
        peak * multiplier(atStep: step)
    }
}
