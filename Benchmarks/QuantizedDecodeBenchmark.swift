import Foundation
import LoRASB

/// Decoding speed with the frozen products in fp32 (weights decoded panel by panel) against q8
/// (activations quantised to 8-bit blocks, integer dot products on the weights' blocks), batch 1
/// and 8, on the GGUF models present; and the q8 products' weight-reading rate in GB/s against
/// the machine's streaming read rate, the floor a decoding step cannot beat.
struct QuantizedDecodeBenchmark: BenchmarkSection {
    let name = "q8-decode"
    let summary = "decode tokens/s at fp32 and q8 (batch 1 and 8) and the q8 products' GB/s against the read bandwidth"

    static let models = ["SmolLM2-135M-Instruct.Q4_1.gguf", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf",
                         "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"]

    func run() {
        let bandwidth = Self.readBandwidth()
        print("streaming read of 512 MB on \(Parallel.cores) threads: \(String(format: "%.1f", bandwidth / 1e9)) GB/s; 1-minute load \(PeakMemory.loadAverage())\n")
        print("| model | weight MB read per step | batch | fp32 tok/s | q8 tok/s | q8 products GB/s | floor tok/s (batch 1) | load |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for file in Self.models {
            let url = Workbench.models.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { print("| \(file) | absent | | | | | | |"); continue }
            do { try measure(url, bandwidth: bandwidth) } catch { print("| \(file) | error: \(error) | | | | | | |") }
        }
    }

    private func measure(_ url: URL, bandwidth: Double) throws {
        let model = try LlamaModel(contentsOf: url)
        let layers = model.linearLayers   // a tied head reads the embedding's weight: counted once, as it is read
        let bytes = layers.reduce(0) { $0 + ($1.weight.packed?.byteCount ?? $1.weight.value.count * 4) }
        for batch in [1, 8] {
            var rates: [ComputePrecision: Double] = [:]
            for precision in [ComputePrecision.fp32, .q8] {
                try model.use(precision)
                rates[precision] = try Self.decodeRate(model, batch: batch, newTokens: batch == 1 ? 32 : 16)
            }
            try model.use(.q8)
            let productSeconds = Self.productSeconds(layers, rows: batch)
            print("| \(url.lastPathComponent) | \(String(format: "%.1f", Double(bytes) / 1e6)) | \(batch) | \(String(format: "%.1f", rates[.fp32]! )) | \(String(format: "%.1f", rates[.q8]!)) | \(String(format: "%.1f", Double(bytes) / productSeconds / 1e9)) | \(String(format: "%.1f", bandwidth / Double(bytes))) | \(PeakMemory.loadAverage()) |")
        }
        try model.use(.fp32)
    }

    /// New tokens per second after the prompt: generating n + 1 tokens less generating 1 (the
    /// 16-token prompts' prefill and the first token), greedy, end of sequence ignored.
    static func decodeRate(_ model: LlamaModel, batch: Int, newTokens: Int) throws -> Double {
        let ids = Workbench.ids(batch * 16, range: model.config.vocabSize).map(Int.init)
        let prompts = (0..<batch).map { Array(ids[($0 * 16)..<(($0 + 1) * 16)]) }
        func seconds(_ n: Int) throws -> Double {
            try Workbench.medianSeconds(repetitions: 2) {
                _ = try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: n, ignoreEndOfSequence: true))
            }
        }
        let prefill = try seconds(1), total = try seconds(newTokens + 1)
        return Double(batch * newTokens) / max(1e-9, total - prefill)
    }

    /// Seconds for one product of `rows` rows with every layer's weight (a decoding step's
    /// products, without attention or the norms).
    static func productSeconds(_ layers: [Linear], rows: Int) -> Double {
        let inputs = layers.map { Tensor(shape: [rows, $0.inFeatures], repeating: 0.01) }
        return Timing.median(repetitions: 5) {
            for (layer, x) in zip(layers, inputs) { _ = layer.forward(x) }
        }
    }

    /// Bytes per second summing a 512 MB buffer on every core (the memory's read rate).
    static func readBandwidth() -> Double {
        let count = 512 << 20 / 32
        let buffer = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: SIMD8(repeating: 1), count: count)
        let data = UncheckedBox(buffer)
        let seconds = Timing.median(repetitions: 3) {
            Parallel.forEachChunk(count, minChunk: 1 << 16) { range in
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
                var i = range.lowerBound
                while i + 1 < range.upperBound { s0 += data.value[i]; s1 += data.value[i + 1]; i += 2 }
                data.value[range.lowerBound] = s0 + s1   // kept, so the loop is too
            }
        }
        return Double(count * 32) / seconds
    }
}
