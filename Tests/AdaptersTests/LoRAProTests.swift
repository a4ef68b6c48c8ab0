import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// LoRA-Pro's adjusted gradients against the authors' code (fixture), against the projection
/// they are defined by, and through the adapter's hook on a whole model.
@Suite struct LoRAProTests {
    @Test func adjustedGradientsMatchTheAuthorsCode() throws {
        for c in try GradientMethodFixture.load().lora_pro {
            let a = Tensor(shape: [c.rank, c.in], values: c.a), b = Tensor(shape: [c.out, c.rank], values: c.b)
            let (gA, gB) = LoRAProAdapter.adjusted(a: a, b: b, gradientA: Tensor(shape: a.shape, values: c.gradient_a),
                                                   gradientB: Tensor(shape: b.shape, values: c.gradient_b), scale: c.scale)
            // The first step's g̃_A is 0 = g_A in both; compare it absolutely.
            if c.adjusted_a.contains(where: { $0 != 0 }) {
                #expect(relativeDifference(gA.array, c.adjusted_a) < 1e-4, "\(c.name): g̃_A")
            } else {
                #expect(gA.array.allSatisfy { abs($0) < 1e-6 }, "\(c.name): g̃_A")
            }
            #expect(relativeDifference(gB.array, c.adjusted_b) < 1e-4, "\(c.name): g̃_B")

            // The equivalent update s·(B g̃_A + g̃_B A) is the projection of the full gradient
            // onto LoRA's reachable updates: P_B g + (I − P_B) g P_A.
            let g = Tensor(shape: [c.out, c.in], values: c.full_gradient)
            let equivalent = Gemm.product(b, gA)
            Gemm.multiply(gB, a, alpha: 1, beta: 1, into: equivalent)
            Elementwise.scale(equivalent, by: c.scale, into: equivalent)
            #expect(relativeDifference(equivalent.array, projection(g, a: a, b: b).array) < 1e-4, "\(c.name): projection")
        }
    }

    @Test func hookAdjustsTheFactorGradientsOfTheModel() throws {
        let batch = try TinyModels.lmBatch(seed: 4)
        let model = try TinyModels.llama()
        let settings = AdapterSettings(method: .loraPro, rank: 3, alpha: 6, targets: ["q", "down"], seed: 2)
        let (adapters, report) = try AdapterFactory.attach(settings, to: model)
        #expect(report == nil && adapters.trainableParameterCount == adapters.entries.reduce(0) {
            $0 + 3 * ($1.target.linear.inFeatures + $1.target.linear.outFeatures) })
        // Move B away from 0 so the general formula runs.
        TinyModels.perturb(adapters, seed: 8, standardDeviation: 0.1)
        _ = try model.loss(batch, backward: true)
        let raw = try adapters.entries.map { e -> (a: Tensor, b: Tensor) in
            let pro = try #require(e.adapter as? LoRAProAdapter)
            return (try #require(pro.lora.a.gradient).copy(), try #require(pro.lora.b.gradient).copy())
        }
        adapters.adjustGradients()
        for (e, r) in zip(adapters.entries, raw) {
            let pro = try #require(e.adapter as? LoRAProAdapter)
            let expected = LoRAProAdapter.adjusted(a: pro.lora.a.value, b: pro.lora.b.value,
                                                   gradientA: r.a, gradientB: r.b, scale: settings.scale)
            #expect(try #require(pro.lora.a.gradient).array == expected.a.array)
            #expect(try #require(pro.lora.b.gradient).array == expected.b.array)
            #expect(relativeDifference(expected.b.array, r.b.array) > 1e-3)   // the hook changed them
        }
    }

    /// `P_B g + (I − P_B) g P_A` with `P_B = B (BᵀB)⁺ Bᵀ`, `P_A = Aᵀ (A Aᵀ)⁺ A`, in double
    /// precision through the exact SVD's pseudo-inverses (independent of the method's code).
    func projection(_ g: Tensor, a: Tensor, b: Tensor) -> Tensor {
        func projector(columnsOf m: Tensor) -> Tensor {
            // Orthonormal basis of m's column space from its SVD: P = U Uᵀ over non-zero σ.
            let svd = try! SVD.exact(m)
            let k = svd.singularValues.filter { $0 > 1e-6 * (svd.singularValues.first ?? 0) }.count
            guard k > 0 else { return Tensor(zeros: [m.rows, m.rows]) }
            let u = svd.truncated(to: k).u
            return Gemm.product(u, u, transposeB: true)
        }
        let pb = projector(columnsOf: b)
        let at = Tensor(zeros: [a.columns, a.rows])
        for i in 0..<a.rows { for j in 0..<a.columns { at.pointer[j * a.rows + i] = a.pointer[i * a.columns + j] } }
        let pa = projector(columnsOf: at)
        let pbg = Gemm.product(pb, g)
        let rest = g.copy()
        Elementwise.subtract(g, pbg, into: rest)
        let out = Gemm.product(rest, pa)
        Elementwise.add(out, pbg, into: out)
        return out
    }
}
