import Foundation
import Testing
@testable import Models
import ModelIO
import NN
import Tensor
import TestSupport

/// A one-output head trained with mean squared error (STS-B): its loss, predictions and
/// gradients against Transformers' `BertForSequenceClassification(num_labels=1)` on MiniLM
/// (scripts/fixtures/make_regression_fixtures.py), and its backward through a whole tiny encoder
/// against finite differences.
@Suite(.serialized) struct RegressionHeadGradientTests {
    @Test func miniLMRegressionLossAndGradientsMatchTransformers() throws {
        let f = try ModelFixture("minilm_regression")
        #expect(f.json["problem_type"] as? String == "regression")
        let files = try ModelFiles(url: TestPaths.require(TestPaths.miniLM))
        let encoder = try BertModel(config: EncoderConfig(files.config, source: "MiniLM"), weights: files)
        let head = InMemoryWeights(["classifier.weight": try f.tensor("classifier.weight"),
                                    "classifier.bias": try f.tensor("classifier.bias")])
        let model = try BertSequenceClassifier(encoder: encoder, headWeights: head)
        #expect(model.labelCount == 1)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   tokenTypes: f.matrix("token_type_ids"))
        let names = ["encoder.layer.0.attention.self.query.weight", "encoder.layer.5.attention.output.dense.weight"]
        for n in names { try #require(model.parameter(named: "bert." + n)).isTrainable = true }
        let scores = (f.json["scores"] as? [NSNumber] ?? []).map(\.floatValue)
        #expect(scores.count == batch.batchSize)
        let loss = try model.lossAndGradients(batch, targets: .values(scores))
        print("MiniLM regression loss \(loss) vs \(f.number("loss"))")
        #expect(abs(Double(loss) - f.number("loss")) < 1e-5)
        #expect(maxAbsDifference(try model.logits(batch).array, try f.tensor("predictions").array) < 1e-5)
        for n in names.map({ "bert." + $0 }) + ["classifier.weight", "classifier.bias"] {
            let p = try #require(model.parameter(named: n))
            let key = "grad." + (n.hasPrefix("bert.") ? String(n.dropFirst(5)) : n)
            let err = relativeError(try #require(p.gradient).array, reference: try f.tensor(key).array)
            print("MiniLM regression gradient \(n): relative error \(err)")
            #expect(err < 1e-4)
        }
    }

    @Test func oneOutputHeadGradientsMatchFiniteDifferences() throws {
        let f = try ModelFixture("tiny-bert")
        let files = try ModelFiles(url: f.checkpoint)
        let encoder = try BertModel(config: EncoderConfig(files.config, source: "tiny-bert"), weights: files)
        // A fresh one-output head (the checkpoint's has three), as `lorasb train` adds for STS-B.
        let model = try BertSequenceClassifier(encoder: encoder, headWeights: nil, labelCount: 1, seed: 5)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   tokenTypes: f.matrix("token_type_ids"))
        let targets = SequenceTargets.values((0..<batch.batchSize).map { Float($0) * 1.7 + 0.4 })
        let names = ["classifier.weight", "classifier.bias", "bert.pooler.dense.weight",
                     "bert.encoder.layer.1.attention.self.value.weight", "bert.embeddings.word_embeddings.weight"]
        for n in names { try #require(model.parameter(named: n)).isTrainable = true }
        _ = try model.lossAndGradients(batch, targets: targets)
        for n in names {
            let err = try ModelFiniteDifferenceTests.check(try #require(model.parameter(named: n)), count: 12) {
                try model.loss(batch, targets: targets)
            }
            #expect(err < 2e-2, "\(n): relative error \(err)")
        }
        // A one-output head refuses class targets: it is a regression.
        #expect(throws: (any Error).self) { try model.loss(batch, targets: .classes(Array(repeating: 0, count: batch.batchSize))) }
    }
}
