import LoRASB

/// `--precision`, shared by train, eval and generate.
enum PrecisionFlag {
    static let flag = Arguments.Flag("precision", help: "fp32 (default) or bf16: the frozen weights' products in bf16 on CPUs with AVX-512 BF16 (faster; loss within ~0.2% of fp32)")

    static func value(_ args: Arguments) throws -> ComputePrecision {
        guard let text = args.string("precision") else { return .fp32 }
        guard let precision = ComputePrecision(rawValue: text.lowercased()) else {
            throw CLIError("--precision must be \(ComputePrecision.allCases.map(\.rawValue).joined(separator: " or ")), not '\(text)'")
        }
        return precision
    }
}
