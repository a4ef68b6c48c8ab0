import Foundation
import LoRASB

/// Model speed on the real SmolLM2 GGUF and MiniLM: forward tokens/s, frozen-base
/// forward+backward tokens/s, and greedy decoding tokens/s with the KV cache.
func runModelBenchmark() {
    let cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lorasb/models")
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    do {
        let llama = try LlamaModel(contentsOf: cache.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let (b, t) = (4, 256)
        let ids = (0..<(b * t)).map { _ in Int.random(in: 0..<llama.config.vocabSize) }
        let batch = try TokenBatch(ids: stride(from: 0, to: ids.count, by: t).map { Array(ids[$0..<$0 + t]) },
                                   labels: stride(from: 0, to: ids.count, by: t).map { Array(ids[$0..<$0 + t]) })
        _ = try llama.logits(batch)
        let fwd = try seconds { _ = try llama.logits(batch) }
        _ = try llama.lossAndGradients(batch)
        let step = try seconds { _ = try llama.lossAndGradients(batch) }
        let gen = try seconds {
            _ = try llama.generate(prompts: [Array(ids[0..<16])],
                                   options: GenerationOptions(maxNewTokens: 32, ignoreEndOfSequence: true))
        }
        print(String(format: "SmolLM2 %d×%d: forward %.0f tokens/s, forward+backward (frozen) %.0f tokens/s; greedy decode %.1f tokens/s",
                     b, t, Double(b * t) / fwd, Double(b * t) / step, 32 / gen))
        let bert = try BertModel(contentsOf: cache.appendingPathComponent("all-MiniLM-L6-v2"))
        let (bb, bt) = (32, 128)
        let bertBatch = try TokenBatch(ids: (0..<bb).map { _ in (0..<bt).map { _ in Int.random(in: 1000..<20000) } })
        _ = try bert.hiddenStates(bertBatch)
        let bf = try seconds { _ = try bert.hiddenStates(bertBatch) }
        print(String(format: "MiniLM %d×%d: forward %.0f tokens/s", bb, bt, Double(bb * bt) / bf))
    } catch {
        print("model benchmark skipped: \(error)")
    }
}
