/// Why a model could not be built or run. Every case names what was wrong so that a user can
/// fix the checkpoint, the configuration or the input.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// The checkpoint describes an architecture this library does not implement.
    case unsupportedArchitecture(String)
    /// A configuration value is missing or out of range.
    case invalidConfiguration(String)
    /// A tensor the architecture needs is absent from the checkpoint.
    case missingTensor(name: String, source: String)
    /// A tensor exists but its shape differs from what the configuration implies.
    case wrongShape(name: String, expected: [Int], found: [Int], source: String)
    /// A batch that cannot be run: empty, ragged, too long, ids out of range.
    case invalidBatch(String)
    /// The sequence is longer than the model's position table or context.
    case sequenceTooLong(length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let a): return "unsupported model architecture: \(a)"
        case .invalidConfiguration(let m): return "invalid model configuration: \(m)"
        case .missingTensor(let n, let s): return "\(s): missing tensor '\(n)'"
        case .wrongShape(let n, let e, let f, let s):
            return "\(s): tensor '\(n)' has shape \(f), expected \(e)"
        case .invalidBatch(let m): return "invalid batch: \(m)"
        case .sequenceTooLong(let l, let m):
            return "sequence of \(l) tokens is longer than the model's maximum of \(m) positions"
        }
    }
}
