import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// The suites hold the issue's methods and ranks, share everything else across methods, and
/// the runner's settings record tells runs apart.
@Suite struct ExperimentSuiteTests {
    let locations = ExperimentLocations(models: URL(fileURLWithPath: "/models"), data: URL(fileURLWithPath: "/data"))

    func ranks(_ suite: ExperimentSuite, _ method: AdapterMethod, task: String? = nil) -> [Int] {
        suite.configurations.filter { $0.method == method && (task == nil || $0.task == task) }.map(\.rank)
    }

    @Test func decoderSuiteHasTheIssuesMethodsAndRanks() throws {
        let s = ExperimentSuite.make(.decoder, scale: .full, locations: locations)
        #expect(s.model.path == "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(ranks(s, .loraSB) == [16, 32, 64])
        #expect(ranks(s, .loraXS) == [16, 32, 64])
        #expect(ranks(s, .lora) == [8, 16])
        #expect(s.configurations.filter { $0.method == .full }.count == 1)
        // Every registered method: LoRA-SB and LoRA-XS at three ranks, the others at LoRA's.
        let others = AdapterMethod.allCases.filter { ![.loraSB, .loraXS].contains($0) }
        #expect(s.configurations.count == 6 + others.map { $0.isLowRank ? 2 : 1 }.reduce(0, +))
        #expect(Set(s.configurations.map(\.method)) == Set(AdapterMethod.allCases))
        #expect(s.targets == ["q", "k", "v", "o", "gate", "up", "down"])
        let task = try #require(s.task("gsm8k"))
        #expect(task.data.path.path == "/data/gsm8k")
        #expect(task.data.promptField == "question" && task.data.completionField == "answer")
        // "A few thousand examples at most", and enough for the largest init-sample count.
        let train = try #require(task.data.maxTrainExamples)
        #expect(train <= 3000 && train >= ExperimentSuite.initSampleCounts.max() ?? 0)
        #expect(s.accuracies.map(\.name) == ["gsm8k"])
        #expect(task.columns.map(\.title) == ["answer loss", "loss after init", "GSM8K acc"])
        // Every LoRA-SB run initialises from the same samples with the paper's sign step.
        #expect(Set(s.configurations.filter { $0.method == .loraSB }.map(\.initSamples)) == [50])
        #expect(Set(s.configurations.map(\.initGradient)) == [.sign])
        #expect(Set(s.configurations.map(\.id)).count == s.configurations.count)
    }

    @Test func glueSuiteRunsEveryMethodOnThePapersTasks() throws {
        let s = ExperimentSuite.make(.glue, scale: .full, locations: locations)
        #expect(s.model.path == "/models/all-MiniLM-L6-v2")
        #expect(s.tasks.map(\.name) == ["CoLA", "MRPC", "RTE"])
        #expect(s.tasks.map { $0.data.path.path } == ["/data/glue/CoLA", "/data/glue/MRPC", "/data/glue/RTE"])
        #expect(s.tasks.flatMap(\.columns).map(\.title)
                == ["CoLA MCC", "CoLA best MCC", "MRPC acc", "MRPC F1", "MRPC best acc", "RTE acc", "RTE best acc"])
        #expect(s.tasks.flatMap(\.columns).map(\.metric)
                == ["matthews_correlation", "best_matthews_correlation", "accuracy", "f1", "best_accuracy", "accuracy", "best_accuracy"])
        for task in ["CoLA", "MRPC", "RTE"] {
            #expect(ranks(s, .loraSB, task: task) == [8, 24])
            #expect(ranks(s, .loraXS, task: task) == [8, 24])
            #expect(ranks(s, .lora, task: task) == [8])
            #expect(s.configurations.filter { $0.task == task && $0.method == .full }.count == 1)
        }
        #expect(s.configurations.count == 3 * (4 + AdapterMethod.allCases.filter { ![.loraSB, .loraXS].contains($0) }.count))
        // The reproduction's protocol: 10 epochs of 32 on 1,000 examples per task, linear decay,
        // warm-up 0.06, validation after every epoch; the baselines beside the compared methods run once.
        #expect(s.epochs == 10 && s.batchSize == 32 && s.decay == .linear && s.warmupRatio == 0.06 && s.evaluateEachEpoch)
        #expect(s.maxSequenceLength == 128 && s.tasks.allSatisfy { $0.data.maxTrainExamples == 1000 && $0.data.maxValidationExamples == nil })
        #expect(s.runOnce == Set(s.configurations.filter { ![.loraSB, .loraXS, .lora, .full].contains($0.method) }.map(\.id)))
        #expect(s.steps(trainExamples: 1000) == 320 && s.evaluations(trainExamples: 1000) == 11)
        let tuned = try s.withSeeds(3)
        #expect(tuned.tableRunCount == 3 * 6 * 3 + s.runOnce.count)
        var grid = tuned
        grid.learningRateGrid = .multiples([0.5, 1, 2])
        let planned = grid.plannedRuns { _ in nil }
        #expect(planned.count == 3 * (6 * 5) + s.runOnce.count)   // 3 rates, then 2 more seeds
        #expect(planned.filter { s.runOnce.contains($0.run.configuration.id) }.allSatisfy { $0.run.seed == 0 && !$0.rateToBeChosen })
        #expect(s.targets == ["query", "value", "attn_out", "ffn_out"])
        #expect(s.accuracies.isEmpty)
        #expect(Set(s.configurations.map(\.id)).count == s.configurations.count)
        // One row per method and rank, shared by the three tasks.
        #expect(Set(s.configurations.map(\.row)).count == s.configurations.count / 3)
    }

    @Test func familySuitesHoldThePapersRanksAndAccuracies() throws {
        let a = ExperimentSuite.make(.arithmetic, scale: .full, locations: locations)
        #expect(a.model.path == "/models/Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf")
        #expect(ranks(a, .loraSB) == [32] && ranks(a, .loraXS) == [32] && ranks(a, .lora) == [32])
        #expect(a.configurations.count == 3)
        #expect(a.accuracies.map(\.name) == ["gsm8k", "math"])
        #expect(a.accuracies.map { $0.data.taskFamily } == ["gsm8k", "math"])
        #expect(a.accuracies.map { $0.data.path.path } == ["/data/gsm8k", "/data/math/math500_test.jsonl"])
        #expect(a.accuracies.map(\.problems) == [nil, 200])   // all 1,319 GSM8K problems, the first 200 of MATH500
        // Qwen's η_eff is fixed (the formula's would hurt it) and the generations decode in q8.
        #expect(a.initLearningRate == .fixed(2e-5) && a.evaluationPrecision == .q8)
        #expect(a.steps == 125 && a.batchSize == 8)
        #expect(try #require(a.task("gsm8k")).columns.map(\.title) == ["answer loss", "loss after init", "GSM8K acc", "MATH500 acc"])
        #expect(try #require(a.task("gsm8k")).data.maxTrainExamples == 1000)

        let c = ExperimentSuite.make(.commonsense, scale: .full, locations: locations)
        #expect(ranks(c, .loraSB) == [32, 96] && ranks(c, .lora) == [32] && ranks(c, .loraXS) == [96])
        let task = try #require(c.task("commonsense"))
        #expect(task.data.taskFamily == "commonsense" && task.data.maxTrainExamples == 1000 && task.data.maxValidationExamples == 48)
        #expect(c.initLearningRate == .fixed(2e-5) && c.evaluationPrecision == .q8)
        #expect(c.accuracies.map(\.name) == ["commonsense"] && c.accuracies[0].problems == 200)

        // The real data folder: one column per test set after the mean.
        let real = ExperimentSuite.make(.commonsense, scale: .smoke,
                                        locations: ExperimentLocations(models: URL(fileURLWithPath: "/models"), data: TestPaths.sharedData))
        #expect(try #require(real.task("commonsense")).columns.map(\.title)
                == ["answer loss", "loss after init", "mean acc", "ARC-Challenge", "ARC-Easy", "boolq", "openbookqa", "piqa", "winogrande"])
    }

    /// `--dry-run` estimates every suite at the rates measured for the model it runs.
    @Test func dryRunRatesFollowTheSuitesModel() {
        for name in ExperimentSuiteName.allCases {
            let model = ExperimentSuite.make(name, scale: .full, locations: locations).model.lastPathComponent
            let expected: ExperimentThroughput = model.hasPrefix("all-MiniLM") ? .miniLM
                : model.hasPrefix("Qwen2.5-Coder-0.5B") ? .qwen05 : .smolLM2
            if !model.hasPrefix("all-MiniLM") && !model.hasPrefix("Qwen") { #expect(model.hasPrefix("SmolLM2"), "\(name): \(model)") }
            #expect(ExperimentThroughput.measured(for: name).training == expected.training, "\(name) runs \(model)")
        }
    }

    @Test func accuracyMetricsAreNamedAfterTheirEvaluation() {
        let a = ExperimentAccuracy(name: "commonsense", title: "mean acc", data: DataOptions(path: URL(fileURLWithPath: "/d")),
                                   problems: 3, maxNewTokens: 8, batchSize: 2, sets: ["boolq"])
        #expect(a.metric("accuracy") == "commonsense_accuracy")
        #expect(a.metric("boolq.accuracy") == "commonsense.boolq_accuracy")
        #expect(a.metric("ARC-Easy.accuracy_low") == "commonsense.ARC-Easy_accuracy_low")
        #expect(a.columns(task: "t").map(\.metric) == ["commonsense_accuracy", "commonsense.boolq_accuracy"])
        let r = a.request(model: URL(fileURLWithPath: "/m.gguf"), adapter: URL(fileURLWithPath: "/run"))
        #expect(r.split == .test && r.metric == .task && r.limit == 3 && r.maxNewTokens == 8 && r.batchSize == 2)
        #expect(r.generationsOutput?.path == "/run/commonsense.jsonl")
    }

    @Test func ablationsVaryOnlyWhatTheyAblate() {
        let i = ExperimentSuite.make(.ablationInit, scale: .full, locations: locations)
        #expect(i.configurations.count == 5)
        #expect(Set(i.configurations.map(\.method)) == [.loraSB])
        #expect(Set(i.configurations.map(\.rank)) == [32])
        #expect(Set(i.configurations.map(\.learningRate)).count == 1)
        #expect(i.configurations.filter { $0.initGradient == .sign }.map(\.initSamples) == [1, 10, 100, 500])
        #expect(i.configurations.filter { $0.initGradient == .raw }.map(\.initSamples) == [50])
        #expect(i.accuracies.isEmpty)

        let lr = ExperimentSuite.make(.ablationLR, scale: .full, locations: locations)
        let rates = lr.configurations.filter { $0.method == .loraSB }.map(\.learningRate)
        #expect(rates.count >= 3)
        #expect(abs((rates.max() ?? 0) / (rates.min() ?? 1) - 10) < 1e-9)
        #expect(lr.configurations.filter { $0.method == .loraXS }.map(\.learningRate) == rates)
        #expect(Set(lr.configurations.map(\.rank)) == [32])
        #expect(Set(lr.configurations.map(\.id)).count == lr.configurations.count)

        // The learning-rate ablation trains exactly as the decoder suite does; the claims'
        // ablations (initialisation, split) for 500 steps of 2 over 1,000 problems.
        let d = ExperimentSuite.make(.decoder, scale: .full, locations: locations)
        let split = ExperimentSuite.make(.ablationSplit, scale: .full, locations: locations)
        for s in [i, split] {
            #expect(s.steps == 500 && s.batchSize == 2 && s.task("gsm8k")?.data.maxTrainExamples == 1000)
        }
        for s in [lr] {
            #expect(s.steps == d.steps && s.batchSize == d.batchSize && s.seed == d.seed)
            #expect(s.task("gsm8k")?.data.maxTrainExamples == d.task("gsm8k")?.data.maxTrainExamples)
        }
    }

    @Test func smokeScaleIsTiny() {
        for name in ExperimentSuiteName.allCases {
            let s = ExperimentSuite.make(name, scale: .smoke, locations: locations)
            #expect(s.steps >= 2 && s.steps <= 4)
            #expect(s.configurations.allSatisfy { $0.rank <= 2 })
            #expect(s.tasks.allSatisfy { ($0.data.maxTrainExamples ?? .max) <= 32 })
        }
    }

    @Test func specSeparatesRunsAndNamesTheirSettings() throws {
        let s = ExperimentSuite.make(.decoder, scale: .full, locations: locations)
        let runner = ExperimentRunner(suite: s, output: URL(fileURLWithPath: "/tmp/out"), say: { _ in })
        let runs = s.finalRuns { $0.learningRate }
        let specs = runs.map(runner.spec)
        #expect(Set(specs.map { $0.description }).count == specs.count)
        let spec = specs[0]
        #expect(spec["method"] == "lora-sb" && spec["rank"] == "16" && spec["steps"] == String(s.steps))
        #expect(spec["data"] == "/data/gsm8k")
        #expect(runner.runFolder(runs[0]).path == "/tmp/out/runs/decoder/gsm8k-lora-sb-r16-lr1e-03-s0")
        #expect(runner.tableURL.path == "/tmp/out/decoder.md")
        #expect(runner.plotURL.path == "/tmp/out/decoder-loss.svg")
        let smoke = ExperimentRunner(suite: ExperimentSuite.make(.decoder, scale: .smoke, locations: locations),
                                     output: URL(fileURLWithPath: "/tmp/out"), say: { _ in })
        #expect(smoke.tableURL.lastPathComponent == "decoder-smoke.md")
    }

    @Test func aRecordMadeWithOtherSettingsIsNotFinished() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-experiment-spec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = ExperimentSuite.make(.glue, scale: .smoke, locations: locations)
        let runner = ExperimentRunner(suite: s, output: folder, say: { _ in })
        let c = ExperimentRun(s.configurations[0], learningRate: s.configurations[0].learningRate, seed: 0)
        try FileManager.default.createDirectory(at: runner.runFolder(c), withIntermediateDirectories: true)
        var record = ExperimentRecord(run: c, spec: runner.spec(c), trainableParameters: 1, totalParameters: 2,
                                      metrics: ["accuracy": 0.5, "bad": .nan], initSeconds: 1, trainingSeconds: 2,
                                      evaluationSeconds: nil, wallSeconds: 3, tokens: 4)
        try record.save(in: runner.runFolder(c))
        let loaded = try #require(try runner.finishedRecord(c))
        #expect(loaded.metrics == ["accuracy": 0.5])          // non-finite values are not stored
        record.spec["steps"] = "999"
        try record.save(in: runner.runFolder(c))
        #expect(try runner.finishedRecord(c) == nil)
        // A damaged record is an error naming the file, not a silent rerun.
        try Data("{".utf8).write(to: runner.runFolder(c).appendingPathComponent("experiment.json"))
        #expect(throws: ExperimentError.self) { try runner.finishedRecord(c) }
    }

    @Test func metricsLogReading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-metrics-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("""
            {"step":0,"validation_loss":2.5,"validation_seconds":0.1}
            {"step":1,"loss":3.0,"learning_rate":0.001,"tokens":40,"seconds":1}
            {"step":2,"loss":null,"learning_rate":0.001,"tokens":80,"seconds":2}
            {"step":2,"validation_loss":2.0,"validation_seconds":0.1}
            {"step":2,"accuracy":0.75,"f1":0.5}
            {"step":3,"lo
            """.utf8).write(to: url)
        let log = try RunMetricsLog.read(url)
        #expect(log.validationLoss == [.init(step: 0, value: 2.5), .init(step: 2, value: 2.0)])
        #expect(log.trainingLoss.count == 2 && log.trainingLoss[0].value == 3 && log.trainingLoss[1].value.isNaN)
        #expect(log.finalValues == ["accuracy": 0.75, "f1": 0.5])
        #expect(log.tokens == 80)
        try Data("{\"step\":1,\"loss\":1}\nnot json\n{\"step\":2,\"loss\":1}\n".utf8).write(to: url)
        let error = try #require(throws: ExperimentError.self) { try RunMetricsLog.read(url) }
        #expect(error.description.contains(url.path) && error.description.contains("line 2"))
    }
}
