import Foundation
import Testing
@testable import Models
import ModelIO
import NN
import Tensor
import TestSupport

/// Bad checkpoints and bad inputs give errors that say what is wrong, and sampling behaves as
/// its options promise.
@Suite struct ModelInputErrorTests {
    static let tiny = TestPaths.fixtures.appendingPathComponent("models/tiny-llama")

    /// A copy of the tiny checkpoint with its config.json edited and tensors replaced.
    static func edited(config edit: (inout [String: Any]) -> Void,
                       tensors: (inout [String: Tensor]) -> Void = { _ in }) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: tiny.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(url: tiny.appendingPathComponent("model.safetensors"))
        var all: [String: Tensor] = [:]
        for n in file.names { all[n] = try file.tensor(named: n) }
        tensors(&all)
        var writer = SafeTensorsWriter()
        for (n, t) in all { writer.add(n, t) }
        try writer.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func unsupportedArchitectureIsNamed() throws {
        let url = try Self.edited(config: { $0["model_type"] = "gpt_neox"; $0["architectures"] = ["GPTNeoXForCausalLM"] })
        let m = message { _ = try LlamaModel(contentsOf: url) }
        #expect(m.contains("gpt_neox"), "\(m)")
    }

    @Test func missingTensorIsNamed() throws {
        let url = try Self.edited(config: { _ in }, tensors: { $0["model.layers.1.mlp.up_proj.weight"] = nil })
        let m = message { _ = try LlamaModel(contentsOf: url) }
        #expect(m.contains("model.layers.1.mlp.up_proj.weight") && m.contains("missing"), "\(m)")
    }

    @Test func wrongShapeIsNamed() throws {
        let url = try Self.edited(config: { _ in }, tensors: { $0["model.layers.0.self_attn.k_proj.weight"] = Tensor(zeros: [7, 32]) })
        let m = message { _ = try LlamaModel(contentsOf: url) }
        #expect(m.contains("model.layers.0.self_attn.k_proj.weight") && m.contains("[7, 32]"), "\(m)")
    }

    @Test func tooLongEmptyAndOutOfRangeBatchesAreRefused() throws {
        let model = try LlamaModel(contentsOf: Self.tiny)
        let long = message { _ = try model.logits(try TokenBatch(ids: [Array(repeating: 5, count: 65)])) }
        #expect(long.contains("65") && long.contains("64"), "\(long)")
        let empty = message { _ = try TokenBatch(ids: []) }
        #expect(empty.contains("empty"), "\(empty)")
        let outside = message { _ = try model.logits(try TokenBatch(ids: [[1, 2, 500]])) }
        #expect(outside.contains("500"), "\(outside)")
        let unlabelled = message { _ = try model.loss(try TokenBatch(ids: [[1, 2, 3]])) }
        #expect(unlabelled.contains("labels"), "\(unlabelled)")
    }

    @Test func samplingOptionsBehave() throws {
        let model = try LlamaModel(contentsOf: Self.tiny)
        let prompt = [[1, 5, 17, 33]]
        let greedy = try model.generate(prompts: prompt, options: GenerationOptions(maxNewTokens: 12, ignoreEndOfSequence: true))
        // top-k 1 and a vanishing top-p leave only the most likely token: greedy again.
        let topK = try model.generate(prompts: prompt, options: GenerationOptions(maxNewTokens: 12, temperature: 1, topK: 1, seed: 9, ignoreEndOfSequence: true))
        let topP = try model.generate(prompts: prompt, options: GenerationOptions(maxNewTokens: 12, temperature: 1, topP: 1e-6, seed: 9, ignoreEndOfSequence: true))
        #expect(topK == greedy && topP == greedy)
        // Sampling is reproducible from its seed, and a hot temperature departs from greedy.
        let hot = GenerationOptions(maxNewTokens: 12, temperature: 5, seed: 4, ignoreEndOfSequence: true)
        let a = try model.generate(prompts: prompt, options: hot)
        let b = try model.generate(prompts: prompt, options: hot)
        #expect(a == b)
        #expect(a != greedy)
        // Stop tokens end a sequence without being returned.
        let stopAt = greedy[0][3]
        let stopped = try model.generate(prompts: prompt, options: GenerationOptions(maxNewTokens: 12, stopTokens: [stopAt]))
        #expect(!stopped[0].contains(stopAt) && stopped[0].count <= 3)
    }
}
