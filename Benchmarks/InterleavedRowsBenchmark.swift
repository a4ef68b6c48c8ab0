import Foundation
import LoRASB

/// The q8 products of quantised weights with their rows as in the file against interleaved by 8
/// (`InterleavedMatrix`, llama.cpp's repacking): milliseconds and the rate of reading the
/// weight, at 1 to 8 activation rows, the two forms alternating. One tensor of each type the
/// three GGUF files hold.
struct InterleavedRowsBenchmark: BenchmarkSection {
    let name = "interleaved-rows"
    let summary = "q8 products, rows as in the file against interleaved by 8, per weight type (ms, GB/s)"
    static let tensors = [
        ("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf", "blk.0.ffn_up.weight"),      // Q4_K
        ("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf", "blk.0.attn_q.weight"),      // Q4_K
        ("Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf", "blk.0.ffn_up.weight"),      // Q5_0
        ("Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf", "output.weight"),            // Q8_0
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "blk.0.ffn_up.weight"),              // Q4_1
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "token_embd.weight"),                // Q8_0, the tied head
    ]

    func run() {
        print("\(Parallel.cores) threads; medians of 20 products, the two forms alternating in 5 rounds; 1-minute load \(PeakMemory.loadAverage())\n")
        print("| file | tensor | type | shape | activation rows | file rows ms | interleaved ms | file rows GB/s | interleaved GB/s | speed-up |")
        print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for (fileName, name) in Self.tensors {
            let url = Workbench.models.appendingPathComponent(fileName)
            guard let file = try? GGUFFile(url: url) else { print("| \(fileName) | absent | | | | | | | | |"); continue }
            do {
                let type = try file.info(named: name).type
                let rows = try file.quantizedMatrix(named: name)
                guard let interleaved = rows.interleavedForQ8() else { print("| \(fileName) | \(name) | \(type): no interleaved form | | | | | | | |"); continue }
                for m in [1, 2, 4, 8] {
                    let x = Tensor(shape: [m, rows.columns], repeating: 0.01), y = Tensor(zeros: [m, rows.rows])
                    func product(_ w: PackedMatrix) {
                        Gemm.packedProduct(transposeB: true, m: m, n: w.rows, k: w.columns, a: x.pointer, lda: w.columns,
                                           b: w, precision: .q8, c: y.pointer, ldc: w.rows)
                    }
                    var times: ([Double], [Double]) = ([], [])
                    for _ in 0 ..< 5 {
                        times.0.append(Timing.median(repetitions: 4) { product(rows) })
                        times.1.append(Timing.median(repetitions: 4) { product(interleaved) })
                    }
                    let a = times.0.sorted()[2], b = times.1.sorted()[2], gb = Double(rows.byteCount) / 1e9
                    print("| \(fileName) | \(name) | \(type) | \(rows.rows)×\(rows.columns) | \(m) | \(String(format: "%.3f", a * 1e3)) | \(String(format: "%.3f", b * 1e3)) | \(String(format: "%.1f", gb / a)) | \(String(format: "%.1f", gb / b)) | \(String(format: "%.2f", a / b))× |")
                }
            } catch {
                print("| \(fileName) | \(name) | error: \(error) | | | | | | | |")
            }
        }
    }
}
