import Adapters
import Foundation

/// The paper's two decoder task families as suites: arithmetic (its Table 1) and commonsense
/// reasoning (its Table 2). Both train one adapter per configuration and score it with the
/// families' own evaluations (`ExperimentAccuracy`), as `lorasb eval` does.
///
/// Full scale runs on Qwen2.5-Coder-0.5B-Instruct (`scripts/fetch-qwen.sh`), the smallest model
/// where these accuracies leave zero; smoke scale runs the whole pipeline on SmolLM2 in seconds.
extension ExperimentSuite {
    /// The arithmetic comparison at the paper's lowest rank: LoRA-SB and LoRA-XS at 32 against
    /// LoRA at 32 (the paper's Table 1 adds 64 and 96, left out to fit the budget: every run
    /// costs about an hour of training and two of generation on two cores).
    public static let arithmeticRanks: [(AdapterMethod, [Int])] = [(.loraSB, [32]), (.loraXS, [32]), (.lora, [32])]
    /// The commonsense comparison: LoRA-SB at 32 and 96 against LoRA at 32 and LoRA-XS at 96.
    public static let commonsenseRanks: [(AdapterMethod, [Int])] = [(.loraSB, [32, 96]), (.lora, [32]), (.loraXS, [96])]

    /// The real-size model of the full-scale family suites.
    static let familySuiteModel = "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"

    /// What both family suites share at a scale.
    struct FamilyScale {
        var trainExamples, steps, batchSize, maxSequenceLength, stepsPerEval, initSamples, evaluationBatch: Int
        var warmupRatio: Double
        /// Problems per evaluated set (nil: all) and new tokens per answer (nil: the family's).
        var problems: Int?
        var maxNewTokens: Int?
        /// LoRA-SB's η_eff and the generations' arithmetic.
        var initLearningRate: InitLearningRate
        var evaluationPrecision: ComputePrecision

        init(_ scale: ExperimentScale, problemsAtFullScale: Int?) {
            switch scale {
            case .full:
                // One epoch of 1,000 examples in batches of 8 (the paper trains for epochs on
                // far more; 1,000 is what the budget allows at ~65 training tokens/s).
                trainExamples = 1000; steps = 125; batchSize = 8; maxSequenceLength = 320; stepsPerEval = 25
                initSamples = 50; evaluationBatch = 8; warmupRatio = 0.1
                problems = problemsAtFullScale; maxNewTokens = nil
                // The formula's lr / (0.1 · 125) = 8e-5 is a sign step over every weight large
                // enough to hurt Qwen2.5-0.5B: η_eff = 4e-5 took its GSM8K answer loss from 1.17
                // to 1.45 before the first step, 5e-4 to 8.97; 2e-5 lowered it (1.21 → 0.95).
                initLearningRate = .fixed(2e-5)
                evaluationPrecision = .q8
            case .smoke:
                trainExamples = 8; steps = 2; batchSize = 2; maxSequenceLength = 96; stepsPerEval = 1
                initSamples = 4; evaluationBatch = 2; warmupRatio = 0.1
                problems = 2; maxNewTokens = 8
                initLearningRate = .formula; evaluationPrecision = .fp32
            }
        }
    }

    /// MATH500 problems scored at full scale: the first 200 (a ±7-point interval at 50%); all
    /// 500 would cost as much generation as the whole GSM8K test split.
    static let mathProblemsAtFullScale = 200

    /// `ranks` at full scale (every method at rank 2 for smoke), at the decoder suites' rates.
    static func familyConfigurations(task: String, scale: ExperimentScale, ranks: [(AdapterMethod, [Int])],
                                     initSamples: Int) -> [ExperimentConfiguration] {
        ranks.flatMap { method, full in
            (scale == .full ? full : [2]).map {
                ExperimentConfiguration(task: task, method: method, rank: $0,
                                        learningRate: decoderLearningRates[method] ?? 1e-3, initSamples: initSamples)
            }
        }
    }

    static func familyModel(_ scale: ExperimentScale, _ locations: ExperimentLocations) -> URL {
        locations.model ?? locations.models.appendingPathComponent(scale == .full ? familySuiteModel : "SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    static func arithmetic(scale: ExperimentScale, locations: ExperimentLocations) -> ExperimentSuite {
        let s = FamilyScale(scale, problemsAtFullScale: nil)
        let gsm8k = gsm8kAccuracy(locations, problems: s.problems, maxNewTokens: s.maxNewTokens ?? GSM8KTask().maxNewTokens,
                                  batchSize: s.evaluationBatch)
        let math = mathAccuracy(locations, problems: scale == .full ? mathProblemsAtFullScale : s.problems,
                                maxNewTokens: s.maxNewTokens ?? MATHTask().maxNewTokens,
                                batchSize: s.evaluationBatch)
        let validation = scale == .full ? 32 : 4
        let model = familyModel(scale, locations)
        var suite = ExperimentSuite(
            name: .arithmetic, scale: scale, title: "Arithmetic: GSM8K training, GSM8K and MATH500 accuracy",
            summary: "LoRA-SB and LoRA-XS at r = \(scale == .full ? "32" : "2") against LoRA at r = \(scale == .full ? "32" : "2") (the paper's Table 1 at its lowest rank) on \(model.lastPathComponent): the first \(s.trainExamples) GSM8K training problems, \(s.steps) steps of \(s.batchSize), all seven projections adapted (MetaMathQA, the paper's training set, is not available). Answer loss on the first \(validation) GSM8K test problems; accuracy by greedy generation\(s.evaluationPrecision == .q8 ? " (q8 products, as llama.cpp decodes)" : "") on \(s.problems.map { "the first \($0) problems of " } ?? "all of ")GSM8K's test split (last number of the answer) and \(scale == .full ? "the first \(mathProblemsAtFullScale) problems of " : "")MATH500 (last \\boxed{} answer, MATH-normalised). LoRA-SB's η_eff: \(s.initLearningRate).",
            model: model, tasks: [gsm8kTask(locations, train: s.trainExamples, validation: validation, accuracies: [gsm8k, math])],
            configurations: familyConfigurations(task: "gsm8k", scale: scale, ranks: arithmeticRanks, initSamples: s.initSamples),
            targets: decoderTargets, steps: s.steps, batchSize: s.batchSize, warmupRatio: s.warmupRatio,
            maxSequenceLength: s.maxSequenceLength, stepsPerEval: s.stepsPerEval, accuracies: [gsm8k, math])
        suite.initLearningRate = s.initLearningRate
        suite.evaluationPrecision = s.evaluationPrecision
        return suite
    }

    static func commonsense(scale: ExperimentScale, locations: ExperimentLocations) -> ExperimentSuite {
        // 200 problems of each of the six sets at full scale: 1,200 generations per run.
        let s = FamilyScale(scale, problemsAtFullScale: 200)
        let folder = locations.data.appendingPathComponent("commonsense")
        let sets = ((try? CommonsenseTask.setFolders(folder)) ?? [])
            .filter { FileManager.default.fileExists(atPath: $0.url.appendingPathComponent("test.json").path) }
            .map(\.name)
        let accuracy = ExperimentAccuracy(name: "commonsense", title: "mean acc",
                                          data: DataOptions(path: folder, taskFamily: "commonsense"),
                                          problems: s.problems, maxNewTokens: s.maxNewTokens ?? CommonsenseTask().maxNewTokens,
                                          batchSize: s.evaluationBatch, sets: sets)
        // The sets have no validation files: the answer loss is measured on the first test
        // examples of the interleaved sets (as `lorasb train` does), a few dozen, not 10,423.
        let validation = scale == .full ? 48 : 4
        let data = DataOptions(path: folder, taskFamily: "commonsense", maxTrainExamples: s.trainExamples,
                               maxValidationExamples: validation)
        let columns = [ExperimentColumn("answer loss", task: "commonsense", metric: ExperimentRecord.validationLoss),
                       ExperimentColumn("loss after init", task: "commonsense", metric: ExperimentRecord.initValidationLoss)]
        let model = familyModel(scale, locations)
        var suite = ExperimentSuite(
            name: .commonsense, scale: scale, title: "Commonsense reasoning: one adapter on the union, every test set",
            summary: "LoRA-SB at r = \(scale == .full ? "32 and 96" : "2") against LoRA at r = \(scale == .full ? "32" : "2") and LoRA-XS at r = \(scale == .full ? "96" : "2") (the paper's Table 2) on \(model.lastPathComponent): the first \(s.trainExamples) examples of the interleaved union of the sets' training data with the Alpaca prompt and the loss on the response, \(s.steps) steps of \(s.batchSize), all seven projections adapted. Accuracy by greedy generation on \(s.problems.map { "the first \($0) problems of " } ?? "")each test set, the first answer keyword of the set in the output (none = wrong), as the authors score it; 'mean acc' is the mean over the sets. Answer loss on the first \(validation) test examples of the interleaved sets (they have no validation split).\(s.evaluationPrecision == .q8 ? " Generations with q8 products, as llama.cpp decodes." : "") LoRA-SB's η_eff: \(s.initLearningRate).",
            model: model, tasks: [ExperimentTask(name: "commonsense", data: data, columns: columns + accuracy.columns(task: "commonsense"))],
            configurations: familyConfigurations(task: "commonsense", scale: scale, ranks: commonsenseRanks, initSamples: s.initSamples),
            targets: decoderTargets, steps: s.steps, batchSize: s.batchSize, warmupRatio: s.warmupRatio,
            maxSequenceLength: s.maxSequenceLength, stepsPerEval: s.stepsPerEval, accuracies: [accuracy])
        suite.initLearningRate = s.initLearningRate
        suite.evaluationPrecision = s.evaluationPrecision
        return suite
    }
}
