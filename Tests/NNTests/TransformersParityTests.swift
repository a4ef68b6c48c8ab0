import Foundation
import NN
import Tensor
import TestSupport
import XCTest

private struct MissingTensor: Error { var name: String }

/// A tiny Llama and a tiny BERT assembled from the layers must reproduce Transformers' outputs
/// and input gradients (fixture from scripts/fixtures/nn_layers.py: random weights, right
/// padding, eager attention).
final class TransformersParityTests: XCTestCase {
    private struct Stored: Decodable {
        var shape: [Int]
        var data: [Float]
        var tensor: Tensor { Tensor(shape: shape, values: data) }
    }

    private struct Case: Decodable {
        var tensors: [String: Stored]
        var inputs_embeds: Stored
        var attention_mask: [[Int]]
        var probe: Stored
        var output: Stored
        var input_grad: Stored
    }

    private struct Fixture: Decodable {
        var llama: Case
        var bert: Case
    }

    private func load() throws -> Fixture {
        let url = try TestPaths.require(TestPaths.fixtures.appendingPathComponent("nn/layers.json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func weight(_ c: Case, _ name: String) throws -> Tensor {
        guard let t = c.tensors[name] else { throw MissingTensor(name: name) }
        return t.tensor
    }

    /// max |a − b| / max |b|.
    private func relativeError(_ a: Tensor, _ b: Stored) -> Double {
        let scale = b.data.map { abs(Double($0)) }.max() ?? 1
        return maxAbsDifference(a.array, b.data.map(Double.init)) / scale
    }

    private func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = a.copy()
        for i in 0..<out.count { out.pointer[i] += b.pointer[i] }
        return out
    }

    func testLlamaStackMatchesTransformers() throws {
        let c = try load().llama
        let mask = c.attention_mask.flatMap { $0.map { $0 != 0 } }
        let rope = RotaryEmbedding(headDimension: 4, theta: 10_000)
        var blocks: [(RMSNorm, Attention, RMSNorm, SwiGLUMLP)] = []
        for l in 0..<2 {
            let p = "layers.\(l)."
            blocks.append((
                RMSNorm(weight: try weight(c, p + "input_layernorm.weight"), epsilon: 1e-5),
                Attention(query: Linear(weight: try weight(c, p + "self_attn.q_proj.weight")),
                          key: Linear(weight: try weight(c, p + "self_attn.k_proj.weight")),
                          value: Linear(weight: try weight(c, p + "self_attn.v_proj.weight")),
                          output: Linear(weight: try weight(c, p + "self_attn.o_proj.weight")),
                          heads: 4, keyValueHeads: 2, headDimension: 4, causal: true, rotary: rope),
                RMSNorm(weight: try weight(c, p + "post_attention_layernorm.weight"), epsilon: 1e-5),
                SwiGLUMLP(gate: Linear(weight: try weight(c, p + "mlp.gate_proj.weight")),
                          up: Linear(weight: try weight(c, p + "mlp.up_proj.weight")),
                          down: Linear(weight: try weight(c, p + "mlp.down_proj.weight")))))
        }
        let finalNorm = RMSNorm(weight: try weight(c, "norm.weight"), epsilon: 1e-5)

        var h = c.inputs_embeds.tensor
        for (n1, attention, n2, mlp) in blocks {
            h = add(h, attention.forward(n1.forward(h), attentionMask: mask))
            h = add(h, mlp.forward(n2.forward(h)))
        }
        let y = finalNorm.forward(h)
        let outputError = relativeError(y, c.output)
        print("Llama parity: output relative error \(outputError)")
        XCTAssertLessThan(outputError, 1e-5)

        var dh = finalNorm.backward(c.probe.tensor).copy()
        for (n1, attention, n2, mlp) in blocks.reversed() {
            dh = add(dh, n2.backward(mlp.backward(dh)))
            dh = add(dh, n1.backward(attention.backward(dh)))
        }
        let gradientError = relativeError(dh, c.input_grad)
        print("Llama parity: input gradient relative error \(gradientError)")
        XCTAssertLessThan(gradientError, 1e-5)
    }

    func testBertEncoderMatchesTransformers() throws {
        let c = try load().bert
        let mask = c.attention_mask.flatMap { $0.map { $0 != 0 } }
        let (batch, seq, dim) = (2, 5, 12)
        func linear(_ name: String) throws -> Linear {
            Linear(weight: try weight(c, name + ".weight"), bias: try weight(c, name + ".bias"))
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: try weight(c, name + ".weight"), bias: try weight(c, name + ".bias"), epsilon: 1e-12)
        }
        var layers: [(Attention, LayerNorm, BertMLP, LayerNorm)] = []
        for l in 0..<2 {
            let p = "encoder.layer.\(l)."
            layers.append((
                Attention(query: try linear(p + "attention.self.query"), key: try linear(p + "attention.self.key"),
                          value: try linear(p + "attention.self.value"), output: try linear(p + "attention.output.dense"),
                          heads: 3, keyValueHeads: 3, headDimension: 4, causal: false),
                try norm(p + "attention.output.LayerNorm"),
                BertMLP(intermediate: try linear(p + "intermediate.dense"), output: try linear(p + "output.dense")),
                try norm(p + "output.LayerNorm")))
        }
        // Embeddings: inputs + absolute positions + token type 0, then LayerNorm.
        let positions = Embedding(weight: try weight(c, "embeddings.position_embeddings.weight"))
        let types = Embedding(weight: try weight(c, "embeddings.token_type_embeddings.weight"))
        let embeddingNorm = try norm("embeddings.LayerNorm")
        let ids = (0..<(batch * seq)).map { $0 % seq }
        var h = add(add(c.inputs_embeds.tensor, try positions.forward(ids, shape: [batch, seq]).copy()),
                    try types.forward([Int](repeating: 0, count: batch * seq), shape: [batch, seq]))
        h = embeddingNorm.forward(h)
        for (attention, n1, mlp, n2) in layers {
            h = n1.forward(add(h, attention.forward(h, attentionMask: mask)))
            h = n2.forward(add(h, mlp.forward(h)))
        }
        XCTAssertEqual(h.shape, [batch, seq, dim])
        let outputError = relativeError(h, c.output)
        print("BERT parity: output relative error \(outputError)")
        XCTAssertLessThan(outputError, 1e-5)

        var dh = c.probe.tensor
        for (attention, n1, mlp, n2) in layers.reversed() {
            let dSum2 = n2.backward(dh).copy()
            let dSum1 = n1.backward(add(dSum2, mlp.backward(dSum2))).copy()
            dh = add(dSum1, attention.backward(dSum1))
        }
        dh = embeddingNorm.backward(dh)
        let gradientError = relativeError(dh, c.input_grad)
        print("BERT parity: input gradient relative error \(gradientError)")
        XCTAssertLessThan(gradientError, 1e-5)
    }
}
