import Foundation
import Testing
@testable import Models
import NN
import Tensor

/// With a frozen base, a decoder block writes the activations no backward reads (normalised
/// inputs of frozen projections, the SwiGLU hidden, the attention context, the outputs that only
/// feed residual sums) to buffers every block shares (`DroppableActivation`). The adapters'
/// gradients must not change: the same model with every base weight trainable keeps all of
/// them, and its R and LoRA gradients must be bit-identical; the frozen run's must also match
/// finite differences. Real tiny Qwen2 checkpoint, adapters on all seven projections.
@Suite struct DroppedActivationTests {
    static func model(loraOn loraTargets: Set<String>, baseTrainable: Bool) throws -> (LlamaModel, [Parameter]) {
        let f = try ModelFixture("tiny-qwen2")
        let model = try LlamaModel(contentsOf: f.checkpoint)
        var generator = SeededGenerator(seed: 11)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.normal(mean: 0, standardDeviation: 0.3) })
        }
        var trained: [Parameter] = []
        for layer in model.layers {
            let projections = [("q", layer.q), ("k", layer.k), ("v", layer.v), ("o", layer.o),
                               ("gate", layer.gate), ("up", layer.up), ("down", layer.down)]
            for (name, linear) in projections {
                let r = 3
                if loraTargets.contains(name) {
                    let adapter = LoRAAdapter(b: random([linear.outFeatures, r]), a: random([r, linear.inFeatures]), scale: 0.5)
                    linear.adapter = adapter
                    trained += adapter.parameters
                } else {
                    let adapter = LoRAXSAdapter(b: random([linear.outFeatures, r]), r: random([r, r]),
                                                a: random([r, linear.inFeatures]), scale: 0.5)
                    linear.adapter = adapter
                    trained.append(adapter.r)
                }
                linear.weight.isTrainable = baseTrainable
            }
        }
        return (model, trained)
    }

    static func batch() throws -> TokenBatch {
        let f = try ModelFixture("tiny-qwen2")
        return try TokenBatch(ids: f.matrix("ids"), attentionMask: f.matrix("attention_mask"), labels: f.matrix("labels"))
    }

    @Test(arguments: [Set<String>(), ["q", "o", "down"]])
    func adapterGradientsDoNotDependOnWhatIsKept(_ loraTargets: Set<String>) throws {
        let batch = try Self.batch()
        let (frozen, frozenTrained) = try Self.model(loraOn: loraTargets, baseTrainable: false)
        let (keeping, keepingTrained) = try Self.model(loraOn: loraTargets, baseTrainable: true)
        // LoRA's trainable A reads its input; LoRA-SB's R does not.
        #expect(frozen.layers.allSatisfy { $0.attention.readsInputInBackward == loraTargets.contains("q") })
        #expect(frozen.layers.allSatisfy { $0.down.readsInputInBackward == loraTargets.contains("down") && !$0.mlp.readsInputInBackward })
        #expect(keeping.layers.allSatisfy { $0.attention.readsInputInBackward && $0.mlp.readsInputInBackward })
        // Two steps' worth: the second forward reuses the shared buffers the first overwrote.
        for _ in 0..<2 {
            for p in frozenTrained + keepingTrained { p.zeroGradient() }
            let a = try frozen.lossAndGradients(batch), b = try keeping.lossAndGradients(batch)
            #expect(a == b)
            for (p, q) in zip(frozenTrained, keepingTrained) {
                #expect(try #require(p.gradient).array == (try #require(q.gradient).array))
            }
        }
        let r = try #require(frozenTrained.first)
        let err = try ModelFiniteDifferenceTests.check(r, count: 9) { try frozen.loss(batch) }
        #expect(err < 2e-2, "R of the first q adapter: relative error \(err)")
    }

    @Test func checkpointedBlocksDropTheSameActivations() throws {
        let batch = try Self.batch()
        let (plain, plainTrained) = try Self.model(loraOn: [], baseTrainable: false)
        let (checkpointed, checkpointedTrained) = try Self.model(loraOn: [], baseTrainable: false)
        checkpointed.gradientCheckpointing = true
        let a = try plain.lossAndGradients(batch), b = try checkpointed.lossAndGradients(batch)
        #expect(a == b)
        for (p, q) in zip(plainTrained, checkpointedTrained) {
            #expect(try #require(p.gradient).array == (try #require(q.gradient).array))
        }
    }
}
