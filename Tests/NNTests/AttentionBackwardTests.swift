import NN
import Tensor
import XCTest

/// The layer's backward (key/value groups as concurrent items, the group's heads summed into
/// one dK/dV) against the per-head Double reference, with more items than cores.
final class AttentionBackwardTests: XCTestCase {
    // Sequence 0 full, sequence 1 with three pads on the right, sequence 2 with two on the
    // left (under a causal mask its first two queries see no key at all).
    private let (batch, sequence) = (3, 9)
    private var mixedPadding: [Bool] {
        (0..<sequence).map { _ in true } + (0..<sequence).map { $0 < sequence - 3 } + (0..<sequence).map { $0 >= 2 }
    }

    private func check(heads: Int, kvHeads: Int, headDim: Int, causal: Bool, rope: Bool,
                       window: Int?, seed: UInt64, _ label: String) {
        var rng = SeededGenerator(seed: seed)
        let dim = 10
        let layer = Attention(
            query: Linear(weight: randomTensor([heads * headDim, dim], &rng), bias: randomTensor([heads * headDim], &rng), trainable: true),
            key: Linear(weight: randomTensor([kvHeads * headDim, dim], &rng), trainable: true),
            value: Linear(weight: randomTensor([kvHeads * headDim, dim], &rng), bias: randomTensor([kvHeads * headDim], &rng), trainable: true),
            output: Linear(weight: randomTensor([dim, heads * headDim], &rng), trainable: false),
            heads: heads, keyValueHeads: kvHeads, headDimension: headDim, causal: causal,
            rotary: rope ? RotaryEmbedding(headDimension: headDim, theta: 100) : nil, slidingWindow: window)
        let x = randomTensor([batch, sequence, dim], &rng), dy = randomTensor([batch, sequence, dim], &rng)
        _ = layer.forward(x, attentionMask: mixedPadding)
        let dx = layer.backward(dy).array
        let expected = Naive.attentionGradients(x: x, layer: layer, mask: mixedPadding, dy: dy)
        func assertMatches(_ name: String, _ got: [Float], _ want: [Double]) {
            XCTAssertEqual(got.count, want.count, "\(label) \(name) size")
            let scale = max(1, want.map(abs).max() ?? 0)
            XCTAssertLessThan(maxAbsDifference(got, want) / scale, 2e-5, "\(label) \(name)")
        }
        assertMatches("dx", dx, expected.input)
        assertMatches("dWq", layer.query.weight.gradient?.array ?? [], expected.queryWeight)
        assertMatches("dWk", layer.key.weight.gradient?.array ?? [], expected.keyWeight)
        assertMatches("dWv", layer.value.weight.gradient?.array ?? [], expected.valueWeight)
    }

    func testGroupedCausalPaddedWithRoPEMatchesPerHeadReference() {
        check(heads: 6, kvHeads: 2, headDim: 4, causal: true, rope: true, window: nil, seed: 71, "GQA causal")
    }

    func testGroupedSlidingWindowMatchesPerHeadReference() {
        check(heads: 6, kvHeads: 3, headDim: 4, causal: true, rope: true, window: 3, seed: 72, "GQA window")
    }

    func testMultiHeadBidirectionalPaddedMatchesPerHeadReference() {
        // Head width 17 and sequence 9: products and rows with tails past the 16-lane loops.
        check(heads: 3, kvHeads: 3, headDim: 17, causal: false, rope: false, window: nil, seed: 73, "MHA bidirectional")
    }

    func testAllHeadsSharingOneKeyValueHeadMatchesPerHeadReference() {
        check(heads: 4, kvHeads: 1, headDim: 6, causal: true, rope: true, window: nil, seed: 74, "MQA causal")
    }
}
