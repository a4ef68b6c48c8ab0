import Foundation
import LoRASB

/// The q8 product of Qwen2.5-Coder-1.5B's Q4_K weights with their rows as in the file against
/// interleaved by 8 (`InterleavedQ4KMatrix`, llama.cpp's repacking): milliseconds and the rate
/// of reading the weight, at 1 to 8 activation rows, the two forms alternating.
struct InterleavedQ4KBenchmark: BenchmarkSection {
    let name = "q4k-interleave"
    let summary = "q8 products of Qwen 1.5B's Q4_K matrices, rows as in the file against interleaved by 8 (ms, GB/s)"
    static let tensors = ["blk.0.ffn_up.weight", "blk.0.attn_q.weight"]

    func run() {
        let url = Workbench.models.appendingPathComponent("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf")
        guard let file = try? GGUFFile(url: url) else { print("\(url.path) is absent"); return }
        print("\(Parallel.cores) threads; medians of 20 products, the two forms alternating in 5 rounds; 1-minute load \(PeakMemory.loadAverage())\n")
        print("| tensor | shape | activation rows | file rows ms | interleaved ms | file rows GB/s | interleaved GB/s | speed-up |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in Self.tensors {
            do {
                InterleavedQ4KMatrix.isEnabled = false
                let rows = try file.quantizedMatrix(named: name)
                InterleavedQ4KMatrix.isEnabled = true
                let interleaved = try file.quantizedMatrix(named: name)
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
                    print("| \(name) | \(rows.rows)×\(rows.columns) | \(m) | \(String(format: "%.3f", a * 1e3)) | \(String(format: "%.3f", b * 1e3)) | \(String(format: "%.1f", gb / a)) | \(String(format: "%.1f", gb / b)) | \(String(format: "%.2f", a / b))× |")
                }
            } catch {
                print("| \(name) | error: \(error) | | | | | | |")
            }
        }
    }
}
