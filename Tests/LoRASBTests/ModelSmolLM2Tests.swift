import Foundation
import ModelIO
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
        let worst = try paddedBatchSubsetLogitsDifference(model, fixture)
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

    /// The loss computes the vocabulary head in chunks of rows; on a batch of several chunks it
    /// must equal the loss and gradients from the whole batch's logits at once.
    @Test func chunkedHeadLossEqualsWholeBatchLogits() throws {
        let (b, t) = (2, 300)   // 600 rows: three chunks, the last one partial
        let ids = (0..<b).map { r in (0..<t).map { ($0 * 7919 + r * 104_729 + 13) % 49_000 } }
        var labels = ids
        labels[1][0..<50] = ArraySlice(repeating: SoftmaxCrossEntropy.ignoreIndex, count: 50)
        let batch = try TokenBatch(ids: ids, labels: labels)
        let names = ["model.layers.29.mlp.down_proj.weight", "model.norm.weight"]
        for n in names { try #require(model.parameter(named: n)).isTrainable = true }
        defer { model.freezeAllParameters() }
        let parameters = try names.map { try #require(model.parameter(named: $0)) }

        let chunked = try model.lossAndGradients(batch)
        let chunkedGradients = parameters.map { $0.gradient?.array ?? [] }
        for p in parameters { p.zeroGradient() }

        let logits = try model.logits(batch)
        let targets = LlamaModel.shiftedTargets(batch.labels ?? [], batch: b, length: t)
        let whole = try SoftmaxCrossEntropy()(logits: logits.reshaped([b * t, model.config.vocabSize]), labels: targets)
        model.backward(logitsGradient: whole.gradient)
        print("SmolLM2 chunked loss \(chunked) vs whole-batch \(whole.loss)")
        #expect(abs(chunked - whole.loss) <= 1e-5 * abs(whole.loss))
        for (p, g) in zip(parameters, chunkedGradients) {
            #expect(relativeError(g, reference: p.gradient?.array ?? []) <= 1e-5)
        }
    }

    /// bf16 products of the frozen weights: the loss and gradients move by what rounding the
    /// weights and activations to 8 significant bits costs, and no more.
    @Test func bf16FrozenWeightsStayCloseToTransformers() throws {
        guard Gemm.bf16Supported else { return }
        let c = fixture.object("loss_case")
        let ids = (c["ids"] as? [NSNumber] ?? []).map(\.intValue)
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let names = ["layers.29.self_attn.v_proj.weight", "norm.weight"]
        for n in names { try #require(model.parameter(named: "model." + n)).isTrainable = true }
        try model.use(.bf16)
        defer { _ = try? model.use(.fp32); model.freezeAllParameters() }
        let loss = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
        let expected = fixture.number("loss", in: c)
        print("SmolLM2 bf16 loss \(loss) vs Transformers fp32 \(expected)")
        #expect(abs(Double(loss) - expected) < 5e-3 * expected)
        // The bf16 products did run: fp32 gives the reference loss to 1e-6 (the test above).
        #expect(abs(Double(loss) - expected) > 1e-5)
        for n in names {
            let ours = try #require(model.parameter(named: "model." + n)?.gradient).array
            let err = relativeError(ours, reference: try fixture.tensor("grad." + n).array)
            print("SmolLM2 bf16 gradient \(n): relative error \(err)")
            #expect(err <= 3e-2, "\(n)")
        }
    }

    /// A weight held fixed while its gradient is summed (the LoRA-SB estimate) stays packed and
    /// keeps its bf16 products, and its own gradient is a bf16 product too: close to Transformers' fp32 gradient,
    /// with the same sign wherever the gradient is not negligible (LoRA-SB keeps only the sign).
    @Test func bf16GradientOfAWeightHeldFixedStaysCloseToTransformers() throws {
        guard Gemm.bf16Supported else { return }
        let c = fixture.object("loss_case")
        let ids = (c["ids"] as? [NSNumber] ?? []).map(\.intValue)
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let name = "layers.29.self_attn.v_proj.weight"
        try model.use(.bf16)
        let weight = try #require(model.parameter(named: "model." + name))
        weight.isTrainable = true
        weight.isHeldFixed = true
        defer { weight.isHeldFixed = false; _ = try? model.use(.fp32); model.freezeAllParameters() }
        _ = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
        let ours = try #require(weight.gradient).array
        let reference = try fixture.tensor("grad." + name).array
        let err = relativeError(ours, reference: reference)
        let largest = reference.map(abs).max() ?? 0
        let significant = reference.indices.filter { abs(reference[$0]) > 1e-2 * largest }
        let agreeing = significant.filter { (ours[$0] > 0) == (reference[$0] > 0) }.count
        print("SmolLM2 bf16 gradient of a held-fixed \(name): relative error \(err), sign agreement \(agreeing)/\(significant.count)")
        #expect(err <= 3e-2)
        #expect(err > 1e-5)   // the bf16 products ran (fp32 matches to ~1e-6)
        #expect(significant.count > 1000 && agreeing >= significant.count * 995 / 1000)
    }

    /// Resident weight bytes: every matrix stays in the GGUF's encoding (Q4_1 blocks, the Q8_0
    /// embedding shared by the tied head), in fp32 and bf16 runs alike and after a training
    /// step's products have run; only the 1-D norm weights are fp32.
    @Test func frozenMatricesStayInTheFilesEncodingInBothPrecisions() throws {
        // A model of its own: other tests make some of the shared model's weights trainable.
        let files = try ModelFiles(url: TestPaths.require(TestPaths.smolLM2GGUF))
        let model = try LlamaModel(files: files)
        guard case .gguf(let file) = files.storage else { Issue.record("SmolLM2 is a GGUF file"); return }
        let c = fixture.object("loss_case")
        let ids = (c["ids"] as? [NSNumber] ?? []).map(\.intValue)
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        for precision in ComputePrecision.allCases where precision == .fp32 || Gemm.bf16Supported {
            try model.use(precision)
            _ = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
            #expect(model.outputProjection.weight === model.embedding.weight, "the tied head shares the packed embedding")
            ResidentWeights(model, file: file).expectNoFP32Matrices("SmolLM2 (\(precision))")
        }
    }

    /// Gradient checkpointing recomputes each block's forward in backward: the same loss and
    /// the same gradients, bit for bit, on a right-padded batch (every block, the embedding
    /// and the final norm train, so every recomputed activation is read).
    @Test func gradientCheckpointingGivesTheSameGradients() throws {
        let b = fixture.object("batch")
        let ids = fixture.matrix("ids", in: b), mask = fixture.matrix("attention_mask", in: b)
        let batch = try TokenBatch(ids: ids, attentionMask: mask, labels: ids)
        let model = try LlamaModel(contentsOf: TestPaths.require(TestPaths.smolLM2GGUF))
        let names = ["model.layers.0.self_attn.q_proj.weight", "model.layers.14.mlp.down_proj.weight",
                     "model.layers.28.self_attn.k_proj.weight", "model.layers.29.input_layernorm.weight",
                     "model.norm.weight"]
        let trained = try names.map { try #require(model.parameter(named: $0)) }
        for p in trained { p.isTrainable = true }
        func run() throws -> (Float, [[Float]]) {
            for p in trained { p.zeroGradient() }
            let loss = try model.lossAndGradients(batch)
            return (loss, trained.map { $0.gradient?.array ?? [] })
        }
        let (plainLoss, plain) = try run()
        model.gradientCheckpointing = true
        let (loss, checkpointed) = try run()
        #expect(loss == plainLoss)
        for (n, (a, b)) in zip(names, zip(checkpointed, plain)) {
            #expect(a == b, "\(n)")
            #expect(a.contains { $0 != 0 }, "\(n) has a gradient")
        }
        // Off again: every block has its own activations once more.
        model.gradientCheckpointing = false
        #expect(try run().1 == plain)
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

    /// Continuous batching: two cache rows for all prompts, sequences stopping after different
    /// numbers of tokens, so a new prompt's prefill shares steps with the other row's decoding.
    /// Every sequence must be its own greedy continuation, finished once, in any order.
    @Test func continuousBatchingGivesEachPromptsOwnContinuation() throws {
        let prompts = fixture.matrix("ids"), expected = fixture.matrix("greedy32")
        #expect(prompts.count >= 3)
        let stopAfter = prompts.indices.map { 6 + 9 * $0 % 25 }
        var produced = [Int](repeating: 0, count: prompts.count)
        var finished: [Int: [Int]] = [:]
        let options = GenerationOptions(maxNewTokens: 32, ignoreEndOfSequence: true, batchSize: 2)
        let out = try model.generate(prompts: prompts, options: options,
                                     onToken: { s, _ in produced[s] += 1; return produced[s] < stopAfter[s] },
                                     onFinish: { s, tokens in #expect(finished.updateValue(tokens, forKey: s) == nil) })
        for s in prompts.indices {
            #expect(out[s] == Array(expected[s].prefix(stopAfter[s])), "prompt \(s)")
            #expect(finished[s] == out[s], "prompt \(s)")
        }
    }
}
