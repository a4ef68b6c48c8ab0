import LoRASB

/// `--precision`, shared by train, eval and generate.
enum PrecisionFlag {
    static let flag = Arguments.Flag("precision", help: "fp32 (default), bf16: the frozen weights' products in bf16 on CPUs with AVX-512 BF16 (faster; loss within ~0.2% of fp32), or q8 (generate, eval): quantise activations to 8-bit blocks for integer dot products on the quantised weights, as llama.cpp does")

    static func value(_ args: Arguments) throws -> ComputePrecision {
        guard let text = args.string("precision") else { return .fp32 }
        guard let precision = ComputePrecision(rawValue: text.lowercased()) else {
            throw CLIError("--precision must be \(ComputePrecision.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return precision
    }
}
