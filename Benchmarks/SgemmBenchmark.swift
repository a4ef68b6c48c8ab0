import Foundation
import LoRASB

/// sgemm throughput through our `Gemm` wrappers on the products a transformer training step
/// makes, for the two real models: each linear layer `y = x·Wᵀ` (W is out×in, x is M×in)
/// costs a forward product, an input-gradient product `dx = dy·W` and a weight-gradient
/// product `dW = dyᵀ·x`, each 2·M·in·out FLOPs.
struct SgemmBenchmark: BenchmarkSection {
    let name = "sgemm"
    let summary = "GFLOP/s of Gemm on the transformer shapes of SmolLM2-135M and all-MiniLM-L6-v2"

    /// A linear layer: `in` → `out` features. `frozenWeight` layers never need a weight gradient
    /// (the tied embedding used as the language-model head).
    struct Layer {
        var name: String
        var inputs: Int
        var outputs: Int
        var frozenWeight = false
    }

    struct Workload {
        var model: String
        var tokens: Int
        var layers: [Layer]
    }

    enum Product: String, CaseIterable {
        case forward = "forward x·Wᵀ"
        case inputGradient = "input grad dy·W"
        case weightGradient = "weight grad dyᵀ·x"
    }

    static let smolLM2Layers = [
        Layer(name: "q / o proj", inputs: 576, outputs: 576),
        Layer(name: "k / v proj", inputs: 576, outputs: 192),
        Layer(name: "gate / up proj", inputs: 576, outputs: 1536),
        Layer(name: "down proj", inputs: 1536, outputs: 576),
        Layer(name: "lm head (tied)", inputs: 576, outputs: 49152, frozenWeight: true),
    ]
    static let miniLMLayers = [
        Layer(name: "q/k/v/out", inputs: 384, outputs: 384),
        Layer(name: "ffn in", inputs: 384, outputs: 1536),
        Layer(name: "ffn out", inputs: 1536, outputs: 384),
    ]
    static let workloads = [
        Workload(model: "SmolLM2-135M", tokens: 1024, layers: smolLM2Layers),
        Workload(model: "SmolLM2-135M", tokens: 2048, layers: smolLM2Layers),
        Workload(model: "all-MiniLM-L6-v2", tokens: 4096, layers: miniLMLayers),
    ]

    func run() {
        let allCores = Parallel.cores
        let threadCounts = allCores > 1 ? [1, allCores] : [1]
        print("Ceiling from DESIGN.md (OpenBLAS 0.3.21 on this kind of machine): 95–100 GFLOP/s on one core, 135–190 GFLOP/s on two.")
        print("Each figure is the median of several timed runs after a warm-up; M = batch·sequence tokens.\n")
        print("| model | M | layer (in→out) | product | m×n×k | GFLOP/s 1 thread | GFLOP/s \(allCores) threads |")
        print("| --- | ---: | --- | --- | --- | ---: | ---: |")
        let savedThreads = Gemm.blasThreads
        defer { Gemm.blasThreads = savedThreads }
        var totals = [String: (flops: Double, seconds: [Double])]()
        var order = [String]()
        for workload in Self.workloads {
            let key = "\(workload.model) M=\(workload.tokens)"
            order.append(key)
            var flopsTotal = 0.0
            var secondsTotal = [Double](repeating: 0, count: threadCounts.count)
            for layer in workload.layers {
                for product in Product.allCases {
                    let shape = Self.shape(product, tokens: workload.tokens, layer: layer)
                    if product == .weightGradient && layer.frozenWeight {
                        print("| \(workload.model) | \(workload.tokens) | \(layer.name) \(layer.inputs)→\(layer.outputs) | \(product.rawValue) | — | frozen | frozen |")
                        continue
                    }
                    let operands = Operands(shape)
                    let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
                    // Large products (the vocabulary head: ~60-120 GFLOP) take seconds each.
                    let repetitions = flops > 2e10 ? 3 : 7
                    var rates = [String]()
                    for (i, threads) in threadCounts.enumerated() {
                        Gemm.blasThreads = threads
                        let seconds = Timing.median(repetitions: repetitions) { operands.multiply() }
                        secondsTotal[i] += seconds
                        rates.append(String(format: "%.1f", flops / seconds / 1e9))
                    }
                    if threadCounts.count == 1 { rates.append("—") }
                    flopsTotal += flops
                    print("| \(workload.model) | \(workload.tokens) | \(layer.name) \(layer.inputs)→\(layer.outputs) | \(product.rawValue) | \(shape.m)×\(shape.n)×\(shape.k) | \(rates[0]) | \(rates[1]) |")
                }
            }
            totals[key] = (flopsTotal, secondsTotal)
        }
        print("\nAll products of a workload together (total FLOPs / total median time):\n")
        print("| workload | GFLOP | GFLOP/s 1 thread | GFLOP/s \(allCores) threads |")
        print("| --- | ---: | ---: | ---: |")
        for key in order {
            guard let total = totals[key] else { continue }
            let rates = total.seconds.map { String(format: "%.1f", total.flops / $0 / 1e9) }
            print("| \(key) | \(String(format: "%.1f", total.flops / 1e9)) | \(rates[0]) | \(rates.count > 1 ? rates[1] : "—") |")
        }
    }

    /// sgemm dimensions (C is m×n, inner k) and transposes of one product of a layer.
    struct Shape {
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
    }

    static func shape(_ product: Product, tokens: Int, layer: Layer) -> Shape {
        switch product {
        case .forward:         // y (M×out) = x (M×in) · Wᵀ, W out×in
            return Shape(m: tokens, n: layer.outputs, k: layer.inputs, transposeA: false, transposeB: true)
        case .inputGradient:   // dx (M×in) = dy (M×out) · W (out×in)
            return Shape(m: tokens, n: layer.inputs, k: layer.outputs, transposeA: false, transposeB: false)
        case .weightGradient:  // dW (out×in) = dyᵀ · x, dy M×out, x M×in
            return Shape(m: layer.outputs, n: layer.inputs, k: tokens, transposeA: true, transposeB: false)
        }
    }

    /// Random operands of one product, stored as the training step stores them.
    struct Operands {
        let a: Tensor, b: Tensor, c: Tensor
        let shape: Shape

        init(_ shape: Shape) {
            self.shape = shape
            var generator = SeededGenerator(seed: 1)
            a = Tensor(zeros: shape.transposeA ? [shape.k, shape.m] : [shape.m, shape.k])
            b = Tensor(zeros: shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n])
            c = Tensor(zeros: [shape.m, shape.n])
            generator.fillUniform(a, lower: -1, upper: 1)
            generator.fillUniform(b, lower: -1, upper: 1)
        }

        func multiply() {
            Gemm.multiply(a, b, transposeA: shape.transposeA, transposeB: shape.transposeB, into: c)
        }
    }
}
