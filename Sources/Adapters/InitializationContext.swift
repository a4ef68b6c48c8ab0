import Distributed

/// What an initialisation may draw on besides the model and its settings: training samples to
/// estimate gradients from (LoRA-SB; LoRA-GA) and the run's schedule (LoRA-SB's η_eff). Methods
/// that initialise from the weights alone ignore it.
public struct InitializationContext {
    /// Where gradient-estimation samples come from.
    public enum Samples {
        /// The training set: `count` examples, batched for the model by `batches(indices)` in
        /// the order given. The method chooses which ones.
        case training(count: Int, batches: ([Int]) throws -> [TrainingBatch])
        /// Batches chosen by the caller, used as they are.
        case batches([TrainingBatch])
    }

    public var samples: Samples
    public var learningRate: InitLearningRate
    public var schedule: RunSchedule?
    /// The processes of a data-parallel run: each estimates gradients on its share of the
    /// samples and the sums are all-reduced, so every process factors the same update.
    public var communicator: any Communicator

    public init(samples: Samples, learningRate: InitLearningRate, schedule: RunSchedule?,
                communicator: any Communicator = SingleProcess()) {
        self.samples = samples
        self.learningRate = learningRate
        self.schedule = schedule
        self.communicator = communicator
    }

    /// No data: for methods that initialise from the weights alone.
    public static let none = InitializationContext(samples: .batches([]), learningRate: .formula, schedule: nil)
}

/// The part of a training run's schedule an initialisation can depend on.
public struct RunSchedule: Sendable, Equatable {
    public var learningRate: Double
    public var warmupRatio: Double
    /// Optimizer steps in the run.
    public var totalSteps: Int
    /// Passes over the training data the run makes.
    public var epochs: Double

    public init(learningRate: Double, warmupRatio: Double, totalSteps: Int, epochs: Double) {
        self.learningRate = learningRate
        self.warmupRatio = warmupRatio
        self.totalSteps = totalSteps
        self.epochs = epochs
    }
}

/// How LoRA-SB chooses η_eff, the step size of its first-step approximation.
public enum InitLearningRate: Sendable, Equatable, CustomStringConvertible {
    /// The paper's `lr / (warmup_ratio · total_steps)`.
    case formula
    /// The authors' code: the step count of a batch-3 loader over the whole training set.
    case authors
    /// η_eff itself, independent of the learning rate and the schedule: in short runs the
    /// formula's lr / (warmup_ratio · steps) approaches lr, a step that can raise the loss.
    case fixed(Double)

    /// `formula`, `authors`, or a positive number (η_eff itself); nil for anything else.
    public init?(argument: String) {
        switch argument {
        case "formula": self = .formula
        case "authors": self = .authors
        default:
            guard let value = Double(argument), value.isFinite, value > 0 else { return nil }
            self = .fixed(value)
        }
    }

    public var description: String {
        switch self {
        case .formula: return "formula"
        case .authors: return "authors"
        case .fixed(let value): return String(value)
        }
    }
}
