import Adapters
import Foundation
import Training

/// The comparisons `lorasb experiment` knows how to run.
public enum ExperimentSuiteName: String, Sendable, CaseIterable, Codable {
    /// SmolLM2-135M-Instruct on GSM8K: every method, answer loss and GSM8K accuracy.
    case decoder
    /// The paper's arithmetic table: GSM8K training, GSM8K and MATH500 accuracy, LoRA-SB and
    /// LoRA-XS at r = 32/64/96 against LoRA r = 32 (Qwen2.5-Coder-0.5B-Instruct at full scale).
    case arithmetic
    /// The paper's commonsense table: one adapter on the union of the sets' training data,
    /// accuracy on every test set (Qwen2.5-Coder-0.5B-Instruct at full scale).
    case commonsense
    /// all-MiniLM-L6-v2 on CoLA, MRPC and RTE: every method, the paper's GLUE metrics.
    case glue
    /// LoRA-SB's initialisation on the decoder suite: init samples × sign or raw gradient.
    case ablationInit = "ablation-init"
    /// LoRA-SB's (and LoRA-XS's) sensitivity to the learning rate over a 10× range.
    case ablationLR = "ablation-lr"
    /// LoRA-SB's subspace: from ΔW, from a random matrix, from ΔW plus noise (paper, Table 4).
    case ablationBasis = "ablation-basis"
    /// LoRA-SB's split of the SVD: orthonormal B and A against B = U_r Σ_r (paper, Table 5).
    case ablationSplit = "ablation-split"
    /// The paper's claim that LoRA-SB simulates full fine-tuning in its subspace: the cosine
    /// between each method's update and full fine-tuning's, step by step (all-MiniLM-L6-v2, MRPC).
    case subspace
}

/// How big a suite is: `smoke` checks the whole pipeline in seconds; `full` is the comparison.
public enum ExperimentScale: String, Sendable, CaseIterable, Codable {
    case smoke
    case full
}

/// One training run of a suite: a method with its rank and the settings it varies.
public struct ExperimentConfiguration: Sendable, Equatable, Codable {
    /// The run folder's name, unique within the suite (`rte-lora-sb-r24`).
    public var id: String
    /// The table row the run belongs to: runs of one method on several tasks share it.
    public var row: String
    /// The task the run trains on (a key of `ExperimentSuite.tasks`).
    public var task: String
    public var method: AdapterMethod
    /// The adapter rank (ignored by full fine-tuning).
    public var rank: Int
    public var learningRate: Double
    /// LoRA-SB: samples of the gradient estimate and how ΔW is formed from it.
    public var initSamples: Int
    public var initGradient: AdapterSettings.InitGradient
    /// LoRA-SB's initialisation ablations (`AdapterSettings`; the method's own by default).
    public var initBasis: AdapterSettings.InitBasis
    public var initNoise: Double
    public var initSplit: AdapterSettings.InitSplit
    /// What the run varies besides method and rank, for the table (`n=50, sign`), or nil.
    public var setting: String?

    public init(task: String, method: AdapterMethod, rank: Int, learningRate: Double,
                initSamples: Int, initGradient: AdapterSettings.InitGradient = .sign,
                initBasis: AdapterSettings.InitBasis = .update, initNoise: Double = 0,
                initSplit: AdapterSettings.InitSplit = .orthonormal,
                setting: String? = nil, idSuffix: String? = nil) {
        self.task = task
        self.method = method
        self.rank = rank
        self.learningRate = learningRate
        self.initSamples = initSamples
        self.initGradient = initGradient
        self.initBasis = initBasis
        self.initNoise = initNoise
        self.initSplit = initSplit
        self.setting = setting
        let base = method == .full ? method.rawValue : "\(method.rawValue)-r\(rank)"
        row = idSuffix.map { "\(base)-\($0)" } ?? base
        id = "\(task.lowercased())-\(row)"
    }

    /// `LoRA-SB`, `LoRA-XS`, `LoRA`, `Full FT`.
    public var methodName: String { method.displayName }
}

/// The data one task of a suite trains and evaluates on.
public struct ExperimentTask: Sendable {
    /// `gsm8k`, `CoLA`, `MRPC`, `RTE`.
    public var name: String
    public var data: DataOptions
    /// The table's metric columns for this task, in order.
    public var columns: [ExperimentColumn]
    /// The record metric a learning-rate grid maximises on this task (a head's dev metric after
    /// the last epoch), or nil to minimise the final validation loss.
    public var selectionMetric: String? = nil
}

/// One metric column of a results table: which record value it shows and how.
public struct ExperimentColumn: Sendable, Equatable {
    public var title: String
    public var task: String
    /// A key of `ExperimentRecord.metrics`.
    public var metric: String

    public init(_ title: String, task: String, metric: String) {
        self.title = title
        self.task = task
        self.metric = metric
    }
}

/// A whole comparison: the model, the tasks, the shared training and evaluation settings, and
/// the configurations that differ only in what the comparison is about. Every configuration of
/// a suite sees the same data, steps, batch size, seed and evaluation.
public struct ExperimentSuite: Sendable {
    public var name: ExperimentSuiteName
    public var scale: ExperimentScale
    public var title: String
    /// What the suite compares and how, a paragraph for the results file.
    public var summary: String
    public var model: URL
    public var tasks: [ExperimentTask]
    public var configurations: [ExperimentConfiguration]
    public var targets: [String]
    /// Optimizer steps of every run; replaced by `epochs` when that is set.
    public var steps: Int
    /// Passes over each task's training set (steps follow from its size), or nil for `steps`.
    public var epochs: Double? = nil
    /// The decay after warm-up (Transformers' GLUE scripts: linear).
    public var decay: LearningRateSchedule.Decay = .cosine
    /// Validation after every epoch instead of every `stepsPerEval` steps.
    public var evaluateEachEpoch = false
    public var batchSize: Int
    public var warmupRatio: Double
    public var maxSequenceLength: Int
    /// The seeds every configuration runs with; its table cells are the mean ± standard
    /// deviation over them. The first also seeds the tuning runs of a grid.
    public var seeds: [UInt64] = ExperimentSuite.defaultSeeds
    /// The rates each configuration is tuned over (nil: its own rate, untuned).
    public var learningRateGrid: LearningRateGrid? = nil
    /// Configurations (by id) that run once, at their own rate with the first seed, whatever
    /// the grid and seeds: reference rows beside the comparison the suite is about.
    public var runOnce: Set<String> = []
    /// What `--lr-grid standard` means for this suite.
    public var standardLearningRateGrid: LearningRateGrid = ExperimentSuite.standardLearningRateGrid
    /// Validation loss every this many steps (also before the first and after the last).
    public var stepsPerEval: Int
    /// LoRA-SB's η_eff: the paper's formula unless the model needs a given value.
    public var initLearningRate: InitLearningRate = .formula
    /// What the accuracies' generations multiply in (`q8`: llama.cpp's 8-bit arithmetic on the
    /// quantised weights, several times faster than fp32 at this size).
    public var evaluationPrecision: ComputePrecision = .fp32
    /// Every this many steps (and at the last), each adapter run's update is compared with the
    /// full fine-tuning run's of the same task and seed (`SubspaceTracking`); nil: not tracked.
    public var subspaceInterval: Int? = nil
    /// Decoder suites: the task-family accuracies every trained run is scored on (GSM8K,
    /// MATH500, the commonsense sets); empty: losses and head metrics only.
    public var accuracies: [ExperimentAccuracy] = []

    /// The first seed: the one of a single-seed suite and of the tuning runs.
    public var seed: UInt64 { seeds.first ?? 0 }

    /// The task named `name`.
    public func task(_ name: String) -> ExperimentTask? { tasks.first { $0.name == name } }

    /// The trainer settings every configuration shares, at the run's rate and seed.
    public func trainerSettings(_ run: ExperimentRun) -> TrainerSettings {
        // With `epochs` the run's plan counts the steps from the task's data (`TrainingPlan`).
        TrainerSettings(iterations: epochs == nil ? steps : 1, batchSize: batchSize, learningRate: run.learningRate,
                        warmupRatio: warmupRatio, decay: decay, seed: run.seed, stepsPerEval: stepsPerEval,
                        validationBatches: 0, saveEvery: 0, stepsPerReport: 1)
    }

    /// The suite in one sentence, from its own settings (the command line's list of suites):
    /// model, tasks, data and run length, then its rows.
    public var synopsis: String {
        let limits = tasks.compactMap { $0.data.maxTrainExamples }
        let examples = limits.isEmpty ? "all examples"
            : limits.count == tasks.count && Set(limits).count == 1 ? "first \(limits[0]) examples"
            : "up to \(limits.max() ?? 0) examples"
        var rows: [String] = []
        for c in configurations where !rows.contains(c.row) { rows.append(c.row) }
        return "\(model.lastPathComponent) on \(tasks.map(\.name).joined(separator: ", ")) (\(examples)"
            + "\(tasks.count > 1 ? " per task" : ""), \(runLength) of \(batchSize)): \(rows.joined(separator: "; "))"
    }

    /// How long every run trains, in words: "10 epochs" or "500 steps".
    public var runLength: String { Self.runLength(epochs: epochs, steps: steps) }

    static func runLength(epochs: Double?, steps: Int) -> String {
        epochs.map { "\(String(format: "%g", $0)) epochs" } ?? "\(steps) steps"
    }

    /// Optimizer steps of a run on a task of `trainExamples` examples (as `TrainingPlan` counts
    /// them from `epochs`).
    public func steps(trainExamples: Int) -> Int {
        guard let epochs else { return steps }
        return TrainingPlan.steps(epochs: epochs, stepsPerEpoch: stepsPerEpoch(trainExamples: trainExamples))
    }

    /// Validations of such a run: before the first step, every `stepsPerEval` steps (or epoch)
    /// and after the last.
    public func evaluations(trainExamples: Int) -> Int {
        let total = steps(trainExamples: trainExamples)
        let every = evaluateEachEpoch ? TrainingPlan.stepsPerEvaluation(stepsPerEpoch: stepsPerEpoch(trainExamples: trainExamples))
                                      : stepsPerEval
        return 2 + (every > 0 ? (total - 1) / every : 0)
    }

    private func stepsPerEpoch(trainExamples: Int) -> Double {
        Double((trainExamples + batchSize - 1) / batchSize)
    }

    /// The adapter settings of a run. The estimation samples are taken in file order, as when
    /// the committed results were made.
    public func adapterSettings(_ run: ExperimentRun) -> AdapterSettings {
        let c = run.configuration
        return AdapterSettings(method: c.method, rank: c.rank, targets: targets, seed: run.seed,
                               initSamples: c.initSamples, initGradient: c.initGradient, initOrder: .file,
                               initBasis: c.initBasis, initNoise: c.initNoise, initSplit: c.initSplit)
    }
}

/// Where the suites find their model files and data.
public struct ExperimentLocations: Sendable {
    /// Holds `SmolLM2-135M-Instruct.Q4_1.gguf`, `all-MiniLM-L6-v2/` and, for the full-scale
    /// arithmetic and commonsense suites, `Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf`.
    public var models: URL
    /// Holds `gsm8k/`, `math/`, `commonsense/` and `glue/{CoLA,MRPC,RTE}/`.
    public var data: URL
    /// Replaces the suite's default model when set.
    public var model: URL?

    public init(models: URL, data: URL, model: URL? = nil) {
        self.models = models
        self.data = data
        self.model = model
    }

    /// `$LORASB_MODELS` or `~/.cache/lorasb/models`, and `$LORASB_DATA` or `../shared/data`
    /// (relative to the current directory, as in the project's layout).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ExperimentLocations {
        let models = environment["LORASB_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lorasb/models")
        let data = URL(fileURLWithPath: environment["LORASB_DATA"] ?? "../shared/data")
        return ExperimentLocations(models: models, data: data)
    }
}
