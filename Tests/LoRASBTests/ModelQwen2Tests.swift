import Foundation
import Testing
@testable import Models
import NN
import Tensor
import TestSupport

/// Parity with Transformers on the real Qwen2.5-Coder Q4_K_M GGUFs (Q5_0 / Q8_0 / Q4_K / Q6_K
/// weights, q/k/v biases, RoPE base 1e6, no Q/K permutation), fixtures by
/// scripts/fixtures/make_qwen2_fixtures.py. Prompts are token ids, so the tokenizer is not
/// under test here. Each suite runs only when its model file is present.
struct Qwen2Parity {
    let fixture: ModelFixture
    let model: LlamaModel

    init(_ fixtureName: String, _ url: URL) throws {
        fixture = try ModelFixture(fixtureName)
        model = try LlamaModel(contentsOf: url)
    }

    /// Largest |Δ| over the vocabulary subset at every position and the reference's top 64
    /// last-position logits; also checks the last position's argmax.
    func promptLogitsDifference() throws -> Float {
        let subset = try fixture.tensor("vocab_subset").array.map { Int($0) }
        let v = model.config.vocabSize
        var worst: Float = 0
        for (i, ids) in fixture.matrix("ids").enumerated() {
            let logits = try model.logits(TokenBatch(ids: [ids])).array
            let ours = (0..<ids.count).flatMap { t in subset.map { logits[t * v + $0] } }
            worst = max(worst, maxAbsDifference(ours, try fixture.tensor("prompt\(i).subset_logits").array))
            let topIds = try fixture.tensor("prompt\(i).last_top_ids").array.map { Int($0) }
            let last = (ids.count - 1) * v
            worst = max(worst, maxAbsDifference(topIds.map { logits[last + $0] },
                                                try fixture.tensor("prompt\(i).last_top_logits").array))
            let argmax = (0..<v).max { logits[last + $0] < logits[last + $1] }
            #expect(argmax == topIds[0], "prompt \(i) argmax")
        }
        return worst
    }

    /// Transformers generated 16 tokens per prompt without stopping at EOS. `singles` prompts
    /// run alone (the rest of the time goes to the batch of all prompts, left-padded).
    func checkGreedyContinuations(singles: Int, batched: Bool) throws {
        let prompts = fixture.matrix("ids"), expected = fixture.matrix("greedy16")
        let options = GenerationOptions(maxNewTokens: 16, ignoreEndOfSequence: true)
        for (i, p) in prompts.enumerated().prefix(singles) {
            #expect(try model.generate(prompts: [p], options: options)[0] == expected[i], "prompt \(i)")
        }
        if batched { #expect(try model.generate(prompts: prompts, options: options) == expected) }
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: TestPaths.qwenCoderGGUF("0.5B").path),
                             "needs Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf (scripts/fetch-qwen.sh)"))
struct ModelQwen2Tests {
    /// Loaded once for the whole suite (Swift Testing makes a fresh instance per test, and
    /// loading 0.5B parameters each time would dominate the suite's run time).
    nonisolated(unsafe) static let shared = Result { try Qwen2Parity("qwen2-0.5b", TestPaths.qwenCoderGGUF("0.5B")) }
    let parity: Qwen2Parity

    init() throws { parity = try Self.shared.get() }

    @Test func configFromGGUF() {
        let c = parity.model.config
        #expect(c.layerCount == 24 && c.hiddenSize == 896 && c.vocabSize == 151_936)
        #expect(c.ropeTheta == 1_000_000)
        #expect(c.attentionBias && !c.outputBias && !c.tieWordEmbeddings)  // output.weight is its own tensor
    }

    @Test func promptLogitsMatchTransformers() throws {
        let worst = try parity.promptLogitsDifference()
        print("Qwen2.5-Coder-0.5B prompt logits: max abs difference \(worst)")
        #expect(worst <= 1e-3)
    }

    @Test func rightPaddedBatchMatchesTransformers() throws {
        let worst = try paddedBatchSubsetLogitsDifference(parity.model, parity.fixture)
        print("Qwen2.5-Coder-0.5B padded batch logits: max abs difference \(worst)")
        #expect(worst <= 1e-3)
    }

    @Test func lossAndGradientsMatchTransformers() throws {
        let model = parity.model, fixture = parity.fixture
        let c = fixture.object("loss_case")
        let ids = (c["ids"] as? [NSNumber] ?? []).map(\.intValue)
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let names = (c["gradients"] as? [String]) ?? []
        let rows = Int(fixture.number("gradient_rows", in: c))
        #expect(names.count == 2)
        for n in names { try #require(model.parameter(named: "model." + n)).isTrainable = true }
        defer { model.freezeAllParameters() }
        let loss = try model.lossAndGradients(TokenBatch(ids: [ids], labels: [labels]))
        let expected = fixture.number("loss", in: c)
        print("Qwen2.5-Coder-0.5B loss \(loss) vs Transformers \(expected)")
        #expect(abs(Double(loss) - expected) < 1e-4)
        for n in names {
            let gradient = try #require(model.parameter(named: "model." + n)?.gradient)
            let all = gradient.array
            let width = all.count / gradient.shape[0]
            let err = relativeError(Array(all[0..<rows * width]), reference: try fixture.tensor("grad.\(n).rows").array)
            let norm = Float(all.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            let referenceNorm = try fixture.tensor("grad.\(n).norm").array[0]
            print("Qwen2.5-Coder-0.5B gradient \(n): relative error \(err) (first \(rows) rows), norm \(norm) vs \(referenceNorm)")
            #expect(err <= 1e-3, "\(n)")
            #expect(abs(norm - referenceNorm) <= 1e-3 * referenceNorm, "\(n) norm")
        }
    }

    @Test func greedyContinuationsMatchTransformersSingleAndBatched() throws {
        try parity.checkGreedyContinuations(singles: 1, batched: true)
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: TestPaths.qwenCoderGGUF("1.5B").path),
                             "needs Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf (scripts/fetch-qwen.sh)"))
struct ModelQwen2Large {
    @Test func logitsAndGreedyContinuationsMatchTransformers() throws {
        let parity = try Qwen2Parity("qwen2-1.5b", TestPaths.qwenCoderGGUF("1.5B"))
        let worst = try parity.promptLogitsDifference()
        print("Qwen2.5-Coder-1.5B prompt logits: max abs difference \(worst)")
        #expect(worst <= 1e-3)
        try parity.checkGreedyContinuations(singles: 1, batched: true)
    }
}

/// Largest |Δ| between our logits on the fixture's right-padded `batch` and Transformers'
/// (`batch.subset_logits`: the vocabulary subset at every real token).
func paddedBatchSubsetLogitsDifference(_ model: LlamaModel, _ fixture: ModelFixture) throws -> Float {
    let b = fixture.object("batch")
    let ids = fixture.matrix("ids", in: b), mask = fixture.matrix("attention_mask", in: b)
    let subset = try fixture.tensor("vocab_subset").array.map { Int($0) }
    let logits = try model.logits(TokenBatch(ids: ids, attentionMask: mask)).array
    let reference = try fixture.tensor("batch.subset_logits").array
    let v = model.config.vocabSize, t = ids[0].count, s = subset.count
    var worst: Float = 0
    for r in 0..<ids.count {
        for p in 0..<t where mask[r][p] != 0 {
            let row = r * t + p
            worst = max(worst, maxAbsDifference(subset.map { logits[row * v + $0] },
                                                Array(reference[row * s..<(row + 1) * s])))
        }
    }
    return worst
}
