import Foundation
import Testing
@testable import LoRASB
import TestSupport
import Models
import NN

/// Fine-tuning end to end on the real models: resume bit for bit, Ctrl-C, a non-finite loss,
/// parameter counts, the saved adapter.
@Suite(.serialized) struct FineTuneTests {
    static func temporaryFolder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small MiniLM run on the first examples of RTE (a GLUE folder, as distributed).
    static func miniLMRequest(output: URL, iterations: Int = 4, learningRate: Double = 2e-3,
                              saveEvery: Int = 2) throws -> FineTuneRequest {
        let model = try TestPaths.require(TestPaths.miniLM)
        let data = DataOptions(path: TestPaths.sharedData.appendingPathComponent("glue/RTE"),
                               maxTrainExamples: 48, maxValidationExamples: 16)
        var trainer = TrainerSettings(iterations: iterations, batchSize: 8, learningRate: learningRate,
                                      warmupRatio: 0.25, seed: 3, stepsPerEval: 0, validationBatches: 0,
                                      saveEvery: saveEvery)
        trainer.maxGradNorm = 1
        let adapter = AdapterSettings(method: .loraSB, rank: 8, targets: ["query", "value", "attn_out", "ffn_out"],
                                      seed: 3, initSamples: 16)
        return FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer,
                               maxSequenceLength: 64, output: output, evaluateBase: false)
    }

    static func tensors(_ folder: URL) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(url: folder.appendingPathComponent(AdapterFolder.tensorsName))
        var out: [String: [Float]] = [:]
        for n in file.names { out[n] = try file.tensor(named: n).array }
        return out
    }

    @Test func resumeContinuesBitForBit() throws {
        let straight = Self.temporaryFolder("straight")
        let a = try FineTuneJob(try Self.miniLMRequest(output: straight), say: { _ in }).run(progress: nil, interrupt: nil)
        #expect(a.outcome == .finished(step: 4))
        // The step-2 checkpoint of the same run, continued in a fresh process-like job.
        let checkpoint = straight.appendingPathComponent("checkpoints/step-000002")
        let resumed = Self.temporaryFolder("resumed")
        var request = try Self.miniLMRequest(output: resumed)
        request.resume = checkpoint
        let b = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        #expect(b.outcome == .finished(step: 4))
        let ta = try Self.tensors(straight), tb = try Self.tensors(resumed)
        #expect(ta.keys.sorted() == tb.keys.sorted())
        #expect(ta.keys.contains("classifier.weight"))
        for (k, v) in ta { #expect(tb[k] == v, "\(k) differs after resume") }
        // The adapter moved away from its initialisation (so equality is not trivial).
        let initial = try Self.tensors(checkpoint)
        #expect(initial.contains { ta[$0.key] != $0.value })
    }

    @Test func interruptSavesACheckpointAndResumeFinishesTheSameRun() throws {
        let straight = Self.temporaryFolder("straight2")
        _ = try FineTuneJob(try Self.miniLMRequest(output: straight, saveEvery: 0), say: { _ in }).run(progress: nil, interrupt: nil)

        let interrupted = Self.temporaryFolder("interrupted")
        let monitor = InterruptMonitor(secondInterruptExits: false)
        defer { monitor.cancel() }
        kill(getpid(), SIGINT)   // Ctrl-C before the first step ends: the step finishes, then it saves
        let deadline = Date().addingTimeInterval(5)
        while !monitor.isInterrupted && Date() < deadline { usleep(1000) }
        let first = try FineTuneJob(try Self.miniLMRequest(output: interrupted, saveEvery: 0), say: { _ in })
            .run(progress: nil, interrupt: monitor)
        guard case .interrupted(let step, let checkpoint) = first.outcome else {
            Issue.record("expected an interrupted run, got \(first.outcome)")
            return
        }
        #expect(step == 1)
        #expect(FileManager.default.fileExists(atPath: checkpoint + "/trainer_state.json"))
        var request = try Self.miniLMRequest(output: interrupted, saveEvery: 0)
        request.resume = interrupted
        let second = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        #expect(second.outcome == .finished(step: 4))
        let resumedTensors = try Self.tensors(interrupted), straightTensors = try Self.tensors(straight)
        #expect(resumedTensors == straightTensors)
    }

    /// A real model whose loss turns NaN from its `poisonedCall`-th call on: the trainer must
    /// stop there, naming the step, and keep the last checkpoint it wrote.
    final class FaultyModel: TrainableModel {
        let base: LlamaModel
        let poisonedCall: Int
        var calls = 0
        init(_ base: LlamaModel, poisonedCall: Int) { self.base = base; self.poisonedCall = poisonedCall }
        var targetableLayers: [TargetableLinear] { base.targetableLayers }
        var namedParameters: [(name: String, parameter: Parameter)] { base.namedParameters }
        var linearLayers: [Linear] { base.linearLayers }
        var alwaysTrainedParameters: [(name: String, parameter: Parameter)] { [] }
        func loss(_ batch: TrainingBatch, backward: Bool) throws -> Float {
            calls += 1
            let loss = try base.loss(batch, backward: backward)
            return calls >= poisonedCall ? .nan : loss
        }
    }

    @Test func nonFiniteLossStopsWithTheLastGoodCheckpoint() throws {
        let tiny = TestPaths.fixtures.appendingPathComponent("models/tiny-llama")
        let model = FaultyModel(try LlamaModel(contentsOf: tiny), poisonedCall: 3)
        let (adapters, _) = try AdapterFactory.attach(AdapterSettings(method: .loraXS, rank: 2, targets: ["q", "v"]),
                                                      to: model)
        let examples = (0..<8).map { i in TokenizedExample(tokens: (0..<8).map { 3 + (i * 7 + $0 * 5) % 90 }) }
        let loader = try BatchLoader(examples: examples, batchSize: 2, padTokenID: 0, seed: 0)
        let folder = Self.temporaryFolder("nan")
        let settings = TrainerSettings(iterations: 5, batchSize: 2, learningRate: 1e-3, stepsPerEval: 0,
                                       validationBatches: 0, saveEvery: 1)
        let manifest = AdapterManifest(settings: adapters.settings, modules: adapters.entries.map(\.target.modulePath),
                                       baseModel: BaseModelIdentity(path: tiny.path, architecture: "llama", layers: 2,
                                                                    hiddenSize: 32, vocabSize: 96, parameters: 0),
                                       task: "causal-lm", labels: nil, trainableParameters: adapters.trainableParameterCount,
                                       effectiveLearningRate: nil, training: [:])
        let trainer = try Trainer(model: model, adapters: adapters, manifest: manifest, settings: settings,
                                  loader: loader, validation: [], output: folder, log: nil, progress: nil)
        do {
            _ = try trainer.run()
            Issue.record("a NaN loss must stop training")
        } catch let e as TrainingStopped {
            #expect(e.description.contains("stopped at step 3"), "\(e.description)")
            #expect(e.description.contains("loss is nan"), "\(e.description)")
            #expect(e.description.contains("step-000002"), "\(e.description)")
        }
        // The last good checkpoint is step 2, complete and loadable; nothing later was written.
        let latest = try TrainingCheckpoint.locate(folder)
        #expect(latest.lastPathComponent == "step-000002")
        #expect(try TrainingCheckpoint.load(latest).state.step == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(AdapterFolder.tensorsName).path))
    }

    /// `--init-lr 3e-5`: η_eff as given, whatever the learning rate and schedule say, and the
    /// spectrum of ΔW = −η_eff·sign(G) (R's diagonal) scales with it.
    @Test func aGivenInitLearningRateIsUsedAsIs() throws {
        #expect(FineTuneRequest.InitLearningRate(argument: "formula") == .formula)
        #expect(FineTuneRequest.InitLearningRate(argument: "authors") == .authors)
        #expect(FineTuneRequest.InitLearningRate(argument: "3e-5") == .fixed(3e-5))
        for bad in ["0", "-1e-4", "nan", "inf", "fast", ""] { #expect(FineTuneRequest.InitLearningRate(argument: bad) == nil) }

        var largestR: [Double] = []
        for eta in [3e-5, 6e-5] {
            let output = Self.temporaryFolder("init-lr")
            defer { try? FileManager.default.removeItem(at: output) }
            var request = try Self.miniLMRequest(output: output, iterations: 1, saveEvery: 0)
            request.initLearningRate = .fixed(eta)
            _ = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
            #expect(try AdapterFolder.manifest(in: output).effectiveLearningRate == eta)
            let tensors = try Self.tensors(output)
            let name = try #require(tensors.keys.filter { $0.hasSuffix("query.lora_R") }.sorted().first)
            let r = try #require(tensors[name])
            largestR.append(Double(r.map(abs).max() ?? 0))
        }
        // One step of training moves R by ~lr; the initial Σ is ~η·sqrt(m·n)·(energy share).
        #expect(abs(largestR[1] / largestR[0] - 2) < 0.2, "\(largestR)")
    }

    @Test func smolLM2CountsLikePEFTAndSavesTheAdapter() throws {
        let model = try TestPaths.require(TestPaths.smolLM2GGUF)
        let output = Self.temporaryFolder("smol")
        let data = DataOptions.gsm8k(train: 4, validation: 2)
        let trainer = TrainerSettings(iterations: 1, batchSize: 2, learningRate: 1e-4, stepsPerEval: 0,
                                      validationBatches: 1, saveEvery: 0)
        let adapter = AdapterSettings(method: .loraSB, rank: 32, targets: ["q", "k", "v", "o", "gate", "up", "down"],
                                      initSamples: 2)
        let request = FineTuneRequest(model: model, data: data, adapter: adapter, trainer: trainer,
                                      maxSequenceLength: 96, output: output, evaluateBase: false)
        let result = try FineTuneJob(request, say: { _ in }).run(progress: nil, interrupt: nil)
        // 30 layers · 7 projections · 32² (PEFT counts R only).
        #expect(result.trainableParameters == 215_040)
        #expect(result.totalParameters == 134_515_008)
        let manifest = try AdapterFolder.manifest(in: output)
        #expect(manifest.settings.method == .loraSB && manifest.modules.count == 210)
        #expect(manifest.baseModel.architecture == "llama" && manifest.task == "causal-lm")
        #expect(manifest.effectiveLearningRate == 1e-4)
        let names = try Self.tensors(output).keys
        #expect(names.count == 210 * 3)
        #expect(names.contains("model.layers.29.mlp.down_proj.lora_R"))
        let lines = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(lines.contains("\"validation_loss\"") && lines.contains("\"tokens_per_second\""))
    }
}
