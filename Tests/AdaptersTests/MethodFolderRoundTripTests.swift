import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor
import TestSupport

/// Per method: an adapter moved away from its initial point is saved, loaded onto a fresh copy
/// of the model and gives the same logits; merged into the weights it gives them too.
@Suite struct MethodFolderRoundTripTests {
    static let methods: [AdapterMethod] = [.rsLoRA, .pissa, .dora]

    @Test(arguments: methods)
    func savedAdapterLoadsToTheSameLogitsAndMergesToThem(_ method: AdapterMethod) throws {
        let batch = try TinyModels.lmBatch(seed: 21).tokens
        let model = try TinyModels.llama("tiny-qwen2")
        let settings = AdapterSettings(method: method, rank: 4, alpha: 6, targets: ["q", "v", "down"], seed: 7)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model)
        TinyModels.perturb(adapters, seed: 9, standardDeviation: 0.05)
        let trained = try model.logits(batch).copy()
        let base = try TinyModels.llama("tiny-qwen2")
        #expect(relativeDifference(trained.array, try base.logits(batch).array) > 1e-4, "the adapter changes nothing")

        let identity = BaseModelIdentity(path: "tiny-qwen2", architecture: "qwen2", layers: 2, hiddenSize: 32,
                                         vocabSize: 96, parameters: 0)
        let (loaded, _) = try TinyModels.saveAndLoad(adapters, identity: identity, onto: base)
        #expect(loaded.trainableParameterCount == adapters.trainableParameterCount)
        #expect(relativeDifference(try base.logits(batch).array, trained.array) < 1e-6)

        loaded.mergeIntoBase()
        #expect(base.targetableLayers.allSatisfy { $0.linear.adapter == nil })
        #expect(relativeDifference(try base.logits(batch).array, trained.array) < 1e-5)
    }

    /// PiSSA starts exactly at the base model (`W + s·(B₀A₀ − B₀A₀)`) and `B₀ A₀` is the best
    /// rank-r part of `W` divided by the scale; DoRA starts at the base model with `m = ‖W‖`.
    @Test func pissaAndDoRAStartAtTheBaseModel() throws {
        let batch = try TinyModels.lmBatch(seed: 4).tokens
        let reference = try TinyModels.llama("tiny-qwen2").logits(batch)
        for method in [AdapterMethod.pissa, .dora] {
            let model = try TinyModels.llama("tiny-qwen2")
            let settings = AdapterSettings(method: method, rank: 4, alpha: 8, targets: ["q", "v", "down"])
            let (adapters, _) = try AdapterFactory.attach(settings, to: model)
            #expect(relativeDifference(try model.logits(batch).array, reference.array) < 1e-6, "\(method)")
            for e in adapters.entries {
                let w = e.target.linear.weight.value
                if let p = e.adapter as? PiSSAAdapter {
                    let rankR = try SVD.exact(w).truncated(to: 4).reconstructed()
                    let ba = Gemm.product(p.initial.b.value, p.initial.a.value)
                    Elementwise.scale(ba, by: settings.scale, into: ba)
                    #expect(relativeDifference(ba.array, rankR.array) < 1e-4, "\(e.target.modulePath)")
                }
                if let d = e.adapter as? DoRAAdapter {
                    for i in 0..<w.rows {
                        let row = Tensor(shape: [w.columns], values: Array(w.array[(i * w.columns)..<((i + 1) * w.columns)]))
                        let norm = Float(Reductions.squaredNorm(row).squareRoot())
                        #expect(abs(d.magnitude.value.array[i] - norm) <= 1e-5 * norm)
                    }
                }
            }
        }
    }
}
