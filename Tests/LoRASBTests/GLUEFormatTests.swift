import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// Every GLUE layout of the paper's six tasks trains and evaluates without flags, from a folder
/// whose name says nothing about the task: CoLA, MRPC and RTE from the first rows of the shared
/// data, SST-2, QNLI and STS-B from files laid out as the public distribution ships them. STS-B
/// is a regression: a one-output head, MSE, Pearson and Spearman in the log and the results.
@Suite(.serialized) struct GLUEFormatTests {
    struct Case: Sendable, CustomStringConvertible {
        let task: GLUETask
        let metrics: [String]
        var description: String { task.folderName }
    }

    static let cases = [
        Case(task: .cola, metrics: ["matthews_correlation", "accuracy"]),
        Case(task: .sst2, metrics: ["accuracy"]),
        Case(task: .mrpc, metrics: ["accuracy", "f1"]),
        Case(task: .qnli, metrics: ["accuracy"]),
        Case(task: .rte, metrics: ["accuracy"]),
        Case(task: .stsb, metrics: ["pearson", "spearman"]),
    ]

    /// The task's files (the first 33 lines of each shared file) under a neutral folder name.
    static func neutralCopy(_ task: GLUETask, in root: URL) throws -> URL {
        let fixtures = TestPaths.fixtures.appendingPathComponent("glue-formats/\(task.folderName)")
        let source = FileManager.default.fileExists(atPath: fixtures.path)
            ? fixtures : try TestPaths.require(TestPaths.sharedData.appendingPathComponent("glue/\(task.folderName)"))
        let folder = root.appendingPathComponent("data-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".tsv") {
            let text = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(33)
            try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }

    @Test(arguments: cases)
    func trainsAndEvaluatesFromItsColumns(_ c: Case) throws {
        let model = try TestPaths.require(TestPaths.miniLM)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-glue-format-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = DataOptions(path: try Self.neutralCopy(c.task, in: root))
        #expect(data.resolvedGLUETask == nil, "the folder name must not give the task away")
        let output = root.appendingPathComponent("run")
        let trainer = TrainerSettings(iterations: 3, batchSize: 4, learningRate: 2e-3, warmupRatio: 0.3, seed: 0,
                                      stepsPerEval: 2, validationBatches: 0, saveEvery: 0, stepsPerReport: 1)
        let adapter = AdapterSettings(method: .loraSB, rank: 2, targets: ["query", "value"], initSamples: 4)
        let request = FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer,
                                      maxSequenceLength: 64, output: output, evaluateBase: false)
        let result = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        guard case .finished = result.outcome else { Issue.record("the run did not finish"); return }
        #expect(result.finalMetrics.map(\.0) == c.metrics)
        #expect(result.finalMetrics.allSatisfy { $0.1.isFinite }, "\(result.finalMetrics)")
        let loss = try #require(result.finalValidationLoss)
        #expect(loss.isFinite && loss > 0)

        let manifest = try AdapterFolder.manifest(in: output)
        #expect(manifest.problemType == (c.task.isRegression ? "regression" : nil))
        if c.task.isRegression {
            #expect(manifest.labels == nil, "a regression head names no classes")
        } else {
            #expect((manifest.labels?.count ?? 0) >= 2)
        }

        // Every validation in the log carries the correlations for a regression.
        let log = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let validations = log.split(separator: "\n").filter { $0.contains("\"validation_loss\"") }
        #expect(validations.count == 3)   // before the first step, at step 2, after the last
        #expect(validations.allSatisfy { $0.contains("\"pearson\"") } == c.task.isRegression)

        // Evaluating the saved adapter on the same split reproduces the run's final numbers.
        var evaluation = EvaluationRequest(model: model, adapter: output, data: data)
        evaluation.batchSize = trainer.batchSize
        evaluation.maxSequenceLength = request.maxSequenceLength
        let evaluated = try EvaluationJob(evaluation).run()
        #expect(evaluated.file.hasSuffix("dev.tsv"))
        #expect(Array(evaluated.values.map(\.name).prefix(c.metrics.count)) == c.metrics)
        for (name, value) in result.finalMetrics {
            let again = try #require(evaluated.value(name))
            #expect(abs(again - value) < 1e-6, "\(name): evaluation \(again), training \(value)")
        }
        #expect(abs(try #require(evaluated.value("loss")) - loss) < 1e-4)
    }

    @Test func numericLabelsWithFractionsAreARegression() throws {
        func data(_ labels: [String]) -> ClassificationDataset {
            ClassificationDataset(path: "scores.jsonl", examples: labels.map { ClassificationExample(text: "x", label: $0) },
                                  lines: Array(1...labels.count))
        }
        #expect(ClassificationLayout.of(data(["0.5", "3.8", "1"]), task: nil, requested: nil) == .regression(range: nil))
        #expect(ClassificationLayout.of(data(["0", "1", "1"]), task: nil, requested: nil) == .classes(labels: ["0", "1"], task: nil))
        #expect(ClassificationLayout.of(data(["0", "1"]), task: nil, requested: .regression) == .regression(range: nil))
        #expect(ClassificationLayout.of(data(["0.5", "3.8"]), task: nil, requested: .classification)
                == .classes(labels: ["0.5", "3.8"], task: nil))
        #expect(ClassificationLayout.of(data(["entailment", "2.5"]), task: nil, requested: nil).isRegression == false)
        #expect(ClassificationLayout.of(data(["5.000", "1.200"]), task: .stsb, requested: nil) == .regression(range: 0...5))
    }

    @Test func aRegressionOnJSONLAndBadScoresNameTheLine() throws {
        let model = try TestPaths.require(TestPaths.miniLM)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-regression-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let good = (0..<8).map { #"{"text": "sentence \#($0)", "label": \#(Double($0) / 2 + 0.25)}"# }
        try Data((good.joined(separator: "\n") + "\n").utf8).write(to: root.appendingPathComponent("train.jsonl"))
        try Data((good.prefix(4).joined(separator: "\n") + "\n").utf8).write(to: root.appendingPathComponent("valid.jsonl"))
        let trainer = TrainerSettings(iterations: 2, batchSize: 4, seed: 0, stepsPerEval: 0, validationBatches: 0, saveEvery: 0)
        let request = FineTuneRequest(model: model, data: DataOptions(path: root),
                                      adapter: AdapterSettings(method: .lora, rank: 2, targets: ["query"]),
                                      trainer: trainer, maxSequenceLength: 32, output: root.appendingPathComponent("run"),
                                      evaluateBase: false)
        let result = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        #expect(result.finalMetrics.map(\.0) == ["pearson", "spearman"])

        // Asked to classify, the same scores are classes; a word among scores is named with its line.
        var classes = request
        classes.data.headTask = .classification
        classes.output = root.appendingPathComponent("classes")
        #expect(try FineTuneJob(classes, say: { _ in }).run(progress: nil, interrupt: nil).finalMetrics.first?.0 == "accuracy")
        try Data((good.prefix(3) + [#"{"text": "odd", "label": "high"}"#]).joined(separator: "\n").utf8)
            .write(to: root.appendingPathComponent("train.jsonl"))
        var forced = request
        forced.data.headTask = .regression
        forced.output = root.appendingPathComponent("bad")
        #expect {
            try FineTuneJob(forced, say: { _ in }).run(progress: nil, interrupt: nil)
        } throws: { error in
            "\(error)".contains("train.jsonl:4") && "\(error)".contains("\"high\" is not a number")
        }
    }
}
