import Foundation
import Adapters
import Models
import NN
import Tensor
import TestSupport

/// The tiny random-weight checkpoints of Tests/Fixtures/models and batches over them.
enum TinyModels {
    static func url(_ name: String) -> URL {
        TestPaths.fixtures.appendingPathComponent("models").appendingPathComponent(name)
    }

    static func llama(_ name: String = "tiny-llama") throws -> LlamaModel {
        try LlamaModel(contentsOf: url(name))
    }

    /// A labelled causal-LM batch: `rows` sequences of `length` ids (vocabulary 96), the
    /// first `prompt` positions unlabelled, the last row right-padded by two.
    static func lmBatch(seed: UInt64, rows: Int = 2, length: Int = 9, prompt: Int = 3) throws -> TrainingBatch {
        var g = SeededGenerator(seed: seed)
        var ids: [[Int]] = [], mask: [[Int]] = [], labels: [[Int]] = []
        for r in 0..<rows {
            let real = r == rows - 1 ? length - 2 : length
            let row = (0..<length).map { $0 < real ? 3 + Int(g.next() % 90) : 0 }
            ids.append(row)
            mask.append((0..<length).map { $0 < real ? 1 : 0 })
            labels.append((0..<length).map { $0 < prompt || $0 >= real ? -100 : row[$0] })
        }
        return TrainingBatch(tokens: try TokenBatch(ids: ids, attentionMask: mask, labels: labels))
    }
}

/// ‖a − b‖ / ‖b‖ in double precision.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    var num = 0.0, den = 0.0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return (num / max(den, 1e-30)).squareRoot()
}

extension TinyModels {
    /// `Σ_b ∇(loss_b / n_b)` of every target's weight, computed batch by batch in double
    /// precision: the gradient estimate worked out independently of `GradientEstimate`.
    static func summedGradients(_ model: LlamaModel, targets: [TargetableLinear],
                                over batches: [TrainingBatch]) throws -> [[Double]] {
        model.freezeAllParameters()
        var sums: [[Double]] = targets.map { [Double](repeating: 0, count: $0.linear.weight.value.count) }
        for batch in batches {
            for t in targets { t.linear.weight.isTrainable = true; t.linear.weight.zeroGradient() }
            _ = try model.loss(batch, backward: true)
            for (i, t) in targets.enumerated() {
                guard let g = t.linear.weight.gradient?.array else { continue }
                for j in g.indices { sums[i][j] += Double(g[j]) / Double(batch.sampleCount) }
            }
        }
        for t in targets { t.linear.weight.isTrainable = false }
        return sums
    }

    /// Adds normal noise to every trained tensor: moves factors off their initial point (LoRA's
    /// B = 0) so every gradient and adjustment has a useful size.
    static func perturb(_ adapters: AdapterSet, seed: UInt64, standardDeviation: Float) {
        var g = SeededGenerator(seed: seed)
        for (_, p) in adapters.trainableParameters {
            let noise = Tensor(zeros: p.shape)
            g.fillNormal(noise, mean: 0, standardDeviation: standardDeviation)
            Elementwise.add(p.value, noise, into: p.value)
        }
    }
}

extension TinyModels {
    /// Saves `adapters` to a temporary adapter folder under a manifest of `identity`, loads it
    /// onto `model` and removes the folder: the round trip every method's file test makes.
    static func saveAndLoad(_ adapters: AdapterSet, identity: BaseModelIdentity,
                            onto model: TrainableModel) throws -> (adapters: AdapterSet, manifest: AdapterManifest) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("lorasb-roundtrip-\(adapters.settings.method)-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = AdapterManifest(settings: adapters.settings, modules: adapters.entries.map(\.target.modulePath),
                                       baseModel: identity, task: "causal-lm", labels: nil,
                                       trainableParameters: adapters.trainableParameterCount,
                                       effectiveLearningRate: nil, training: [:])
        try AdapterFolder.save(adapters, manifest: manifest, to: folder)
        let (loaded, read) = try AdapterFolder.load(folder, onto: model, identity: identity)
        return (loaded, read)
    }
}
