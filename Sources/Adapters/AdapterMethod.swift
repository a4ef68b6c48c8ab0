/// How a model is fine-tuned.
///
/// - `loraSB`: LoRA-SB (Ponkshe et al., 2025, "Initialization using Update Approximation is a
///   Silver Bullet for Extremely Efficient Low-Rank Fine-Tuning"): the LoRA-XS shape
///   `W + B R A` with only `R` (r×r) trained, initialised from the truncated SVD of an
///   approximation of the first full fine-tuning step.
/// - `loraXS`: LoRA-XS (Bałazy et al., 2024): the same shape, `B`, `A` from the SVD of the
///   pretrained `W` itself, `R` drawn small.
/// - `lora`: LoRA (Hu et al., 2021): `W + (alpha/r) B A`, both factors trained.
/// - `full`: every parameter trained (the reference the low-rank methods approximate).
public enum AdapterMethod: String, CaseIterable, Codable, Sendable {
    case loraSB = "lora-sb"
    case loraXS = "lora-xs"
    case lora = "lora"
    case full = "full"

    /// Parses a method name as written on the command line.
    public init(parsing name: String) throws {
        guard let m = AdapterMethod(rawValue: name.lowercased()) else {
            throw AdapterError.invalidSetting(
                "unknown method '\(name)' (expected one of: \(AdapterMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = m
    }

    /// Whether the method adds low-rank factors next to frozen weights.
    public var isLowRank: Bool { self != .full }
}
