import Foundation
import LoRASB

/// Throughput of the element-wise kernels and reductions (memory-bound: GB/s of traffic) and
/// the time of the SVDs the LoRA-SB initialisation runs once per adapted matrix.
struct KernelBenchmark: BenchmarkSection {
    let name = "kernels"
    let summary = "element-wise kernels and reductions (GB/s), exact and randomized SVD (ms)"

    func run() {
        let count = 49_152 * 576   // the size of SmolLM2's embedding matrix
        var generator = SeededGenerator(seed: 2)
        let x = Tensor(zeros: [count]), y = Tensor(zeros: [count]), z = Tensor(zeros: [count])
        generator.fillUniform(x, lower: -1, upper: 1)
        generator.fillUniform(y, lower: -1, upper: 1)
        let bytes = Double(count * MemoryLayout<Float>.stride)
        print("\(count) fp32 elements (\(String(format: "%.0f", bytes / 1e6)) MB per tensor); traffic counts every tensor read or written once.\n")
        print("| kernel | traffic | ms | GB/s |")
        print("| --- | ---: | ---: | ---: |")
        func report(_ label: String, tensors: Double, _ body: () -> Void) {
            let seconds = Timing.median(repetitions: 5, body)
            print("| \(label) | \(String(format: "%.0f", tensors * bytes / 1e6)) MB | \(String(format: "%.1f", seconds * 1e3)) | \(String(format: "%.1f", tensors * bytes / seconds / 1e9)) |")
        }
        report("Elementwise.add", tensors: 3) { Elementwise.add(x, y, into: z) }
        report("Elementwise.axpy", tensors: 3) { Elementwise.axpy(0.5, x, z) }
        report("Elementwise.scale", tensors: 2) { Elementwise.scale(x, by: 2, into: z) }
        report("Elementwise.clamp", tensors: 2) { Elementwise.clamp(x, lower: -0.5, upper: 0.5, into: z) }
        report("Elementwise.fill", tensors: 1) { Elementwise.fill(z, with: 1) }
        let bias = Tensor(zeros: [576])
        report("Elementwise.addToRows (49152×576)", tensors: 2) { Elementwise.addToRows(bias, z.reshaped([49_152, 576])) }
        report("Elementwise.sumRows (49152×576)", tensors: 1) { Elementwise.sumRows(x.reshaped([49_152, 576]), into: bias) }
        var sink = 0.0
        report("Reductions.sum", tensors: 1) { sink += Reductions.sum(x) }
        report("Reductions.dot", tensors: 2) { sink += Reductions.dot(x, y) }
        report("Reductions.squaredNorm", tensors: 1) { sink += Reductions.squaredNorm(x) }
        report("Reductions.maxAbs", tensors: 1) { sink += Double(Reductions.maxAbs(x)) }
        report("Reductions.isFinite", tensors: 1) { sink += Reductions.isFinite(x) ? 1 : 0 }
        report("SeededGenerator.fillNormal", tensors: 1) { generator.fillNormal(z) }
        report("SeededGenerator.fillUniform", tensors: 1) { generator.fillUniform(z, lower: -1, upper: 1) }
        if sink.isNaN { print("(unexpected NaN)") }

        print("\nSVD of a sign matrix shaped like SmolLM2's gate/up weight (1536×576; −η·sign(G) in the LoRA-SB")
        print("initialisation, a flat spectrum), truncated to rank 32. Error: ‖A − U_r S_r V_rᵀ‖_F relative to the")
        print("Eckart–Young optimum sqrt(Σ discarded σ²).\n")
        print("| method | ms | error / optimum |")
        print("| --- | ---: | ---: |")
        let g = Tensor(zeros: [1536, 576])
        generator.fillNormal(g)
        let signs = Tensor(shape: g.shape, values: g.array.map { $0 < 0 ? 1 : -1 })
        guard let exact = try? SVD.exact(signs) else { print("SVD.exact failed"); return }
        let optimum = exact.singularValues.dropFirst(32).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        func relativeError(_ svd: SingularValueDecomposition) -> String {
            let difference = Tensor(zeros: signs.shape)
            Elementwise.subtract(signs, svd.reconstructed(), into: difference)
            return String(format: "%.5f", Reductions.squaredNorm(difference).squareRoot() / optimum)
        }
        let exactSeconds = Timing.median(repetitions: 3) { _ = try? SVD.exact(signs) }
        print("| SVD.exact (sgesdd, all 576 triplets) | \(String(format: "%.1f", exactSeconds * 1e3)) | \(relativeError(exact.truncated(to: 32))) |")
        for iterations in [0, 2, 10] {
            var last: SingularValueDecomposition?
            let seconds = Timing.median(repetitions: 3) {
                last = try? SVD.randomized(signs, rank: 32, powerIterations: iterations, generator: &generator)
            }
            print("| SVD.randomized rank 32, \(iterations) power iterations | \(String(format: "%.1f", seconds * 1e3)) | \(last.map(relativeError) ?? "failed") |")
        }
    }
}
