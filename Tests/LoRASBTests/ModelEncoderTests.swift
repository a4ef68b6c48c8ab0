import Foundation
import Testing
@testable import Models
import ModelIO
import NN
import Tensor
import TestSupport

/// Parity with Transformers for BERT-family encoders: tiny BERT and RoBERTa classifiers and the
/// real all-MiniLM-L6-v2.
@Suite(.serialized) struct ModelEncoderTests {
    @Test(arguments: ["tiny-bert", "tiny-roberta"])
    func tinyClassifierMatchesTransformers(_ name: String) throws {
        let f = try ModelFixture(name)
        let model = try BertSequenceClassifier(contentsOf: f.checkpoint)
        #expect(model.labelCount == 3)
        let batch = try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"),
                                   tokenTypes: f.matrix("token_type_ids"))
        let prefix = name == "tiny-bert" ? "bert." : "roberta."
        let gradNames = ["encoder.layer.1.attention.self.query.weight", "encoder.layer.0.output.dense.weight"]
        for n in gradNames { try #require(model.parameter(named: prefix + n)).isTrainable = true }
        let labels = (f.json["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let loss = try model.lossAndGradients(batch, targets: .classes(labels))
        #expect(abs(Double(loss) - f.number("loss")) < 1e-5, "\(name) loss \(loss) vs \(f.number("loss"))")
        let logits = try model.logits(batch).array
        #expect(maxAbsDifference(logits, try f.tensor("logits").array) < 1e-5)
        let hidden = try model.encoder.hiddenStates(batch).array
        let refHidden = try f.tensor("last_hidden_state").array
        let d = model.encoder.config.hiddenSize
        var worst: Float = 0
        for (i, m) in batch.attentionMask.enumerated() where m != 0 {
            worst = max(worst, maxAbsDifference(Array(hidden[i * d..<(i + 1) * d]), Array(refHidden[i * d..<(i + 1) * d])))
        }
        #expect(worst < 1e-4, "\(name) hidden difference \(worst)")
        for n in gradNames {
            let ours = try #require(model.parameter(named: prefix + n)?.gradient).array
            let err = relativeError(ours, reference: try f.tensor("grad." + n).array)
            #expect(err < 1e-4, "\(name) gradient \(n): \(err)")
        }
    }

    @Test func miniLMHiddenStatesAndPoolingMatchTransformers() throws {
        let f = try ModelFixture("minilm")
        let model = try BertModel(contentsOf: TestPaths.require(TestPaths.miniLM))
        let ids = f.matrix("ids"), mask = f.matrix("attention_mask")
        let batch = try TokenBatch(ids: ids, attentionMask: mask, tokenTypes: f.matrix("token_type_ids"))
        let hidden = try model.hiddenStates(batch)
        let dHidden = maxAbsDifference(hidden.array, try f.tensor("last_hidden_state").array)
        let mean = BertModel.meanPooled(hidden, mask: batch.attentionMask, batch: batch.batchSize, length: batch.length)
        let dMean = maxAbsDifference(mean.array, try f.tensor("mean_pooled").array)
        let dPool = maxAbsDifference(try model.pooledOutput(hidden).array, try f.tensor("pooler_output").array)
        print("MiniLM max abs differences: hidden \(dHidden), mean pooled \(dMean), pooler \(dPool)")
        #expect(dHidden < 1e-4 && dMean < 1e-4 && dPool < 1e-4)
    }

    @Test func miniLMClassificationLossAndGradientsMatchTransformers() throws {
        let f = try ModelFixture("minilm")
        let files = try ModelFiles(url: TestPaths.require(TestPaths.miniLM))
        let encoder = try BertModel(config: EncoderConfig(files.config, source: "MiniLM"), weights: files)
        let head = InMemoryWeights(["classifier.weight": try f.tensor("classifier.weight"),
                                    "classifier.bias": try f.tensor("classifier.bias")])
        let model = try BertSequenceClassifier(encoder: encoder, headWeights: head)
        let c = f.object("cls")
        let batch = try TokenBatch(ids: f.matrix("ids", in: c), attentionMask: f.matrix("attention_mask", in: c),
                                   tokenTypes: f.matrix("token_type_ids", in: c))
        let names = ["encoder.layer.0.attention.self.query.weight", "encoder.layer.5.attention.output.dense.weight"]
        for n in names { try #require(model.parameter(named: "bert." + n)).isTrainable = true }
        let labels = (c["labels"] as? [NSNumber] ?? []).map(\.intValue)
        let loss = try model.lossAndGradients(batch, targets: .classes(labels))
        print("MiniLM classification loss \(loss) vs \(f.number("loss", in: c))")
        #expect(abs(Double(loss) - f.number("loss", in: c)) < 1e-5)
        #expect(maxAbsDifference(try model.logits(batch).array, try f.tensor("cls.logits").array) < 1e-5)
        for n in names + ["classifier.weight"] {
            let p = try #require(model.parameter(named: n == "classifier.weight" ? n : "bert." + n))
            let err = relativeError(try #require(p.gradient).array, reference: try f.tensor("grad." + n).array)
            print("MiniLM gradient \(n): relative error \(err)")
            #expect(err < 1e-4)
        }
    }
}
