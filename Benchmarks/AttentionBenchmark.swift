import Foundation
import LoRASB

/// Forward and backward time of one attention layer at the shapes of the two training steps,
/// projections frozen (the LoRA-SB case): MiniLM 32×128 (12 heads of 32, bidirectional, the
/// last 16 tokens of every other sequence padded) and SmolLM2 4×256 (9 query heads sharing 3
/// key/value heads of 64, causal, RoPE). The four projections alone are timed too: the layer's
/// time minus theirs is the attention proper (scores, masks, softmax, context and their
/// gradients). Medians of 9 runs after a warm-up, wall clock and the
/// process's CPU time (user + system, all threads): on a machine shared with other work the
/// CPU time shows the work done even when the wall clock mostly shows waiting for a core.
struct AttentionBenchmark: BenchmarkSection {
    let name = "attention"
    let summary = "one attention layer's forward and backward at the MiniLM and SmolLM2 step shapes (ms)"

    struct Shape {
        var label: String
        var batch: Int, sequence: Int, heads: Int, keyValueHeads: Int, headDimension: Int
        var causal: Bool
    }

    static let shapes = [
        Shape(label: "MiniLM 32×128, 12 heads × 32", batch: 32, sequence: 128, heads: 12, keyValueHeads: 12,
              headDimension: 32, causal: false),
        Shape(label: "SmolLM2 4×256, 9 heads / 3 KV × 64", batch: 4, sequence: 256, heads: 9, keyValueHeads: 3,
              headDimension: 64, causal: true),
    ]

    func run() {
        print("| shape | forward ms | backward ms | forward CPU ms | backward CPU ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        var generator = SeededGenerator(seed: 5)
        for shape in Self.shapes {
            let dim = shape.heads * shape.headDimension
            let kvWidth = shape.keyValueHeads * shape.headDimension
            func weight(_ rows: Int, _ columns: Int) -> Tensor {
                let w = Tensor(zeros: [rows, columns])
                generator.fillUniform(w, lower: -0.05, upper: 0.05)
                return w
            }
            let layer = Attention(
                query: Linear(weight: weight(dim, dim)), key: Linear(weight: weight(kvWidth, dim)),
                value: Linear(weight: weight(kvWidth, dim)), output: Linear(weight: weight(dim, dim)),
                heads: shape.heads, keyValueHeads: shape.keyValueHeads, headDimension: shape.headDimension,
                causal: shape.causal,
                rotary: shape.causal ? RotaryEmbedding(headDimension: shape.headDimension, theta: 10_000) : nil)
            let x = Tensor(zeros: [shape.batch, shape.sequence, dim])
            let dy = Tensor(zeros: x.shape)
            generator.fillUniform(x, lower: -1, upper: 1)
            generator.fillUniform(dy, lower: -1, upper: 1)
            let mask = (0..<(shape.batch * shape.sequence)).map { i in
                i / shape.sequence % 2 == 0 || i % shape.sequence < shape.sequence - 16
            }
            let layerTimes = Self.forwardAndBackward(
                forward: { _ = layer.forward(x, attentionMask: mask) }, backward: { _ = layer.backward(dy) })
            // The same projections as the layer runs them (the key/value ones are narrower for GQA).
            let keyGradient = Tensor(zeros: [shape.batch, shape.sequence, kvWidth])
            generator.fillUniform(keyGradient, lower: -1, upper: 1)
            let projectionTimes = Self.forwardAndBackward(
                forward: {
                    _ = layer.query.forward(x); _ = layer.key.forward(x); _ = layer.value.forward(x)
                    _ = layer.output.forward(x)
                },
                backward: {
                    _ = layer.output.backward(dy)
                    let dx = layer.query.backward(dy)
                    layer.key.backward(keyGradient, addingInto: dx)
                    layer.value.backward(keyGradient, addingInto: dx)
                })
            print("| \(shape.label) | \(layerTimes) |")
            print("| \(shape.label), projections alone | \(projectionTimes) |")
        }
    }

    /// Median wall and CPU milliseconds of `forward` and `backward` called in turn (a layer's
    /// backward may run once per forward), as four table cells.
    static func forwardAndBackward(forward: () -> Void, backward: () -> Void) -> String {
        var forwardTimes: [(wall: Double, cpu: Double)] = []
        var backwardTimes: [(wall: Double, cpu: Double)] = []
        forward()
        backward()
        for _ in 0..<9 {
            forwardTimes.append(measure(forward))
            backwardTimes.append(measure(backward))
        }
        func median(_ values: [Double]) -> String {
            String(format: "%.1f", values.sorted()[values.count / 2] * 1e3)
        }
        return [median(forwardTimes.map(\.wall)), median(backwardTimes.map(\.wall)),
                median(forwardTimes.map(\.cpu)), median(backwardTimes.map(\.cpu))].joined(separator: " | ")
    }

    /// Wall-clock and process CPU seconds of one call.
    static func measure(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        let cpuBefore = processCPUSeconds()
        let wall = Timing.seconds(body)
        return (wall, processCPUSeconds() - cpuBefore)
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
