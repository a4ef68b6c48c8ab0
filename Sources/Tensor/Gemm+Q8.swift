import QuantDot

extension Gemm {
    /// Activation rows a q8 product quantises and multiplies per pass over the weight. Each
    /// weight row stays in L1 while it meets them all, so a batch of up to this many rows reads
    /// the weight from memory once.
    public static let q8PassRows = 8

    /// Multiply-adds a thread must have before a q8 product splits its rows. Waking a worker and
    /// waiting for it costs several microseconds, comparable with a small product's whole time
    /// (SmolLM2's k/v projection at batch 1 is 110K multiply-adds, ~10 µs): below this the
    /// calling thread does it alone. Measured on 2 shared cores (SmolLM2 Q4_1, batch 1):
    /// 59 tok/s splitting at 16K per thread, 67 at 256K; no change at batch 8 or on Qwen 0.5B.
    static let q8MinWorkPerThread = 1 << 18

    /// `c[m×n] = a[m×k] · bᵀ` with `b` `[n, k]` in ggml blocks: every row of `a` is quantised
    /// once to the 8-bit blocks `b`'s type pairs with (Q8_0, Q8_1 or Q8_K), then each output
    /// is an integer dot product on the blocks (llama.cpp's arithmetic: no fp32 copy of `b`).
    /// Output rows are split over the cores. `rows` is `b.quantizedRows`, with a dot product.
    static func q8Product(m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, rows: QuantizedRows,
                          c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard let format = rows.activationFormat else { preconditionFailure("q8 product for ggml type \(rows.type)") }
        let k = b.columns, n = b.rows
        let activationBytes = lorasb_q8_row_bytes(format, Int32(k))
        ScratchBuffers.q8Activations.withBuffer(count: min(m, q8PassRows) * activationBytes) { blocks in
            for first in stride(from: 0, to: m, by: q8PassRows) {
                let pass = min(q8PassRows, m - first)
                for i in 0..<pass {
                    lorasb_q8_quantize_row(format, a + (first + i) * lda, blocks + i * activationBytes, Int32(k))
                }
                let shared = UncheckedBox((UnsafeRawPointer(blocks), c + first * ldc))
                if rows.interleaved {   // whole groups of 8 rows to each thread
                    Parallel.forEachChunk(n / 8, minChunk: max(1, q8MinWorkPerThread / (8 * k * pass))) { groups in
                        lorasb_x8_gemv(rows.type, Int32(k), rows.base, Int32(groups.lowerBound), Int32(groups.upperBound),
                                       shared.value.0, Int32(pass), shared.value.1, Int32(ldc))
                    }
                    continue
                }
                let multiply = { (order: UnsafePointer<Int64>?) in
                    Parallel.forEachChunk(n, minChunk: max(1, q8MinWorkPerThread / (k * pass))) { range in
                        lorasb_qdot_gemv(rows.type, Int32(k), rows.base, rows.rowBytes, order,
                                         Int32(range.lowerBound), Int32(range.upperBound),
                                         shared.value.0, Int32(pass), shared.value.1, Int32(ldc))
                    }
                }
                if let order = rows.rowOrder { order.withUnsafeBufferPointer { multiply($0.baseAddress) } } else { multiply(nil) }
            }
        }
    }
}
