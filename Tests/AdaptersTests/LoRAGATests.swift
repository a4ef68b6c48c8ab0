import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// LoRA-GA's initialisation against the authors' code (fixture) and on a whole model: the
/// model starts unchanged, the factors come from the estimated gradient, merge and PEFT
/// factors express the same update.
@Suite struct LoRAGATests {
    static let targets = ["q", "k", "v", "o", "gate", "up", "down"]

    @Test func initialFactorsMatchTheAuthorsCode() throws {
        let f = try GradientMethodFixture.load().lora_ga
        let settings = AdapterSettings(method: .loraGA, rank: f.rank, alpha: f.alpha, targets: ["q"],
                                       loraGAGamma: f.gamma)
        var generator = SeededGenerator(seed: 1)
        let g = Tensor(shape: [f.rows, f.columns], values: f.gradient)
        let (b, a, kept) = try LoRAGAMethod.initialFactors(gradient: g, settings: settings, generator: &generator)
        #expect(b.shape == [f.rows, f.rank] && a.shape == [f.rank, f.columns])
        // Singular vectors are defined up to sign: align each column of B and row of A with
        // the reference's, then they must agree (magnitudes carry the stable scale).
        let r = f.rank
        for j in 0..<r {
            let ours = (0..<f.rows).map { b.pointer[$0 * r + j] }
            let ref = (0..<f.rows).map { f.b[$0 * r + j] }
            #expect(relativeDifference(aligned(ours, to: ref), ref) < 1e-4, "B column \(j)")
            let oursA = Array(a.array[(j * f.columns)..<((j + 1) * f.columns)])
            let refA = Array(f.a[(j * f.columns)..<((j + 1) * f.columns)])
            #expect(relativeDifference(aligned(oursA, to: refA), refA) < 1e-4, "A row \(j)")
        }
        // The offset s·B₀A₀ the authors subtract from W, with our signs aligned to theirs.
        let refB = Tensor(shape: b.shape, values: f.b), refA = Tensor(shape: a.shape, values: f.a)
        let offset = Gemm.product(refB, refA)
        Elementwise.scale(offset, by: settings.scale, into: offset)
        #expect(relativeDifference(offset.array, f.offset) < 1e-5)
        let total = f.gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
        let leading = f.singular_values.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(kept - leading / total) < 1e-4)
    }

    @Test func modelStartsUnchangedAndFactorsComeFromTheEstimatedGradient() throws {
        let batches = [try TinyModels.lmBatch(seed: 1), try TinyModels.lmBatch(seed: 2, rows: 3)]
        let probe = try TinyModels.lmBatch(seed: 9)
        let rank = 2
        // Reference: the summed gradients Σ_b ∇(loss_b / n_b), computed batch by batch.
        let reference = try TinyModels.llama()
        let before = try reference.logits(probe.tokens).array
        let refTargets = reference.targetableLayers(named: Set(Self.targets))
        let sums = try TinyModels.summedGradients(reference, targets: refTargets, over: batches)

        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: .loraGA, rank: rank, alpha: 4, targets: Self.targets, seed: 5)
        let (adapters, report) = try AdapterFactory.attach(settings, to: model, gradientBatches: batches)
        #expect(report?.samples == 5 && report?.passes == 1 && report?.effectiveLearningRate == nil)
        #expect(adapters.trainableParameterCount == refTargets.reduce(0) { $0 + rank * ($1.linear.inFeatures + $1.linear.outFeatures) })
        // W + s(B A − B₀A₀) = W at the start.
        let start = try model.logits(probe.tokens).array
        #expect(relativeDifference(start, before) < 1e-6)

        var generator = SeededGenerator(seed: 5)
        for (i, e) in adapters.entries.enumerated() {
            let ga = try #require(e.adapter as? PiSSAAdapter)
            let w = e.target.linear.weight.value
            var own = generator.fork()
            let expected = try LoRAGAMethod.initialFactors(
                gradient: Tensor(shape: w.shape, values: sums[i].map(Float.init)), settings: settings, generator: &own)
            // Singular vectors carry an arbitrary sign each: compare the sign-free B Bᵀ and AᵀA.
            let bbt = Gemm.product(ga.trained.b.value, ga.trained.b.value, transposeB: true)
            let ata = Gemm.product(ga.trained.a.value, ga.trained.a.value, transposeA: true)
            let expectedBBt = Gemm.product(expected.b, expected.b, transposeB: true)
            let expectedAtA = Gemm.product(expected.a, expected.a, transposeA: true)
            #expect(relativeDifference(bbt.array, expectedBBt.array) < 1e-3, "\(e.target.modulePath) B")
            #expect(relativeDifference(ata.array, expectedAtA.array) < 1e-3, "\(e.target.modulePath) A")
            #expect(ga.trained.a.value.array == ga.initial.a.value.array && ga.trained.b.value.array == ga.initial.b.value.array)
            #expect(ga.trained.a.isTrainable && ga.trained.b.isTrainable && !ga.initial.a.isTrainable && !ga.initial.b.isTrainable)
            #expect(w.array == refTargets[i].linear.weight.value.array)   // W itself is not rewritten
        }

        // After a move of the trained factors: merge, PEFT's rank-2r factors and the adapter
        // compute the same model.
        TinyModels.perturb(adapters, seed: 2, standardDeviation: 0.05)
        let moved = try model.logits(probe.tokens).array
        #expect(relativeDifference(moved, before) > 1e-4)
        for e in adapters.entries {
            let adapter = try #require(e.adapter)
            let (a, b) = adapter.peftFactors()
            #expect(a.shape == [2 * rank, e.target.linear.inFeatures] && b.shape == [e.target.linear.outFeatures, 2 * rank])
            let base = e.target.linear.weight.value
            let viaPEFT = adapter.merged(into: Tensor(zeros: base.shape))
            let product = Gemm.product(b, a)
            Elementwise.scale(product, by: settings.scale, into: product)   // PEFT's 2·alpha / 2r
            #expect(relativeDifference(product.array, viaPEFT.array) < 1e-5)
        }
        #expect(LoRAGAMethod.peftConfigOverrides(settings)["r"] as? Int == 2 * rank)
        #expect(LoRAGAMethod.peftAlpha(settings) == 2 * settings.alpha)
        adapters.mergeIntoBase()
        #expect(relativeDifference(try model.logits(probe.tokens).array, moved) < 1e-5)
    }

    /// `v` times ±1, whichever points it along `reference`.
    func aligned(_ v: [Float], to reference: [Float]) -> [Float] {
        zip(v, reference).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? v.map { -$0 } : v
    }
}
