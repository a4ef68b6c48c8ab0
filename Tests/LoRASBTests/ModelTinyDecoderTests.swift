import Foundation
import Testing
@testable import Models
import NN
import Tensor

/// Parity with Transformers on tiny random Llama, Llama-3-scaled, Mistral and Qwen2
/// checkpoints: logits on real tokens, the masked loss and weight gradients.
@Suite struct ModelTinyDecoderTests {
    static let cases = ["tiny-llama", "tiny-llama3-scaled", "tiny-mistral", "tiny-qwen2"]

    @Test(arguments: cases)
    func logitsLossAndGradientsMatchTransformers(_ name: String) throws {
        let f = try ModelFixture(name)
        let model = try LlamaModel(contentsOf: f.checkpoint)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   labels: f.matrix("labels"))
        let gradNames = ["model.layers.1.self_attn.q_proj.weight",
                         "model.layers.1.mlp.down_proj.weight", "model.embed_tokens.weight"]
        for n in gradNames { try #require(model.parameter(named: n)).isTrainable = true }

        let loss = try model.lossAndGradients(batch)
        #expect(abs(Double(loss) - f.number("loss")) < 1e-5, "\(name) loss \(loss) vs \(f.number("loss"))")

        let logits = try model.logits(batch).array
        let reference = try f.tensor("logits").array
        let v = model.config.vocabSize
        var worst: Float = 0
        for (i, m) in batch.attentionMask.enumerated() where m != 0 {
            worst = max(worst, maxAbsDifference(Array(logits[i * v..<(i + 1) * v]),
                                                Array(reference[i * v..<(i + 1) * v])))
        }
        #expect(worst < 1e-4, "\(name) max logit difference \(worst)")

        for n in gradNames {
            let ours = try #require(model.parameter(named: n)?.gradient).array
            let ref = try f.tensor("grad." + n.replacingOccurrences(of: "model.", with: "")).array
            let err = relativeError(ours, reference: ref)
            #expect(err < 1e-4, "\(name) gradient of \(n): relative error \(err)")
        }
    }
}
