import Foundation
import Testing
@testable import LoRASB
import Distributed
import TestSupport
import Training

/// A head's validation in one pass (real all-MiniLM-L6-v2 with a fresh head) gives exactly what
/// the two passes it replaces measured: the trainer's loss over its prefix of the validation
/// batches and the head's metrics over all of them, for a classifier (MRPC, 2 classes) and a
/// regression head (STS-B).
@Suite(.serialized) struct HeadValidationTests {
    static let cases: [(folder: URL, examples: Int)] = [
        (TestPaths.sharedData.appendingPathComponent("glue/MRPC"), 40),
        (TestPaths.fixtures.appendingPathComponent("glue-formats/STS-B"), 8),
    ]

    @Test(arguments: [0, 1])
    func onePassMeasuresWhatTheTwoPassesMeasured(_ index: Int) throws {
        let (folder, count) = Self.cases[index]
        var options = DataOptions(path: try TestPaths.require(folder))
        options.maxValidationExamples = count
        let data = try TrainingData.load(options, family: .bert)
        let layout = try #require(data.layout)
        let model = try LoadedModel(try TestPaths.require(TestPaths.miniLM), labelCount: layout.headOutputs, seed: 3)
        let encoded = try data.encoded(with: model.tokenizer, maxSequenceLength: 64)
        #expect(encoded.validation.count == count)
        let batches = try BatchLoader.evaluationBatches(encoded.validation, batchSize: 3, padTokenID: model.padTokenID)
        let communicator = SingleProcess()

        for lossBatches in [batches.count, 2] {
            let fused = try HeadScores.validation(model, encoded.validation, batches: batches, lossBatches: lossBatches,
                                                  layout: layout, communicator: communicator)
            let prefix = Array(batches.prefix(lossBatches))
            let loss = try Trainer.meanLoss(of: model.network, over: prefix)
            let scores = try HeadScores.scores(model, encoded.validation, layout: layout, batchSize: 3, communicator: communicator)
            #expect(fused.loss == loss, "loss over \(lossBatches) batches")
            #expect(fused.metrics.map(\.name) == scores.map(\.name))
            #expect(zip(fused.metrics, scores).allSatisfy { $0.value == $1.value || ($0.value.isNaN && $1.value.isNaN) },
                    "\(fused.metrics) against \(scores)")
            #expect(!fused.metrics.isEmpty && loss.isFinite && loss > 0)
        }
        // The prefix is a real cut: its loss differs from the whole set's.
        let whole = try HeadScores.validation(model, encoded.validation, batches: batches, lossBatches: batches.count,
                                              layout: layout, communicator: communicator)
        let part = try HeadScores.validation(model, encoded.validation, batches: batches, lossBatches: 2,
                                             layout: layout, communicator: communicator)
        #expect(whole.loss != part.loss)
    }
}
