import Foundation
import Testing
@testable import Models
import NN
import Tensor
import TestSupport

/// Parity with Transformers on the real SmolLM2-135M-Instruct Q4_1 GGUF (Transformers
/// dequantises it and undoes llama.cpp's Q/K row permutation).
@Suite(.serialized) struct ModelSmolLM2Tests {
    let fixture: ModelFixture
    let model: LlamaModel

    init() throws {
        fixture = try ModelFixture("smollm2")
        model = try LlamaModel(contentsOf: TestPaths.require(TestPaths.smolLM2GGUF))
    }

    @Test func promptLogitsMatchTransformers() throws {
        let subset = try fixture.tensor("vocab_subset").array.map { Int($0) }
        let v = model.config.vocabSize
        var worst: Float = 0
        for (i, ids) in fixture.matrix("ids").enumerated() {
            let logits = try model.logits(TokenBatch(ids: [ids])).array
            let last = Array(logits[(ids.count - 1) * v..<ids.count * v])
            worst = max(worst, maxAbsDifference(last, try fixture.tensor("prompt\(i).last_logits").array))
            let ours = (0..<ids.count).flatMap { t in subset.map { logits[t * v + $0] } }
            worst = max(worst, maxAbsDifference(ours, try fixture.tensor("prompt\(i).subset_logits").array))
        }
        print("SmolLM2 prompt logits: max abs difference \(worst)")
        #expect(worst <= 1e-3)
    }

    @Test func rightPaddedBatchMatchesTransformers() throws {
        let b = fixture.object("batch")
        let ids = fixture.matrix("ids", in: b), mask = fixture.matrix("attention_mask", in: b)
        let subset = try fixture.tensor("vocab_subset").array.map { Int($0) }
        let logits = try model.logits(TokenBatch(ids: ids, attentionMask: mask)).array
        let reference = try fixture.tensor("batch.subset_logits").array
        let v = model.config.vocabSize, t = ids[0].count, s = subset.count
        var worst: Float = 0
        for r in 0..<ids.count {
            for p in 0..<t where mask[r][p] != 0 {
                let row = (r * t + p)
                let ours = subset.map { logits[row * v + $0] }
                worst = max(worst, maxAbsDifference(ours, Array(reference[row * s..<(row + 1) * s])))
            }
        }
        print("SmolLM2 padded batch logits: max abs difference \(worst)")
        #expect(worst <= 1e-3)
    }

    @Test func lossAndGradientsMatchTransformers() throws {
        let c = fixture.object("loss_case")
        let ids = (c["ids"] as? [NSNumber] ?? []).map(\.intValue)
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let names = ["layers.0.self_attn.k_proj.weight", "layers.29.self_attn.v_proj.weight",
                     "layers.15.input_layernorm.weight", "norm.weight"]
        for n in names { try #require(model.parameter(named: "model." + n)).isTrainable = true }
        defer { model.freezeAllParameters() }
        let loss = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
        let expected = fixture.number("loss", in: c)
        print("SmolLM2 loss \(loss) vs Transformers \(expected)")
        #expect(abs(Double(loss) - expected) < 1e-4)
        for n in names {
            let ours = try #require(model.parameter(named: "model." + n)?.gradient).array
            let err = relativeError(ours, reference: try fixture.tensor("grad." + n).array)
            print("SmolLM2 gradient \(n): relative error \(err)")
            #expect(err <= 1e-3, "\(n)")
        }
    }

    @Test func greedyContinuationsMatchTransformersSingleAndBatched() throws {
        let prompts = fixture.matrix("ids"), expected = fixture.matrix("greedy32")
        // Transformers generated 32 tokens without stopping at EOS.
        let options = GenerationOptions(maxNewTokens: 32, ignoreEndOfSequence: true)
        for (i, p) in prompts.enumerated() {
            let out = try model.generate(prompts: [p], options: options)
            #expect(out[0] == expected[i], "prompt \(i)")
        }
        let batched = try model.generate(prompts: prompts, options: options)
        #expect(batched == expected)
    }
}
