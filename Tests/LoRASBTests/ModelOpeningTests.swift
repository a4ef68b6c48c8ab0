import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// A run opens its model's files once: every stage (the data's form, the network, the tokenizer,
/// a later evaluation) asks the run's `ModelOpening` and shares what it returns.
@Suite(.serialized) struct ModelOpeningTests {
    /// Counts every request; without caching each request is an opening of its own, which is
    /// what a stage that opened the path itself would cost.
    final class CountingOpener: ModelOpening {
        let caching: Bool
        private let cache = ModelOpener()
        private(set) var requests = 0
        private(set) var openings = 0
        private var seen: Set<String> = []

        init(caching: Bool) { self.caching = caching }

        func files(at url: URL) throws -> ModelFiles {
            requests += 1
            guard caching else { openings += 1; return try ModelFiles(url: url) }
            if seen.insert(url.standardizedFileURL.path).inserted { openings += 1 }
            return try cache.files(at: url)
        }
    }

    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-opening-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let trainer = TrainerSettings(iterations: 1, batchSize: 4, learningRate: 1e-3, seed: 0, stepsPerEval: 0,
                                         validationBatches: 0, saveEvery: 0, stepsPerReport: 1)

    @Test func anEncoderRunAndItsEvaluationOpenTheModelOnce() throws {
        let model = try TestPaths.require(TestPaths.miniLM)
        let output = try Self.folder("encoder")
        defer { try? FileManager.default.removeItem(at: output) }
        let data = DataOptions(path: TestPaths.fixtures.appendingPathComponent("glue-formats/SST-2"))
        let request = FineTuneRequest(model: model, data: data,
                                      adapter: AdapterSettings(method: .loraSB, rank: 2, targets: ["query", "value"], initSamples: 4),
                                      trainer: Self.trainer, maxSequenceLength: 64, output: output)
        let naive = CountingOpener(caching: false)
        let result = try FineTuneJob(request, opener: naive, say: { _ in }).run(progress: nil, interrupt: nil)
        guard case .finished = result.outcome else { Issue.record("the run did not finish"); return }
        #expect(naive.openings == 1, "the training run asked for the model's files \(naive.openings) times")

        let shared = CountingOpener(caching: true)
        _ = try FineTuneJob(request, opener: shared, say: { _ in }).run(progress: nil, interrupt: nil)
        let evaluation = try EvaluationJob(EvaluationRequest(model: model, adapter: output, data: data), opener: shared).run()
        #expect(evaluation.value("accuracy") != nil)
        #expect(shared.openings == 1 && shared.requests == 2, "openings \(shared.openings), requests \(shared.requests)")
    }

    @Test func aDecoderRunOpensTheGGUFOnce() throws {
        let model = try TestPaths.require(TestPaths.smolLM2GGUF)
        let output = try Self.folder("decoder")
        defer { try? FileManager.default.removeItem(at: output) }
        let records = (0..<6).map { #"{"prompt": "What is \#($0) plus \#($0)?", "completion": "It is \#($0 + $0)."}"# }
        let data = output.appendingPathComponent("train.jsonl")
        try Data((records.joined(separator: "\n") + "\n").utf8).write(to: data)
        let request = FineTuneRequest(model: model, data: DataOptions(path: data),
                                      adapter: AdapterSettings(method: .lora, rank: 2, targets: ["q", "v"]),
                                      trainer: Self.trainer, maxSequenceLength: 64,
                                      output: output.appendingPathComponent("run"))
        let naive = CountingOpener(caching: false)
        let result = try FineTuneJob(request, opener: naive, say: { _ in }).run(progress: nil, interrupt: nil)
        guard case .finished = result.outcome else { Issue.record("the run did not finish"); return }
        #expect(naive.openings == 1, "the training run asked for the model's files \(naive.openings) times")
    }

    @Test func theOpenerHandsOutOneFilesObjectPerPath() throws {
        let model = try TestPaths.require(TestPaths.miniLM)
        let opener = ModelOpener()
        let first = try opener.files(at: model)
        #expect(try opener.files(at: model.appendingPathComponent(".")) === first)
        #expect(throws: (any Error).self) { try opener.files(at: model.appendingPathComponent("missing")) }
    }
}
