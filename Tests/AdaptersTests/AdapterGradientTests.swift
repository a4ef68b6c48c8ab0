import Foundation
import Testing
@testable import Adapters
import Models
import NN
import Tensor

/// The gradient of every trained adapter tensor through the whole model, against central
/// finite differences of the model's own loss along random directions.
@Suite struct AdapterGradientTests {
    @Test(arguments: [AdapterMethod.loraSB, .loraXS, .lora, .rsLoRA, .pissa, .dora, .loraGA, .loraPro])
    func trainedTensorsMatchFiniteDifferences(_ method: AdapterMethod) throws {
        let batch = try TinyModels.lmBatch(seed: 11)
        let model = try TinyModels.llama("tiny-qwen2")
        let settings = AdapterSettings(method: method, rank: 4, targets: ["q", "v", "o", "gate", "down"], seed: 3)
        let (adapters, _) = try AdapterFactory.attach(settings, to: model, gradientBatches: [batch],
                                                      effectiveLearningRate: 2e-2)
        // Move away from the initial point (LoRA's B = 0, LoRA-XS's tiny R) so every factor
        // has a gradient of useful size.
        var g = SeededGenerator(seed: 5)
        for (_, p) in adapters.trainableParameters {
            let noise = Tensor(zeros: p.shape)
            g.fillNormal(noise, mean: 0, standardDeviation: 0.05)
            Elementwise.add(p.value, noise, into: p.value)
        }
        // DoRA's norm is detached (as in PEFT): its gradients are those of the loss with the
        // norm held at the current point, which is what the differences then measure.
        for e in adapters.entries {
            if let dora = e.adapter as? DoRAAdapter { dora.heldNorm = dora.weightNorm() }
        }
        for (_, p) in adapters.trainableParameters { p.zeroGradient() }
        _ = try model.loss(batch, backward: true)
        let params = adapters.trainableParameters.map(\.parameter)
        let grads = try params.map { try #require($0.gradient).copy() }

        // Trial 0 moves along the gradient itself (a large, well-conditioned derivative); the
        // others along random directions, judged against the Cauchy–Schwarz scale ‖∇‖·‖d‖ so a
        // direction nearly orthogonal to the gradient cannot make the check meaningless.
        let gradientNorm = grads.reduce(0.0) { $0 + Reductions.squaredNorm($1) }.squareRoot()
        for trial in 0..<4 {
            let directions = zip(params, grads).map { p, grad -> Tensor in
                if trial == 0 { return grad.copy() }
                let d = Tensor(zeros: p.shape)
                g.fillNormal(d)
                return d
            }
            let directionNorm = directions.reduce(0.0) { $0 + Reductions.squaredNorm($1) }.squareRoot()
            var analytic = 0.0
            for (grad, d) in zip(grads, directions) { analytic += Reductions.dot(grad, d) }
            // Unit direction, step 1e-2; Richardson's combination of steps h and h/2 cancels
            // the h² error term of the central difference.
            let h = Float(1e-2 / directionNorm)
            func shifted(_ sign: Float) throws -> Double {
                for (p, d) in zip(params, directions) { Elementwise.axpy(sign * h, d, p.value) }
                defer { for (p, d) in zip(params, directions) { Elementwise.axpy(-sign * h, d, p.value) } }
                return Double(try model.loss(batch, backward: false))
            }
            let coarse = (try shifted(1) - shifted(-1)) / Double(2 * h)
            let fine = (try shifted(0.5) - shifted(-0.5)) / Double(h)
            let numeric = (4 * fine - coarse) / 3
            let scale = trial == 0 ? abs(analytic) : gradientNorm * directionNorm
            let err = abs(numeric - analytic) / scale
            #expect(err < 2e-3, "\(method) trial \(trial): analytic \(analytic), numeric \(numeric)")
        }
    }
}
