import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// LoRA-SB's initialisation ablations (`LoRASBFactorization`): each variant produces what its
/// setting says, checked against direct computations.
@Suite struct InitAblationTests {
    /// A sign matrix like the method's ΔW (±η, a few zeros), `rows × columns`.
    func signUpdate(rows: Int, columns: Int, seed: UInt64, eta: Float = 1e-3) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let t = Tensor(zeros: [rows, columns])
        for i in 0..<t.count {
            let u = g.uniform(-1, 1)
            t.pointer[i] = abs(u) < 0.05 ? 0 : (u > 0 ? eta : -eta)
        }
        return t
    }

    func settings(rank: Int, basis: AdapterSettings.InitBasis = .update, noise: Double = 0,
                  split: AdapterSettings.InitSplit = .orthonormal) -> AdapterSettings {
        AdapterSettings(method: .loraSB, rank: rank, targets: ["q"], initBasis: basis, initNoise: noise, initSplit: split)
    }

    func product(_ f: LoRASBFactorization.Factors) -> Tensor { Gemm.product(f.b, Gemm.product(f.r, f.a)) }

    /// ‖XᵀX − D‖_max for the Gram matrix of `x`'s columns (`transpose`: of its rows).
    func gramDeviation(_ x: Tensor, rows transpose: Bool = false, expected: (Int) -> Float) -> Float {
        let gram = transpose ? Gemm.product(x, x, transposeB: true) : Gemm.product(x, x, transposeA: true)
        var worst: Float = 0
        for p in 0..<gram.rows {
            for q in 0..<gram.columns {
                worst = max(worst, abs(gram.pointer[p * gram.columns + q] - (p == q ? expected(p) : 0)))
            }
        }
        return worst
    }

    @Test func orthonormalSplitPutsTheSingularValuesInR() throws {
        let update = signUpdate(rows: 48, columns: 40, seed: 1)
        let exact = try SVD.exact(update.copy()).singularValues
        var g = SeededGenerator(seed: 3)
        let f = try LoRASBFactorization(settings: settings(rank: 6)).factors(of: update.copy(), generator: &g)
        #expect(f.b.shape == [48, 6] && f.r.shape == [6, 6] && f.a.shape == [6, 40])
        #expect(gramDeviation(f.b) { _ in 1 } < 1e-4)              // BᵀB = I
        #expect(gramDeviation(f.a, rows: true) { _ in 1 } < 1e-4)  // AAᵀ = I
        for p in 0..<6 {
            for q in 0..<6 where p != q { #expect(f.r.pointer[p * 6 + q] == 0) }
            // The randomized SVD's leading values, within its accuracy on a flat spectrum.
            #expect(abs(f.r.pointer[p * 6 + p] - exact[p]) < 0.05 * exact[p])
        }
    }

    @Test func scaledSplitGivesTheSameProductWithRIdentity() throws {
        let update = signUpdate(rows: 40, columns: 56, seed: 2)
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        let o = try LoRASBFactorization(settings: settings(rank: 5)).factors(of: update.copy(), generator: &g1)
        let s = try LoRASBFactorization(settings: settings(rank: 5, split: .scaled)).factors(of: update.copy(), generator: &g2)
        #expect(relativeDifference(product(s).array, product(o).array) < 1e-6)
        #expect(gramDeviation(s.r) { _ in 1 } == 0)                 // R = I exactly
        #expect(s.a.array == o.a.array)                            // A = V_rᵀ in both
        // B = U_r Σ_r: orthogonal columns whose norms are the singular values, not orthonormal.
        let sigma = (0..<5).map { o.r.pointer[$0 * 5 + $0] }
        #expect(gramDeviation(s.b) { sigma[$0] * sigma[$0] } < 1e-4 * sigma[0] * sigma[0])
        #expect(gramDeviation(s.b) { _ in 1 } > 0.5)
        #expect(s.energyKept == o.energyKept)
    }

    @Test func noiseIsAddedAtItsLevelRelativeToTheUpdatesRMS() throws {
        let update = signUpdate(rows: 96, columns: 128, seed: 4, eta: 2e-3)
        let rms = LoRASBFactorization.rootMeanSquare(update)
        for level in [1e-2, 1e-3, 1e-5] {
            var g = SeededGenerator(seed: 9)
            let noisy = LoRASBFactorization(settings: settings(rank: 4, noise: level))
                .matrixToDecompose(update.copy(), generator: &g)
            let difference = Tensor(zeros: update.shape)
            Elementwise.subtract(noisy, update, into: difference)
            let measured = LoRASBFactorization.rootMeanSquare(difference) / rms
            // 12,288 draws: the sample standard deviation is within a few percent of the level.
            #expect(abs(measured / level - 1) < 0.05, "level \(level): measured \(measured)")
            let mean = Reductions.sum(difference) / Double(difference.count)
            #expect(abs(mean) < 0.05 * level * rms)
        }
        var g = SeededGenerator(seed: 9)
        let untouched = LoRASBFactorization(settings: settings(rank: 4)).matrixToDecompose(update.copy(), generator: &g)
        #expect(untouched.array == update.array)                   // no noise by default
    }

    @Test func randomBasisIsIndependentOfTheUpdate() throws {
        // ΔW with a clear top direction (a rank-one part plus sign noise), so that "spans ΔW's
        // top direction" is well defined.
        let first = signUpdate(rows: 64, columns: 48, seed: 6, eta: 1e-4)
        for i in 0..<64 { for j in 0..<48 { first.pointer[i * 48 + j] += 1e-3 * Float(sin(Double(i + 1)) * cos(Double(j) / 7)) } }
        let second = signUpdate(rows: 64, columns: 48, seed: 7, eta: 3e-3)
        let factorization = LoRASBFactorization(settings: settings(rank: 4, basis: .random))
        var g1 = SeededGenerator(seed: 11), g2 = SeededGenerator(seed: 11)
        let f1 = try factorization.factors(of: first.copy(), generator: &g1)
        let f2 = try factorization.factors(of: second.copy(), generator: &g2)
        // The same seed gives the same subspace whatever ΔW is; only the scale follows ΔW.
        #expect(relativeDifference(f1.b.array, f2.b.array) < 1e-4 && relativeDifference(f1.a.array, f2.a.array) < 1e-4)
        let ratio = Double(f2.r.pointer[0]) / Double(f1.r.pointer[0])
        let norms = (Reductions.squaredNorm(second) / Reductions.squaredNorm(first)).squareRoot()
        #expect(abs(ratio / norms - 1) < 1e-4)
        // The decomposed matrix has ΔW's norm and the Kaiming-uniform shape: entries bounded,
        // uncorrelated with ΔW.
        var g = SeededGenerator(seed: 11)
        let m = factorization.matrixToDecompose(first.copy(), generator: &g)
        #expect(abs(Reductions.squaredNorm(m) / Reductions.squaredNorm(first) - 1) < 1e-5)
        let cosine = Reductions.dot(m, first) / (Reductions.squaredNorm(m) * Reductions.squaredNorm(first)).squareRoot()
        #expect(abs(cosine) < 0.08)
        // Its B spans little of ΔW's own top direction (the method's B would span all of it).
        let top = try SVD.exact(first.copy()).truncated(to: 1).u
        let overlap = Gemm.product(f1.b, top, transposeA: true)
        #expect(Reductions.squaredNorm(overlap) < 0.5)
        let own = try LoRASBFactorization(settings: settings(rank: 4)).factors(of: first.copy(), generator: &g1)
        #expect(Reductions.squaredNorm(Gemm.product(own.b, top, transposeA: true)) > 0.9)
    }

    @Test func seedsReproduceTheAblatedInitialisation() throws {
        let batches = [try TinyModels.lmBatch(seed: 1)]
        func factors(seed: UInt64, basis: AdapterSettings.InitBasis, noise: Double) throws -> [[Float]] {
            let model = try TinyModels.llama()
            let s = AdapterSettings(method: .loraSB, rank: 4, targets: ["q", "down"], seed: seed,
                                    initBasis: basis, initNoise: noise)
            let (adapters, _) = try AdapterFactory.attach(s, to: model, gradientBatches: batches, effectiveLearningRate: 1e-3)
            return adapters.entries.flatMap { e in e.adapter?.factors.map { $0.parameter.value.array } ?? [] }
        }
        for (basis, noise) in [(AdapterSettings.InitBasis.random, 0.0), (.update, 1e-2)] {
            let a = try factors(seed: 7, basis: basis, noise: noise)
            #expect(a == (try factors(seed: 7, basis: basis, noise: noise)), "\(basis) \(noise)")
            #expect(a != (try factors(seed: 8, basis: basis, noise: noise)), "\(basis) \(noise)")
        }
    }

    @Test func theInitialiserUsesTheSplitAndKeepsTheModelsStart() throws {
        // Both splits start the model at the same W + B R A: the same logits.
        let batch = try TinyModels.lmBatch(seed: 3)
        func logits(_ split: AdapterSettings.InitSplit) throws -> (logits: [Float], r: [Float]) {
            let model = try TinyModels.llama()
            let s = AdapterSettings(method: .loraSB, rank: 4, targets: ["q", "v", "up"], seed: 2, initSplit: split)
            let (adapters, _) = try AdapterFactory.attach(s, to: model, gradientBatches: [batch], effectiveLearningRate: 5e-3)
            let r = try #require(adapters.entries.first?.adapter?.factors.first { $0.name == "lora_R" }?.parameter.value.array)
            return (try model.logits(batch.tokens).array, r)
        }
        let o = try logits(.orthonormal)
        let s = try logits(.scaled)
        #expect(relativeDifference(s.logits, o.logits) < 1e-6)
        #expect(s.r == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
        #expect(o.r != s.r)
    }

    @Test func settingsAreRecordedAndOldManifestsReadWithDefaults() throws {
        let s = AdapterSettings(method: .loraSB, rank: 8, targets: ["q"], initBasis: .random, initNoise: 1e-3, initSplit: .scaled)
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(AdapterSettings.self, from: data) == s)
        var object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["initBasis"] as? String == "random" && object["initSplit"] as? String == "scaled")
        for key in ["initBasis", "initNoise", "initSplit"] { object[key] = nil }
        let old = try JSONDecoder().decode(AdapterSettings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.initBasis == .update && old.initNoise == 0 && old.initSplit == .orthonormal)
    }

    @Test func negativeOrNonFiniteNoiseIsRefusedByName() {
        for bad in [-1e-3, .nan, .infinity] {
            let s = AdapterSettings(method: .loraSB, rank: 2, targets: ["q"], initNoise: bad)
            #expect(throws: SettingError.self) { try s.validate() }
            do { try s.validate() } catch let e as SettingError { #expect(e.setting == "initNoise") } catch {}
        }
    }
}
