import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// LoRA-GA and LoRA-Pro adapters through an adapter folder: saved, loaded onto a fresh model,
/// the same logits; the manifest keeps the method's settings.
@Suite struct GradientMethodFileTests {
    @Test(arguments: [AdapterMethod.loraGA, .loraPro])
    func savedAdapterLoadsToTheSameModel(_ method: AdapterMethod) throws {
        let batch = try TinyModels.lmBatch(seed: 3)
        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: method, rank: 2, alpha: 4, targets: ["q", "v", "up"], seed: 6,
                                       initMemoryBudget: 100_000, loraGAGamma: 9)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model, gradientBatches: [batch])
        TinyModels.perturb(adapters, seed: 1, standardDeviation: 0.05)
        let expected = try model.logits(batch.tokens).array
        let identity = BaseModelIdentity(path: "tiny-llama", architecture: "llama", layers: 2, hiddenSize: 32,
                                         vocabSize: 96, parameters: 0)
        let fresh = try TinyModels.llama()
        let (loaded, readManifest) = try TinyModels.saveAndLoad(adapters, identity: identity, onto: fresh)
        #expect(readManifest.settings == settings)
        #expect(loaded.trainableParameterCount == adapters.trainableParameterCount)
        #expect(try fresh.logits(batch.tokens).array == expected)
        for (a, b) in zip(adapters.entries, loaded.entries) {
            let saved = try #require(a.adapter).factors, read = try #require(b.adapter).factors
            #expect(saved.map(\.name) == read.map(\.name))
            for (x, y) in zip(saved, read) {
                #expect(x.parameter.value.array == y.parameter.value.array && x.parameter.isTrainable == y.parameter.isTrainable)
            }
        }
    }
}
