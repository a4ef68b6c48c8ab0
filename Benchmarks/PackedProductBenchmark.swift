import Foundation
import LoRASB

/// Products with SmolLM2's packed weights (Q4_1 projections, the Q8_0 tied head) against the
/// same products with dense weights (fp32 sgemm, the bf16 kernel over a whole bf16 matrix), for
/// several panel sizes: what decoding panel by panel costs, and which panel size to use.
struct PackedProductBenchmark: BenchmarkSection {
    let name = "packed"
    let summary = "products with packed (Q4_1 / Q8_0) weights, decoded panel by panel, against dense weights"

    func run() {
        do { try measure() } catch { print("cannot load SmolLM2: \(error)") }
    }

    private func measure() throws {
        let model = try LlamaModel(contentsOf: Workbench.smolLM2)
        let layers: [(String, Parameter)] = [("gate", model.layers[0].gate.weight), ("down", model.layers[0].down.weight),
                                             ("head", model.outputProjection.weight)]
        let panels = [1 << 19, 1 << 20, 1 << 21, 1 << 22, 1 << 23, 1 << 24]
        let precisions: [ProductPrecision] = Gemm.bf16Supported ? [.fp32, .bf16] : [.fp32]
        print("| weight (rows×cols) | M | product | precision | dense ms | " + panels.map { "\($0 >> 10) KB ms" }.joined(separator: " | ") + " |")
        print("| --- | ---: | --- | --- | ---: |" + panels.map { _ in " ---: |" }.joined())
        for (label, p) in layers {
            guard let packed = p.packed else { continue }
            let dense = packed.floatTensor()
            let bf16 = Gemm.bf16Supported ? BF16Matrix(dense) : nil
            let decode = Timing.median(repetitions: 3) { _ = packed.floatTensor() }
            print("| \(label) decode alone (\(packed.rows)×\(packed.columns), \(packed.byteCount >> 10) KB) | | | fp32 | | \(String(format: "%.2f", decode * 1e3)) |")
            for m in [256, 1024] {
                let x = Tensor(shape: [m, packed.columns], repeating: 0.01), dy = Tensor(shape: [m, packed.rows], repeating: 0.01)
                let y = Tensor(zeros: [m, packed.rows]), dx = Tensor(zeros: [m, packed.columns])
                for forward in [true, false] {
                    let (a, c, n, k) = forward ? (x, y, packed.rows, packed.columns) : (dy, dx, packed.columns, packed.rows)
                    for precision in precisions {
                        let reference: PackedMatrix = precision == .bf16 ? bf16! : DenseMatrix(dense)
                        func time(_ b: PackedMatrix, _ panel: Int) -> Double {
                            Timing.median(repetitions: 3) {
                                Gemm.packedProduct(transposeB: forward, m: m, n: n, k: k, a: a.pointer, lda: k, b: b,
                                                   precision: precision, c: c.pointer, ldc: n, panelBytes: panel)
                            }
                        }
                        let base = time(reference, Gemm.packedPanelBytes)
                        let cells = panels.map { String(format: "%.2f", time(packed, $0) * 1e3) }
                        print("| \(label) | \(m) | \(forward ? "x·Wᵀ" : "dy·W") | \(precision) | \(String(format: "%.2f", base * 1e3)) | \(cells.joined(separator: " | ")) |")
                    }
                }
            }
        }
    }
}
