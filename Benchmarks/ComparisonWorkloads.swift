import Foundation
import LoRASB

/// The workloads measured side by side with the PyTorch reference
/// (`Benchmarks/reference/compare.py` runs each in a fresh process, alternating with
/// `Benchmarks/reference/torch_workloads.py`, which does the same work with torch +
/// transformers + peft). Each workload prints one `RESULT {json}` line: the median time of its
/// timed repetitions, throughput, peak resident memory (VmHWM, so one workload per process),
/// the model FLOPs of one repetition and the sgemm ceiling measured in the same process.
///
/// Inputs are deterministic and identical on both sides: token `i` of a batch is
/// `(i·7919 + 13) mod range`, shifted into the tokenizer's ordinary range for MiniLM.
struct ComparisonWorkload: BenchmarkSection {
    let name: String
    let summary: String
    let body: () throws -> ComparisonResult

    func run() {
        do {
            // Before and after: on a shared machine the better of the two is the fairer ceiling.
            let before = SgemmCeiling.measure()
            var result = try body()
            let ceiling = max(before, SgemmCeiling.measure())
            result.values["sgemm_ceiling_gflops"] = ceiling
            result.values["peak_rss_mb"] = Double(PeakMemory.residentBytes()) / 1_048_576
            if let flops = result.values["flops"], let s = result.values["seconds"], s > 0 {
                result.values["mfu"] = flops / s / (ceiling * 1e9)
            }
            result.values["load_average"] = PeakMemory.loadAverage()
            print(result.line(workload: name))
        } catch {
            print("workload \(name) failed: \(error)")
        }
    }
}

/// What a workload measured.
struct ComparisonResult {
    var values: [String: Double]

    func line(workload: String) -> String {
        let body = values.sorted { $0.key < $1.key }
            .map { "\"\($0.key)\": \($0.value.isFinite ? String($0.value) : "null")" }
            .joined(separator: ", ")
        return "RESULT {\"workload\": \"\(workload)\", \(body)}"
    }
}

enum PeakMemory {
    /// VmHWM of this process, in bytes.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    /// The 1-minute load average, to say how busy the shared machine was.
    static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.flatMap { Double($0) } ?? .nan
    }
}

/// The sgemm throughput this process gets right now on a transformer-shaped product (the
/// gate/up projection of SmolLM2 at 1024 tokens), the ceiling model FLOP utilisation is
/// measured against. The best of the two shapes below, median of five runs each; workloads
/// measure it before and after their work and keep the better.
enum SgemmCeiling {
    static func measure() -> Double {
        var best = 0.0
        for (m, n, k) in [(1024, 1536, 576), (1024, 576, 1536)] {
            let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
            var g = SeededGenerator(seed: 1)
            g.fillUniform(a, lower: -1, upper: 1)
            g.fillUniform(b, lower: -1, upper: 1)
            let s = Timing.median(repetitions: 5) {
                Gemm.sgemm(transposeA: false, transposeB: true, m: m, n: n, k: k,
                           a: a.pointer, lda: k, b: b.pointer, ldb: k, c: c.pointer, ldc: n)
            }
            best = max(best, 2 * Double(m * n * k) / s / 1e9)
        }
        return best
    }
}

/// Builders shared by the workloads.
enum Workbench {
    static let models = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/lorasb/models")
    static var smolLM2: URL { models.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf") }
    static var miniLM: URL { models.appendingPathComponent("all-MiniLM-L6-v2") }
    static var qwen05: URL { models.appendingPathComponent("Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf") }
    static var qwen15: URL { models.appendingPathComponent("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf") }

    /// `count` deterministic ids in `offset ..< offset + range`.
    static func ids(_ count: Int, range: Int, offset: Int = 0) -> [Int32] {
        (0..<count).map { Int32(offset + ($0 * 7919 + 13) % range) }
    }

    static func languageModelBatch(_ model: LlamaModel, batch: Int, length: Int) throws -> TokenBatch {
        let ids = ids(batch * length, range: model.config.vocabSize)
        return try TokenBatch(batchSize: batch, length: length, ids: ids, labels: ids)
    }

    /// A LoRA-XS/LoRA-SB adapter (`B`, `A` random with orthonormal-ish scale, `R` diagonal,
    /// only `R` trains) on every target.
    static func attachLoRASB(_ targets: [TargetableLinear], rank: Int, seed: UInt64 = 7) {
        var g = SeededGenerator(seed: seed)
        for t in targets {
            let b = Tensor(zeros: [t.linear.outFeatures, rank]), a = Tensor(zeros: [rank, t.linear.inFeatures])
            g.fillNormal(b, standardDeviation: 1 / Float(t.linear.outFeatures).squareRoot())
            g.fillNormal(a, standardDeviation: 1 / Float(t.linear.inFeatures).squareRoot())
            let r = Tensor(zeros: [rank, rank])
            for i in 0..<rank { r.pointer[i * rank + i] = 1e-3 }
            t.linear.adapter = LoRAXSAdapter(b: b, r: r, a: a, scale: 1)
        }
    }

    /// Plain LoRA (A Kaiming-uniform, B zero, both train, scale alpha/r with alpha = 2r).
    static func attachLoRA(_ targets: [TargetableLinear], rank: Int, seed: UInt64 = 7) {
        var g = SeededGenerator(seed: seed)
        for t in targets {
            let a = Tensor(zeros: [rank, t.linear.inFeatures])
            g.kaimingUniform(a)
            t.linear.adapter = LoRAAdapter(b: Tensor(zeros: [t.linear.outFeatures, rank]), a: a, scale: 2)
        }
    }

    /// Every trainable parameter reachable from `model` (its own and its adapters').
    static func trainables(_ model: AdaptableModel, extra: [Parameter] = []) -> [Parameter] {
        var seen = Set<ObjectIdentifier>(), out: [Parameter] = []
        let adapterParameters = model.targetableLayers.flatMap { $0.linear.adapter?.parameters ?? [] }
        for p in model.namedParameters.map(\.parameter) + adapterParameters + extra
        where p.isTrainable && seen.insert(ObjectIdentifier(p)).inserted {
            out.append(p)
        }
        return out
    }

    /// One optimiser step's worth of AdamW over `parameters` (gradients allocated first).
    static func optimizer(_ parameters: [Parameter]) throws -> AdamW {
        try AdamW(parameters: parameters.enumerated().map { i, p in
            TrainableParameter(name: "p\(i)", value: p.value, gradient: p.gradientForAccumulation())
        })
    }

    /// The median seconds of `repetitions` steps after one warm-up step.
    static func medianSeconds(repetitions: Int, _ step: () throws -> Void) throws -> Double {
        try step()
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Matrix FLOPs of one forward pass over `tokens` tokens in sequences of `length`:
    /// 2 per weight of every linear layer (the vocabulary head included) plus the two
    /// attention products (scores and context) over all `length` keys.
    static func forwardFlops(linearWeights: Int, layers: Int, attentionWidth: Int,
                             tokens: Int, length: Int) -> Double {
        2 * Double(linearWeights) * Double(tokens)
            + Double(layers) * 4 * Double(tokens) * Double(length) * Double(attentionWidth)
    }

    static func linearWeights(_ model: LlamaModel) -> Int {
        model.layers.reduce(0) { total, l in
            total + [l.q, l.k, l.v, l.o, l.gate, l.up, l.down].reduce(0) { $0 + $1.inFeatures * $1.outFeatures }
        } + model.outputProjection.inFeatures * model.outputProjection.outFeatures
    }
}
