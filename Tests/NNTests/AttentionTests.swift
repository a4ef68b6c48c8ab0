import NN
import Tensor
import XCTest

final class AttentionTests: XCTestCase {
    /// A layer with random projections; query and output carry biases (as BERT's do).
    private func makeAttention(dim: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool,
                               rope: Bool, trainable: Bool, window: Int? = nil,
                               _ rng: inout SeededGenerator) -> Attention {
        Attention(
            query: Linear(weight: randomTensor([heads * headDim, dim], &rng), bias: randomTensor([heads * headDim], &rng), trainable: trainable),
            key: Linear(weight: randomTensor([kvHeads * headDim, dim], &rng), trainable: trainable),
            value: Linear(weight: randomTensor([kvHeads * headDim, dim], &rng), bias: randomTensor([kvHeads * headDim], &rng), trainable: trainable),
            output: Linear(weight: randomTensor([dim, heads * headDim], &rng), bias: randomTensor([dim], &rng), trainable: trainable),
            heads: heads, keyValueHeads: kvHeads, headDimension: headDim, causal: causal,
            rotary: rope ? RotaryEmbedding(headDimension: headDim, theta: 100) : nil, slidingWindow: window)
    }

    func testSlidingWindowMatchesNaiveAndGradients() {
        var rng = SeededGenerator(seed: 61)
        let layer = makeAttention(dim: 6, heads: 4, kvHeads: 2, headDim: 4, causal: true, rope: true, trainable: true, window: 2, &rng)
        let x = randomTensor([2, 5, 6], &rng), probe = randomTensor([2, 5, 6], &rng)
        let y = layer.forward(x, attentionMask: rightPadded)
        XCTAssertLessThan(maxAbsDifference(y.array, Naive.attention(x: x, layer: layer, mask: rightPadded, positions: nil)), 2e-5)
        // The window matters: without it the outputs differ.
        var unlimited = SeededGenerator(seed: 61)
        let full = makeAttention(dim: 6, heads: 4, kvHeads: 2, headDim: 4, causal: true, rope: true, trainable: true, &unlimited)
        XCTAssertGreaterThan(maxAbsDifference(full.forward(x, attentionMask: rightPadded).array, y.array.map(Double.init)), 1e-3)
        let loss = { weightedSum(layer.forward(x, attentionMask: self.rightPadded), probe) }
        _ = layer.forward(x, attentionMask: rightPadded)
        let dx = layer.backward(probe).array
        GradientCheck.assertClose("sliding-window attention dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("sliding-window attention Wk", analytic: layer.key.weight.gradient?.array ?? [], tensor: layer.key.weight.value, loss: loss)
    }

    // Sequence 0 is full; sequence 1 has its last two tokens padded (right padding).
    private let rightPadded = [true, true, true, true, true, true, true, true, false, false]

    func testGroupedQueryCausalAttentionWithRoPEMatchesNaive() {
        var rng = SeededGenerator(seed: 51)
        let layer = makeAttention(dim: 7, heads: 4, kvHeads: 2, headDim: 4, causal: true, rope: true, trainable: false, &rng)
        let x = randomTensor([2, 5, 7], &rng)
        let y = layer.forward(x, attentionMask: rightPadded)
        XCTAssertEqual(y.shape, [2, 5, 7])
        let expected = Naive.attention(x: x, layer: layer, mask: rightPadded, positions: nil)
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 2e-5)
    }

    func testExplicitPositionsMatchNaive() {
        var rng = SeededGenerator(seed: 52)
        let layer = makeAttention(dim: 6, heads: 2, kvHeads: 1, headDim: 4, causal: true, rope: true, trainable: false, &rng)
        let x = randomTensor([1, 4, 6], &rng)
        let positions = [7, 8, 9, 10]
        let y = layer.forward(x, positions: positions)
        let expected = Naive.attention(x: x, layer: layer, mask: nil, positions: positions)
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 2e-5)
    }

    func testBidirectionalOddHeadDimensionMatchesNaive() {
        var rng = SeededGenerator(seed: 53)
        let layer = makeAttention(dim: 9, heads: 3, kvHeads: 3, headDim: 3, causal: false, rope: false, trainable: false, &rng)
        let x = randomTensor([2, 5, 9], &rng)
        let y = layer.forward(x, attentionMask: rightPadded)
        let expected = Naive.attention(x: x, layer: layer, mask: rightPadded, positions: nil)
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 2e-5)
    }

    func testGroupedQueryGradients() {
        var rng = SeededGenerator(seed: 54)
        let layer = makeAttention(dim: 7, heads: 4, kvHeads: 2, headDim: 4, causal: true, rope: true, trainable: true, &rng)
        let x = randomTensor([2, 5, 7], &rng)
        let probe = randomTensor([2, 5, 7], &rng)
        let loss = { weightedSum(layer.forward(x, attentionMask: self.rightPadded), probe) }
        _ = layer.forward(x, attentionMask: rightPadded)
        let dx = layer.backward(probe).array
        GradientCheck.assertClose("GQA attention dx", analytic: dx, tensor: x, loss: loss)
        for (name, p) in [("Wq", layer.query.weight), ("bq", layer.query.bias!), ("Wk", layer.key.weight),
                          ("Wv", layer.value.weight), ("bv", layer.value.bias!), ("Wo", layer.output.weight),
                          ("bo", layer.output.bias!)] {
            GradientCheck.assertClose("GQA attention \(name)", analytic: p.gradient?.array ?? [], tensor: p.value, loss: loss)
        }
    }

    func testMultiHeadBidirectionalGradientsWithOddSizes() {
        var rng = SeededGenerator(seed: 55)
        let layer = makeAttention(dim: 5, heads: 3, kvHeads: 3, headDim: 3, causal: false, rope: false, trainable: true, &rng)
        let x = randomTensor([2, 5, 5], &rng)
        let probe = randomTensor([2, 5, 5], &rng)
        let loss = { weightedSum(layer.forward(x, attentionMask: self.rightPadded), probe) }
        _ = layer.forward(x, attentionMask: rightPadded)
        let dx = layer.backward(probe).array
        GradientCheck.assertClose("MHA attention dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("MHA attention Wk", analytic: layer.key.weight.gradient?.array ?? [], tensor: layer.key.weight.value, loss: loss)
        GradientCheck.assertClose("MHA attention Wq", analytic: layer.query.weight.gradient?.array ?? [], tensor: layer.query.weight.value, loss: loss)
    }

    func testAdapterOnQueryProjectionGradient() {
        var rng = SeededGenerator(seed: 56)
        let layer = makeAttention(dim: 6, heads: 2, kvHeads: 1, headDim: 4, causal: true, rope: true, trainable: false, &rng)
        let adapter = LoRAXSAdapter(b: randomTensor([8, 3], &rng), r: randomTensor([3, 3], &rng), a: randomTensor([3, 6], &rng))
        layer.query.adapter = adapter
        let x = randomTensor([1, 4, 6], &rng), probe = randomTensor([1, 4, 6], &rng)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        let dx = layer.backward(probe).array
        XCTAssertNil(layer.query.weight.gradient)
        GradientCheck.assertClose("attention + LoRA-XS dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("attention + LoRA-XS dR", analytic: adapter.r.gradient?.array ?? [], tensor: adapter.r.value, loss: loss)
    }

    /// Changing padded tokens must not change any real token's output, and must receive no
    /// gradient from a loss on real tokens only.
    private func checkPaddingIsInert(causal: Bool, mask: [Bool], seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let layer = makeAttention(dim: 6, heads: 4, kvHeads: 2, headDim: 4, causal: causal, rope: true, trainable: false, &rng)
        let x = randomTensor([2, 5, 6], &rng)
        let before = layer.forward(x, attentionMask: mask).copy()
        let changed = x.copy()
        for t in 0..<10 where !mask[t] {
            for c in 0..<6 { changed.pointer[t * 6 + c] = Float.random(in: -50...50, using: &rng) }
        }
        let after = layer.forward(changed, attentionMask: mask)
        XCTAssertFalse(after.array.contains { !$0.isFinite })
        for t in 0..<10 where mask[t] {
            for c in 0..<6 {
                XCTAssertEqual(after.pointer[t * 6 + c], before.pointer[t * 6 + c], accuracy: 1e-6, "token \(t)")
            }
        }
        // A loss on real tokens only sends no gradient into padded inputs.
        let probe = randomTensor([2, 5, 6], &rng)
        for t in 0..<10 where !mask[t] { for c in 0..<6 { probe.pointer[t * 6 + c] = 0 } }
        _ = layer.forward(x, attentionMask: mask)
        let dx = layer.backward(probe)
        for t in 0..<10 where !mask[t] {
            for c in 0..<6 { XCTAssertEqual(dx.pointer[t * 6 + c], 0, "padded token \(t) got gradient") }
        }
        XCTAssertTrue(dx.array.contains { $0 != 0 })
    }

    func testRightPaddingIsInertForCausalAndBidirectional() {
        checkPaddingIsInert(causal: true, mask: rightPadded, seed: 57)
        checkPaddingIsInert(causal: false, mask: rightPadded, seed: 58)
    }

    func testLeftPaddingIsInertUnderCausalMask() {
        // Sequence 1 starts with two pads: its first queries see no key at all.
        let leftPadded = [true, true, true, true, true, false, false, true, true, true]
        checkPaddingIsInert(causal: true, mask: leftPadded, seed: 59)
        checkPaddingIsInert(causal: false, mask: leftPadded, seed: 60)
    }
}

final class KeyValueCacheTests: XCTestCase {
    /// Sequences of different lengths fed to their cache rows in ragged segments — prompts,
    /// single tokens, rows resting while others advance, a finished row emptied and given a
    /// new sequence — must reproduce each sequence's own full causal forward.
    private func checkSegmentsMatchFullForward(seed: UInt64, window: Int? = nil) {
        var rng = SeededGenerator(seed: seed)
        let (dim, h, kvh, d) = (7, 4, 2, 4)
        let layer = Attention(query: Linear(weight: randomTensor([h * d, dim], &rng), bias: randomTensor([h * d], &rng)),
                              key: Linear(weight: randomTensor([kvh * d, dim], &rng)),
                              value: Linear(weight: randomTensor([kvh * d, dim], &rng)),
                              output: Linear(weight: randomTensor([dim, h * d], &rng)),
                              heads: h, keyValueHeads: kvh, headDimension: d, causal: true,
                              rotary: RotaryEmbedding(headDimension: d, theta: 1000), slidingWindow: window)
        let sequences = [6, 4, 3].map { randomTensor([1, $0, dim], &rng) }
        let full = sequences.map { layer.forward($0).copy() }
        let cache = KeyValueCache(batch: 2, capacity: 6, keyValueHeads: kvh, headDimension: d)
        // (sequence, row, tokens) per step; sequence 2 takes row 1 after sequence 1 ends.
        let schedule: [[(sequence: Int, row: Int, tokens: Int)]] = [
            [(0, 0, 3), (1, 1, 2)], [(1, 1, 1), (0, 0, 1)], [(0, 0, 1)], [(0, 0, 1), (1, 1, 1)],
            [(2, 1, 2)], [(2, 1, 1)],
        ]
        var fed = [0, 0, 0]
        for step in schedule {
            for part in step where fed[part.sequence] == 0 { cache.reset(row: part.row) }
            let total = step.reduce(0) { $0 + $1.tokens }
            let x = Tensor(zeros: [1, total, dim])
            var offset = 0
            for part in step {
                (x.pointer + offset * dim).update(from: sequences[part.sequence].pointer + fed[part.sequence] * dim,
                                                  count: part.tokens * dim)
                offset += part.tokens
            }
            let y = layer.forward(x, cache: cache, segments: step.map { CacheSegment(row: $0.row, tokens: $0.tokens) })
            offset = 0
            for part in step {
                for t in 0..<part.tokens {
                    let position = fed[part.sequence] + t
                    for c in 0..<dim {
                        XCTAssertEqual(y.pointer[(offset + t) * dim + c], full[part.sequence].pointer[position * dim + c],
                                       accuracy: 2e-5, "sequence \(part.sequence) token \(position)")
                    }
                }
                offset += part.tokens
                fed[part.sequence] += part.tokens
            }
        }
        XCTAssertEqual(fed, [6, 4, 3])
        XCTAssertEqual(cache.lengths, [6, 3])
        cache.reset()
        XCTAssertEqual(cache.lengths, [0, 0])
    }

    func testRaggedSegmentsMatchFullForward() {
        checkSegmentsMatchFullForward(seed: 101)
    }

    func testRaggedSegmentsWithSlidingWindow() {
        checkSegmentsMatchFullForward(seed: 103, window: 3)
    }
}
