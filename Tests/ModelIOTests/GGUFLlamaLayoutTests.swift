import Foundation
import XCTest
import ModelIO
import Tensor
import TestSupport

/// Restoring Hugging Face row order of Llama q/k projections stored by llama.cpp.
final class GGUFLlamaLayoutTests: XCTestCase {
    /// Against transformers' GGUF loader on the real SmolLM2 file.
    func testMatchesTransformersOnSmolLM2() throws {
        let gguf = try GGUFFile(url: TestPaths.require(TestPaths.smolLM2GGUF))
        XCTAssertTrue(GGUFLlamaLayout.permutesQueryKey(architecture: gguf.architecture ?? ""))
        let config = try ModelConfig(gguf: gguf)
        let references = try ModelIOFixture.object("gguf_smollm2.json").objects("huggingFaceOrder")
        XCTAssertEqual(references.count, 3)
        for ref in references {
            let name = try ref.string("name")
            let heads = name.contains("attn_q") ? config.headCount : config.kvHeadCount
            let ours = try GGUFLlamaLayout.huggingFaceOrder(gguf.tensor(named: name), heads: heads)
            XCTAssertEqual(ours.shape, try ref.ints("shape"), name)
            let head = try ref.floats("head")
            assertBitEqual(Array(ours.buffer.prefix(head.count)), head, name)
            guard let rowSums = ref["rowSums"] as? [Double] else { throw FixtureError("rowSums") }
            XCTAssertEqual(rowSums.count, ours.rows)
            for r in 0 ..< ours.rows {
                let (sum, _) = checksums(UnsafeBufferPointer(ours.rows(r ..< r + 1).buffer))
                assertRelativelyClose(sum, rowSums[r], 1e-6, "\(name) row \(r)")
            }
        }
    }

    /// The property the permutation exists for: rotating adjacent pairs of the ggml-ordered
    /// projection equals rotating half-split pairs of the reordered one.
    func testInterleavedRopeOnGGMLOrderEqualsRotateHalfOnHuggingFaceOrder() throws {
        let heads = 3, d = 8, input = 5
        var rng = SplitMix64(state: 7)
        let values = (0 ..< heads * d * input).map { _ in Float(rng.below(2001)) / 1000 - 1 }
        let ggmlWeight = Tensor(shape: [heads * d, input], values: values)
        let hfWeight = try GGUFLlamaLayout.huggingFaceOrder(ggmlWeight, heads: heads)
        let x = (0 ..< input).map { _ in Float(rng.below(2001)) / 1000 - 1 }
        func project(_ w: Tensor) -> [Float] {
            (0 ..< heads * d).map { r in (0 ..< input).reduce(Float(0)) { $0 + w.pointer[r * input + $1] * x[$1] } }
        }
        let position: Float = 3
        func angle(_ j: Int) -> Float { position * pow(10_000, -Float(2 * j) / Float(d)) }
        var interleaved = project(ggmlWeight)
        var rotateHalf = project(hfWeight)
        for h in 0 ..< heads {
            for j in 0 ..< d / 2 {
                let c = cos(angle(j)), s = sin(angle(j))
                let a = h * d + 2 * j, b = a + 1  // ggml: adjacent pairs
                (interleaved[a], interleaved[b]) = (interleaved[a] * c - interleaved[b] * s, interleaved[a] * s + interleaved[b] * c)
                let p = h * d + j, q = p + d / 2  // Hugging Face: halves
                (rotateHalf[p], rotateHalf[q]) = (rotateHalf[p] * c - rotateHalf[q] * s, rotateHalf[p] * s + rotateHalf[q] * c)
            }
        }
        let reordered = try GGUFLlamaLayout.huggingFaceOrder(Tensor(shape: [heads * d], values: interleaved), heads: heads)
        for (a, b) in zip(reordered.array, rotateHalf) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertThrowsError(try GGUFLlamaLayout.huggingFaceOrder(Tensor(zeros: [10, 2]), heads: 3))
    }
}
