import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// The LoRA-SB initialisation against a direct computation of the method as DESIGN.md and the
/// paper state it.
@Suite struct LoRASBInitializerTests {
    static let targets = ["q", "k", "v", "o", "gate", "up", "down"]

    @Test func factorsAreTheTruncatedSVDOfTheSignedFirstStep() throws {
        let batches = [try TinyModels.lmBatch(seed: 1), try TinyModels.lmBatch(seed: 2, rows: 3)]
        let eta = 1e-3
        let rank = 4

        // Reference: Σ_b ∇(loss_b / n_b) for every target, computed batch by batch.
        let reference = try TinyModels.llama()
        let refTargets = reference.targetableLayers(named: Set(Self.targets))
        let sums = try TinyModels.summedGradients(reference, targets: refTargets, over: batches)

        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: .loraSB, rank: rank, targets: Self.targets, seed: 7)
        let (adapters, report) = try AdapterFactory.attach(settings, to: model, gradientBatches: batches,
                                                           effectiveLearningRate: eta)
        let r = try #require(report)
        #expect(r.samples == 5 && r.batches == 2)
        #expect(adapters.entries.count == 2 * 7)
        #expect(adapters.trainableParameterCount == 2 * 7 * rank * rank)

        var generator = SeededGenerator(seed: 7)
        for (i, e) in adapters.entries.enumerated() {
            let xs = try #require(e.adapter as? LoRAXSAdapter)
            #expect(e.target.modulePath == refTargets[i].modulePath)
            // ΔW = −η·sign(G) from the independently summed gradients, then the same
            // randomized SVD (same seed, same order of targets) must give the same factors.
            let w = e.target.linear.weight.value
            let delta = Tensor(shape: w.shape, values: sums[i].map { $0 > 0 ? Float(-eta) : ($0 < 0 ? Float(eta) : 0) })
            var own = generator.fork()   // one stream per target, forked in target order
            let svd = try SVD.randomized(delta, rank: rank, powerIterations: 10, generator: &own)
            let expected = svd.reconstructed()
            let ours = Gemm.product(xs.b.value, Gemm.product(xs.r.value, xs.a.value))
            let err = relativeDifference(ours.array, expected.array)
            #expect(err < 1e-5, "\(e.target.modulePath): B R A vs the truncated SVD of ΔW: \(err)")
            // And that truncation is near the best rank-r approximation (Eckart–Young):
            // a sign matrix has a flat spectrum, the hard case for a randomized SVD.
            let exact = try SVD.exact(delta).singularValues
            let bound = exact.dropFirst(rank).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let residual = Tensor(zeros: w.shape)
            Elementwise.subtract(delta, ours, into: residual)
            let achieved = Reductions.squaredNorm(residual).squareRoot()
            #expect(achieved <= bound * 1.05, "\(e.target.modulePath): residual \(achieved) vs bound \(bound)")
            // B, A orthonormal; R diagonal, non-negative, descending.
            let btb = Gemm.product(xs.b.value, xs.b.value, transposeA: true)
            let aat = Gemm.product(xs.a.value, xs.a.value, transposeB: true)
            for p in 0..<rank {
                for q in 0..<rank {
                    let id: Float = p == q ? 1 : 0
                    #expect(abs(btb.pointer[p * rank + q] - id) < 1e-4)
                    #expect(abs(aat.pointer[p * rank + q] - id) < 1e-4)
                    if p != q { #expect(xs.r.value.pointer[p * rank + q] == 0) }
                }
                if p > 0 { #expect(xs.r.value.pointer[p * rank + p] <= xs.r.value.pointer[(p - 1) * rank + p - 1]) }
            }
            // Only R trains; the base weight is frozen and unchanged.
            #expect(xs.r.isTrainable && !xs.b.isTrainable && !xs.a.isTrainable)
            #expect(!e.target.linear.weight.isTrainable && e.target.linear.weight.gradient == nil)
            #expect(w.array == refTargets[i].linear.weight.value.array)
        }
        for f in r.energyKept { #expect(f.fraction > 0 && f.fraction <= 1) }
    }

    @Test func initialisationAppliesTheApproximateFirstStep() throws {
        // With the adapter attached, the model computes W + B R A: the same logits as the base
        // model with ΔW_r added to every target weight.
        let batch = try TinyModels.lmBatch(seed: 3)
        let model = try TinyModels.llama()
        let before = try model.loss(batch, backward: false)
        let settings = AdapterSettings(method: .loraSB, rank: 8, targets: Self.targets, seed: 1)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model, gradientBatches: [batch],
                                                      effectiveLearningRate: 5e-3)
        let withAdapter = try model.logits(batch.tokens).array
        let after = try model.loss(batch, backward: false)
        // The step goes downhill on the batch it was estimated from.
        #expect(after < before, "loss \(before) → \(after)")
        adapters.mergeIntoBase()
        let merged = try model.logits(batch.tokens).array
        #expect(relativeDifference(merged, withAdapter) < 1e-5)
    }

    @Test func rawGradientAblationScalesTheGradient() throws {
        let batch = try TinyModels.lmBatch(seed: 4)
        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: .loraSB, rank: 2, targets: ["q"], seed: 1, initGradient: .raw)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model, gradientBatches: [batch],
                                                      effectiveLearningRate: 1)
        let reference = try TinyModels.llama()
        let t = reference.targetableLayers(named: ["q"])
        for x in t { x.linear.weight.isTrainable = true }
        _ = try reference.loss(batch, backward: true)
        var generator = SeededGenerator(seed: 1)
        for (e, x) in zip(adapters.entries, t) {
            let g = try #require(x.linear.weight.gradient)
            let n = Float(batch.sampleCount)
            let delta = Tensor(shape: g.shape, values: g.array.map { -$0 / n })
            var own = generator.fork()
            let best = try SVD.randomized(delta, rank: 2, powerIterations: 10, generator: &own).reconstructed()
            let xs = try #require(e.adapter as? LoRAXSAdapter)
            let ours = Gemm.product(xs.b.value, Gemm.product(xs.r.value, xs.a.value))
            #expect(relativeDifference(ours.array, best.array) < 1e-5)
        }
    }

    /// With bf16 precision the estimate runs on the bf16 copies (the targets are held fixed,
    /// not made trainable in the optimizer's sense), lands close to the fp32 estimate, and
    /// leaves the targets frozen with their copies.
    @Test func bf16PrecisionEstimatesOnTheBF16Copies() throws {
        guard Gemm.bf16Supported else { return }
        let batches = [try TinyModels.lmBatch(seed: 1), try TinyModels.lmBatch(seed: 2, rows: 3)]
        #expect(batches.allSatisfy { $0.tokens.batchSize * $0.tokens.length >= Linear.bf16MinimumRows })
        let settings = AdapterSettings(method: .loraSB, rank: 4, targets: Self.targets, seed: 7, initGradient: .raw)
        func update(_ precision: ComputePrecision) throws -> [[Float]] {
            let model = try TinyModels.llama()
            try model.use(precision)
            let (adapters, _) = try AdapterFactory.attach(settings, to: model, gradientBatches: batches,
                                                          effectiveLearningRate: 1e-3)
            return try adapters.entries.map { e in
                #expect(!e.target.linear.weight.isTrainable && !e.target.linear.weight.isHeldFixed)
                #expect(e.target.linear.productPrecision == precision.productPrecision)
                let xs = try #require(e.adapter as? LoRAXSAdapter)
                return Gemm.product(xs.b.value, Gemm.product(xs.r.value, xs.a.value)).array
            }
        }
        let fp32 = try update(.fp32), bf16 = try update(.bf16)
        let errors = zip(bf16, fp32).map { relativeDifference($0, $1) }
        #expect(errors.max()! < 3e-2, "\(errors)")
        #expect(errors.max()! > 1e-6)   // the bf16 products ran
    }

    @Test func effectiveLearningRateFollowsTheFormula() {
        #expect(LoRASBInitializer.formulaLearningRate(learningRate: 1e-3, warmupRatio: 0.1, totalSteps: 200) == 1e-3 / 20)
        #expect(LoRASBInitializer.formulaLearningRate(learningRate: 1e-3, warmupRatio: 0, totalSteps: 200) == 1e-3)
        // The authors' variant counts steps of a batch-3 loader over the whole training set.
        #expect(LoRASBInitializer.authorsLearningRate(learningRate: 1e-3, warmupRatio: 0.1,
                                                      trainingExamples: 600, epochs: 1) == 1e-3 / 20)
    }

    @Test func unknownTargetsAreNamed() throws {
        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: .loraSB, rank: 2, targets: ["q", "query"])
        #expect(throws: AdapterError.self) {
            _ = try AdapterFactory.attach(settings, to: model, gradientBatches: [try TinyModels.lmBatch(seed: 1)],
                                          effectiveLearningRate: 1e-3)
        }
        do {
            _ = try AdapterFactory.attach(settings, to: model, gradientBatches: [], effectiveLearningRate: 1e-3)
        } catch let e as AdapterError {
            #expect(e.description.contains("query") && e.description.contains("gate"))
        }
    }
}
