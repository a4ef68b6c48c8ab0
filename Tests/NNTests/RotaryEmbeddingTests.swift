import Foundation
import NN
import Tensor
import TestSupport
import XCTest

final class RotaryEmbeddingTests: XCTestCase {
    func testMatchesNaiveRotateHalfFormula() {
        var rng = SeededGenerator(seed: 41)
        let (heads, d) = (3, 6)
        let positions = [0, 3, 17, 1000, 2]
        let x = randomTensor([positions.count, heads * d], &rng)
        let original = x.copy()
        let rope = RotaryEmbedding(headDimension: d, theta: 10_000)
        rope.apply(x, heads: heads, positions: positions)
        var expected = [Double]()
        for (t, p) in positions.enumerated() {
            let row = (0..<(heads * d)).map { Double(original.pointer[t * heads * d + $0]) }
            expected += Naive.rope(row, heads: heads, headDim: d, position: p, inverseFrequencies: rope.inverseFrequencies)
        }
        XCTAssertLessThan(maxAbsDifference(x.array, expected), 2e-6)
        // inv_freq itself against theta^(−2i/d).
        for i in 0..<(d / 2) {
            XCTAssertEqual(Double(rope.inverseFrequencies[i]), pow(10_000, -Double(2 * i) / Double(d)), accuracy: 1e-7)
        }
    }

    func testBackwardIsTheTransposeAndPassesGradientCheck() {
        var rng = SeededGenerator(seed: 42)
        let (heads, d) = (2, 4)
        let positions = [5, 0, 9]
        let x = randomTensor([3, heads * d], &rng), probe = randomTensor([3, heads * d], &rng)
        let rope = RotaryEmbedding(headDimension: d, theta: 500)
        let loss = { () -> Double in
            let y = x.copy()
            rope.apply(y, heads: heads, positions: positions)
            return weightedSum(y, probe)
        }
        let dx = probe.copy()
        rope.applyBackward(dx, heads: heads, positions: positions)
        GradientCheck.assertClose("RoPE dx", analytic: dx.array, tensor: x, loss: loss)
    }

    /// Transformers' `_compute_llama3_parameters`, transcribed line by line (torch.where on
    /// each frequency) in Double.
    private func hfLlama3(_ inv: [Double], factor: Double, low: Double, high: Double, old: Double) -> [Double] {
        let lowWavelen = old / low, highWavelen = old / high
        return inv.map { f in
            let wavelen = 2 * Double.pi / f
            var llama = wavelen > lowWavelen ? f / factor : f
            let smooth = (old / wavelen - low) / (high - low)
            let smoothed = (1 - smooth) * llama / factor + smooth * llama
            let isMedium = !(wavelen < highWavelen) && !(wavelen > lowWavelen)
            if isMedium { llama = smoothed }
            return llama
        }
    }

    func testLlama3ScalingMatchesTransformersFormula() {
        let scaling = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                        originalMaxPositionEmbeddings: 8192)
        let d = 128
        let rope = RotaryEmbedding(headDimension: d, theta: 500_000, scaling: scaling)
        let plain = RotaryEmbedding.inverseFrequencies(headDimension: d, theta: 500_000, scaling: nil)
        let expected = hfLlama3(plain.map(Double.init), factor: 8, low: 1, high: 4, old: 8192)
        var kept = 0, divided = 0, smoothed = 0
        for i in 0..<(d / 2) {
            XCTAssertEqual(Double(rope.inverseFrequencies[i]), expected[i], accuracy: expected[i] * 1e-6)
            let ratio = Double(rope.inverseFrequencies[i] / plain[i])
            if abs(ratio - 1) < 1e-6 { kept += 1 } else if abs(ratio - 0.125) < 1e-6 { divided += 1 } else { smoothed += 1 }
        }
        // All three bands occur for this configuration, so every branch is exercised.
        XCTAssertGreaterThan(kept, 0)
        XCTAssertGreaterThan(divided, 0)
        XCTAssertGreaterThan(smoothed, 0)
    }

    private struct Case: Decodable {
        struct Scaling: Decodable {
            var factor: Double
            var low_freq_factor: Double
            var high_freq_factor: Double
            var original_max_position_embeddings: Int
        }
        var name: String
        var theta: Double
        var scaling: Scaling?
        var head_dim: Int
        var positions: [Int]
        var inv_freq: [Double]
        var cos: [[Double]]
        var sin: [[Double]]
        var q: [[Double]]
        var k: [[Double]]
        var q_rotated: [[Double]]
        var k_rotated: [[Double]]
    }

    /// Against Transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb
    /// (fixture from scripts/fixtures/nn_rope.py), plain and Llama 3-scaled.
    func testMatchesTransformersFixture() throws {
        let url = try TestPaths.require(TestPaths.fixtures.appendingPathComponent("nn/rope.json"))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let scaling = c.scaling.map {
                Llama3RopeScaling(factor: $0.factor, lowFrequencyFactor: $0.low_freq_factor,
                                  highFrequencyFactor: $0.high_freq_factor,
                                  originalMaxPositionEmbeddings: $0.original_max_position_embeddings)
            }
            let rope = RotaryEmbedding(headDimension: c.head_dim, theta: c.theta, scaling: scaling)
            for (i, f) in c.inv_freq.enumerated() {
                XCTAssertEqual(Double(rope.inverseFrequencies[i]), f, accuracy: f * 2e-7, "\(c.name) inv_freq[\(i)]")
            }
            var worstAngle = 0.0
            for (t, p) in c.positions.enumerated() {
                let (cs, sn) = rope.angles(position: p)
                for i in 0..<c.head_dim {
                    worstAngle = max(worstAngle, abs(Double(cs[i % (c.head_dim / 2)]) - c.cos[t][i]))
                    worstAngle = max(worstAngle, abs(Double(sn[i % (c.head_dim / 2)]) - c.sin[t][i]))
                }
            }
            XCTAssertLessThan(worstAngle, 1e-6, "\(c.name) cos/sin")
            for (input, rotated, heads) in [(c.q, c.q_rotated, 3), (c.k, c.k_rotated, 1)] {
                let x = Tensor(shape: [input.count, heads * c.head_dim], values: input.flatMap { $0.map(Float.init) })
                rope.apply(x, heads: heads, positions: c.positions)
                let diff = maxAbsDifference(x.array, rotated.flatMap { $0 })
                XCTAssertLessThan(diff, 1e-5, "\(c.name) rotated values")
            }
        }
    }
}
