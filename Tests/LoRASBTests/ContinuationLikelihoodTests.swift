import Foundation
import Testing
@testable import LoRASB
import TestSupport

/// Likelihood scoring's log-probabilities on SmolLM2-135M (the real Q4_1 GGUF): equal to the
/// model's own token loss over the continuation, and to Transformers' log-softmax of the same
/// texts (`scripts/fixtures/make_continuation_fixtures.py`).
@Suite(.serialized) struct ContinuationLikelihoodTests {
    struct Fixture: Decodable {
        struct Continuation: Decodable { let text: String; let keyword: String; let ids: [Int]; let log_probability: Double }
        struct Case: Decodable {
            let set: String; let context: String; let context_ids: [Int]; let answer: String
            let continuations: [Continuation]
        }
        let cases: [Case]
    }

    static func fixture() throws -> Fixture {
        let url = TestPaths.fixtures.appendingPathComponent("tasks/continuations.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func contextWhitespaceMovesToTheContinuation() throws {
        let model = try LoadedModel(try TestPaths.require(TestPaths.smolLM2GGUF))
        let split = ContinuationLikelihood.tokens(context: "the answer is ", continuations: ["answer1"], tokenizer: model.tokenizer)
        #expect(split.context == model.tokenizer.encode("the answer is").ids)
        #expect(split.continuations == [model.tokenizer.encode(" answer1", addSpecialTokens: false).ids])
        #expect(split.context + split.continuations[0] == model.tokenizer.encode("the answer is answer1").ids)
    }

    @Test func logProbabilitiesMatchTransformers() throws {
        let model = try LoadedModel(try TestPaths.require(TestPaths.smolLM2GGUF))
        let decoder = try #require(model.decoder)
        var worst = 0.0
        for c in try Self.fixture().cases {
            let ids = ContinuationLikelihood.tokens(context: c.context, continuations: c.continuations.map(\.keyword),
                                                    tokenizer: model.tokenizer)
            #expect(ids.context == c.context_ids, "\(c.set): context ids")
            #expect(ids.continuations == c.continuations.map(\.ids), "\(c.set): continuation ids")
            let ours = try ContinuationLikelihood.logProbabilities(decoder, context: ids.context, continuations: ids.continuations,
                                                                  padTokenID: model.padTokenID)
            for (o, reference) in zip(ours, c.continuations) {
                worst = max(worst, abs(o - reference.log_probability))
                #expect(abs(o - reference.log_probability) <= 2e-3 * max(1, abs(reference.log_probability)),
                        "\(c.set) \(reference.keyword): ours \(o), Transformers \(reference.log_probability)")
            }
            // The ranking, which is what scoring uses, is the same.
            let best = ours.indices.max { ours[$0] < ours[$1] }
            let referenceBest = c.continuations.indices.max { c.continuations[$0].log_probability < c.continuations[$1].log_probability }
            #expect(best == referenceBest, "\(c.set): the likeliest answer")
        }
        print("continuation log-probabilities vs Transformers: max abs difference \(worst)")
    }

    @Test func logProbabilityIsMinusTheTokenLossOfTheContinuation() throws {
        let model = try LoadedModel(try TestPaths.require(TestPaths.smolLM2GGUF))
        let decoder = try #require(model.decoder)
        let ids = ContinuationLikelihood.tokens(context: "Question: is the sky blue? Answer: the correct answer is ",
                                                continuations: ["true", "false", "solution2"], tokenizer: model.tokenizer)
        // Batched (padded to the longest) against one unpadded row at a time through the loss.
        let batched = try ContinuationLikelihood.logProbabilities(decoder, context: ids.context, continuations: ids.continuations,
                                                                 padTokenID: model.padTokenID)
        for (c, logp) in zip(ids.continuations, batched) {
            let tokens = ids.context + c
            let labels = Array(repeating: -100, count: ids.context.count) + c
            let loss = try decoder.loss(TokenBatch(ids: [tokens], labels: [labels]))
            let expected = -Double(loss) * Double(c.count)
            #expect(abs(logp - expected) <= 1e-4 * max(1, abs(expected)), "ours \(logp), from the loss \(expected)")
        }
        #expect(throws: ModelError.self) {
            try ContinuationLikelihood.logProbabilities(decoder, context: [], continuations: [[1]], padTokenID: model.padTokenID)
        }
        #expect(throws: ModelError.self) {
            try ContinuationLikelihood.logProbabilities(decoder, context: [1], continuations: [[]], padTokenID: model.padTokenID)
        }
    }
}
