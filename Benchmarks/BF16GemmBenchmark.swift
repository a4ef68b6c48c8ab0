import Foundation
import LoRASB

/// The bf16 product against OpenBLAS sgemm on the frozen-weight products of a training step
/// (forward `x·Wᵀ` and input gradient `dy·W`), both on every core, same operands, alternating.
struct BF16GemmBenchmark: BenchmarkSection {
    let name = "bf16-gemm"
    let summary = "GFLOP/s of the bf16-weight product against fp32 sgemm on the frozen-weight products"

    func run() {
        guard Gemm.bf16Supported else { print("this CPU has no AVX-512 BF16: nothing to measure"); return }
        print("| model | M | layer (in→out) | product | m×n×k | sgemm GFLOP/s | bf16 GFLOP/s | bf16 / sgemm |")
        print("| --- | ---: | --- | --- | --- | ---: | ---: | ---: |")
        var totalFlops = 0.0, sgemmSeconds = 0.0, bf16Seconds = 0.0
        for workload in SgemmBenchmark.workloads where workload.tokens <= 4096 {
            for layer in workload.layers {
                for product in [SgemmBenchmark.Product.forward, .inputGradient] {
                    let shape = SgemmBenchmark.shape(product, tokens: workload.tokens, layer: layer)
                    let operands = SgemmBenchmark.Operands(shape)
                    // The weight as the layer keeps it: [out, in] either way.
                    let weight = BF16Matrix(operands.b)
                    let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
                    let repetitions = flops > 2e10 ? 3 : 7
                    let fp32 = Timing.median(repetitions: repetitions) { operands.multiply() }
                    let bf16 = Timing.median(repetitions: repetitions) {
                        Gemm.bf16Product(transposeB: shape.transposeB, m: shape.m, n: shape.n, k: shape.k,
                                         a: operands.a.pointer, lda: shape.k, b: weight,
                                         c: operands.c.pointer, ldc: shape.n)
                    }
                    totalFlops += flops
                    sgemmSeconds += fp32
                    bf16Seconds += bf16
                    print("| \(workload.model) | \(workload.tokens) | \(layer.name) \(layer.inputs)→\(layer.outputs) | \(product.rawValue) | \(shape.m)×\(shape.n)×\(shape.k) | \(String(format: "%.1f", flops / fp32 / 1e9)) | \(String(format: "%.1f", flops / bf16 / 1e9)) | \(String(format: "%.2f×", fp32 / bf16)) |")
                }
            }
        }
        print("\nAll: sgemm \(String(format: "%.1f", totalFlops / sgemmSeconds / 1e9)) GFLOP/s, bf16 \(String(format: "%.1f", totalFlops / bf16Seconds / 1e9)) GFLOP/s, \(String(format: "%.2f×", sgemmSeconds / bf16Seconds)).")
    }
}
