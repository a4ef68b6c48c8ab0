import Foundation
import Testing
@testable import Models
import NN
import Tensor

/// Backward through whole tiny models against central finite differences of the loss.
@Suite struct ModelFiniteDifferenceTests {
    /// Checks `count` entries of `parameter`'s gradient against (L(w+h) − L(w−h)) / 2h.
    static func check(_ parameter: Parameter, count: Int, loss: () throws -> Float) throws -> Float {
        let analytic = try #require(parameter.gradient).array
        var worst: Float = 0
        let p = parameter.value.pointer, n = parameter.value.count
        for i in stride(from: 0, to: n, by: max(1, n / count)) {
            let saved = p[i], h: Float = 1e-2
            p[i] = saved + h
            let up = try loss()
            p[i] = saved - h
            let down = try loss()
            p[i] = saved
            let numeric = (up - down) / (2 * h)
            worst = max(worst, abs(numeric - analytic[i]) / max(1e-2, abs(numeric) + abs(analytic[i])))
        }
        return worst
    }

    @Test func decoderGradientsMatchFiniteDifferences() throws {
        let f = try ModelFixture("tiny-qwen2")
        let model = try LlamaModel(contentsOf: f.checkpoint)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   labels: f.matrix("labels"))
        let names = ["model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.q_proj.bias",
                     "model.layers.1.post_attention_layernorm.weight", "model.embed_tokens.weight"]
        for n in names { try #require(model.parameter(named: n)).isTrainable = true }
        _ = try model.lossAndGradients(batch)
        for n in names {
            let err = try Self.check(try #require(model.parameter(named: n)), count: 12) { try model.loss(batch) }
            #expect(err < 2e-2, "\(n): relative error \(err)")
        }
    }

    @Test func encoderGradientsMatchFiniteDifferences() throws {
        let f = try ModelFixture("tiny-roberta")
        let model = try BertSequenceClassifier(contentsOf: f.checkpoint)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   tokenTypes: f.matrix("token_type_ids"))
        let targets = SequenceTargets.classes((f.json["labels"] as? [NSNumber] ?? []).map(\.intValue))
        let names = ["roberta.encoder.layer.0.attention.self.key.weight",
                     "roberta.encoder.layer.1.output.LayerNorm.weight",
                     "roberta.embeddings.word_embeddings.weight", "classifier.dense.weight"]
        for n in names { try #require(model.parameter(named: n)).isTrainable = true }
        _ = try model.lossAndGradients(batch, targets: targets)
        for n in names {
            let err = try Self.check(try #require(model.parameter(named: n)), count: 12) {
                try model.loss(batch, targets: targets)
            }
            #expect(err < 2e-2, "\(n): relative error \(err)")
        }
    }
}
